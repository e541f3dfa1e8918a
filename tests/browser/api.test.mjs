// The package API (web/runtime/index.js) in a browser, imported as a page
// imports it from the served web/ folder, no bundler: the same calls as the
// Node test of the installed package (tests/package/usage.mts), in Chromium.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launch } from './harness.mjs';

// An empty page of the server's origin, cross-origin isolated as the server's pages are, so
// that nothing else (the embed example's own trainers) shares the cores with the one tested.
const BLANK = 'api-test.html';
async function openBlank(browser, base) {
  const context = await browser.newContext();
  await context.route(`${base}${BLANK}`, (route) => route.fulfill({
    contentType: 'text/html',
    headers: { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' },
    body: '<!doctype html><title>wasm-gan API</title>',
  }));
  const page = await context.newPage();
  const errors = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(`console: ${message.text()}`); });
  page.on('pageerror', (error) => errors.push(`exception: ${error.message}`));
  await page.goto(`${base}${BLANK}`);
  return { page, errors, context };
}

let env;
before(async () => {
  env = await launch();
});
after(async () => {
  await env?.close();
});

test('the package API in Chromium: train, events, sample, save, load into a new trainer with identical samples', { timeout: 120000 }, async () => {
  const { page, errors, context } = await openBlank(env.browser, env.server.url);
  const report = await page.evaluate(async () => {
    const { createTrainer } = await import('./runtime/index.js');
    const same = (a, b) => a.length === b.length && a.every((value, i) => value === b[i]);
    const trainer = await createTrainer({ preset: 'small', seed: 5, threads: 2 });
    const isolated = globalThis.crossOriginIsolated;
    const states = [];
    let stats = 0;
    trainer.on('state', (state) => states.push(state.reason));
    trainer.on('stats', () => stats++);
    const trained = await trainer.train(4);
    await trainer.start();
    await trainer.pause();
    const samples = await trainer.sample({ seed: 3, count: 2 });
    const bytes = await trainer.save();
    const copy = await createTrainer({ checkpoint: bytes, threads: 1 });
    const copied = await copy.sample({ seed: 3, count: 2 });
    await trainer.train(2);
    await copy.train(2);
    const continued = same((await trainer.sample({ seed: 4, count: 2 })).images, (await copy.sample({ seed: 4, count: 2 })).images);
    const result = {
      step: trained.step, isolated, states, stats, threads: [trainer.threads, copy.threads], shape: [samples.count, samples.images.length],
      identical: same(samples.images, copied.images), continued, preset: copy.preset,
    };
    trainer.dispose();
    copy.dispose();
    return result;
  });
  await context.close();
  assert.deepEqual(errors, []);
  assert.equal(report.step, 4);
  assert.deepEqual(report.states, ['start', 'pause']);
  assert.ok(report.stats >= 2, `stats events (${report.stats})`);
  assert.deepEqual(report.shape, [2, 2 * 784]);
  assert.equal(report.preset, 'small');
  assert.ok(report.identical, 'the loaded checkpoint samples identically');
  assert.ok(report.continued, 'and trains on bit-identically');
  // The served page is cross-origin isolated: the trainer may use the threads it asks for
  // (the core keeps one when splitting does not pay on a busy machine, so at least 1).
  assert.ok(report.isolated, 'the page is cross-origin isolated');
  assert.ok(report.threads[0] >= 1 && report.threads[1] === 1, JSON.stringify(report.threads));
});
