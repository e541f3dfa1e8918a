// The <gan-trainer> element: the tutorial page's two instances, bad
// attributes, removal ending the worker, and loading from another origin
// (as from a CDN) into a page served without COOP/COEP headers.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../build-scripts/serve.mjs';
import { OUTPUT, launch, openPage, readCanvas, until } from './harness.mjs';
import { loadGan } from '../../web/runtime/loader.js';

const stepOf = (page, id) => page.evaluate((name) => document.getElementById(name).step, id);
const shadowCanvas = ([id, selector]) => document.getElementById(id).shadowRoot.querySelector(selector);

describe('the <gan-trainer> element', () => {
  let env;

  before(async () => {
    // No COOP/COEP: embeds must work on any static host.
    env = await launch({ isolation: false });
  });

  after(async () => {
    await env?.close();
  });

  test('both widgets of the embed example train and draw', async () => {
    const { page, errors, context } = await openPage(env.browser, `${env.server.url}embed-example.html`, { viewport: { width: 900, height: 1000 } });
    await until(async () => (await stepOf(page, 'toy')) >= 10000, { what: 'the toy widget to finish its 10000 steps', timeout: 150000 });
    await until(async () => (await stepOf(page, 'mnist')) >= 20, { what: 'the MNIST widget to train', timeout: 120000 });
    // The toy stops exactly at its `steps`.
    await page.waitForTimeout(300);
    assert.equal(await stepOf(page, 'toy'), 10000);
    assert.equal(await page.evaluate(() => document.getElementById('toy').running), false);

    const figure = await readCanvas(page, shadowCanvas, ['toy', 'canvas.figure1']);
    assert.ok(figure.inked > 0.02, `Figure 1 drawn (${figure.inked})`);
    const curves = await readCanvas(page, shadowCanvas, ['toy', 'canvas.curves']);
    assert.ok(curves.inked > 0.01, `toy curves drawn (${curves.inked})`);
    const grid = await readCanvas(page, shadowCanvas, ['mnist', 'canvas.grid']);
    assert.ok(grid.inked > 0.2, `MNIST grid drawn (${grid.inked})`);
    assert.equal(grid.width, 6 * 29 - 1, 'size="6" gives a 6 x 6 grid');
    const strip = await readCanvas(page, shadowCanvas, ['mnist', 'canvas.linear']);
    assert.ok(strip.inked > 0.2, `interpolation strip drawn (${strip.inked})`);
    // Served without COOP/COEP: one thread, and no failure for it.
    assert.match(await page.evaluate(() => document.getElementById('mnist').shadowRoot.querySelector('.mode').textContent), /^(SIMD|scalar) · 1 thread$/);
    await page.screenshot({ path: join(OUTPUT, 'embed.png'), fullPage: true });
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('bad attributes give a clear message in the element, not a crash', async () => {
    const { page, errors, context } = await openPage(env.browser, `${env.server.url}embed-example.html`);
    const { description } = await loadGan({ threads: 1 });
    const batch = description.keys.find((entry) => entry.option === 'batch');
    // The training settings' ranges come from the core, so the attributes are
    // checked once the element's worker has described it.
    const text = await page.evaluate(async (tooBig) => {
      await customElements.whenDefined('gan-trainer');
      for (const element of document.querySelectorAll('gan-trainer')) element.remove();
      const bad = document.createElement('gan-trainer');
      bad.setAttribute('preset', 'huge');
      bad.setAttribute('steps', '-5');
      bad.setAttribute('views', 'samples,histogram');
      bad.setAttribute('batch', String(tooBig));
      document.body.append(bad);
      for (let i = 0; i < 300 && !bad.shadowRoot.querySelector('.problem li'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
      return bad.shadowRoot.textContent;
    }, batch.max + 1);
    assert.match(text, /preset "huge" is not one of small, cgan, paper, toy/);
    assert.match(text, /steps "-5" must be a whole number/);
    assert.match(text, /unknown "histogram"/);
    assert.ok(text.includes(`batch "${batch.max + 1}" must be a whole number from ${batch.min} to ${batch.max}`), text);
    // Fixing the attributes starts it.
    const fixed = await page.evaluate(async () => {
      const element = document.querySelector('gan-trainer');
      element.setAttribute('preset', 'toy');
      element.setAttribute('steps', '50');
      element.setAttribute('views', 'figure1');
      element.removeAttribute('batch');
      element.setAttribute('autoplay', '');
      await new Promise((resolve) => element.addEventListener('gan-ready', resolve, { once: true }));
      return element.shadowRoot.querySelector('.problem').hidden;
    });
    assert.equal(fixed, true);
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('removing an element ends its worker', async () => {
    const { page, errors, context } = await openPage(env.browser, `${env.server.url}embed-example.html`);
    await until(async () => (await stepOf(page, 'mnist')) > 0, { what: 'training', timeout: 120000 });
    const workers = () => page.workers().filter((worker) => worker.url().endsWith('/runtime/worker.js')).length;
    assert.equal(workers(), 2, 'one training worker per element');
    const closed = new Promise((resolve) => page.workers().find((w) => w.url().endsWith('/runtime/worker.js'))?.once('close', resolve));
    await page.evaluate(() => document.getElementById('toy').remove());
    await page.evaluate(() => document.getElementById('mnist').remove());
    await closed;
    await until(async () => workers() === 0, { what: 'the workers to end', timeout: 10000 });
    assert.deepEqual(errors, []);
    await context.close();
  });

  test('loads from another origin (a CDN) into a page without COOP/COEP', async () => {
    const hostRoot = mkdtempSync(join(tmpdir(), 'gan-host-'));
    const cdn = new URL(env.server.url);
    cdn.hostname = 'localhost'; // same server, another origin than 127.0.0.1
    writeFileSync(join(hostRoot, 'index.html'), `<!doctype html><meta charset="utf-8"><title>host</title>
      <link rel="icon" href="data:,">
      <script type="module" src="${cdn.href}gan-trainer.js"></script>
      <h1>A blog post</h1>
      <gan-trainer id="remote" preset="toy" autoplay steps="300"></gan-trainer>
      <gan-trainer id="remote-mnist" preset="small" autoplay steps="20" views="samples" size="4"></gan-trainer>`);
    const host = await startServer({ root: hostRoot, port: 0, isolation: false });
    try {
      const { page, errors, context } = await openPage(env.browser, host.url);
      await until(async () => (await stepOf(page, 'remote')) >= 300, { what: 'the cross-origin element to train', timeout: 60000 });
      // MNIST comes from the other origin too (fetched by the data worker, itself started through a blob).
      await until(async () => (await stepOf(page, 'remote-mnist')) >= 20, { what: 'the cross-origin MNIST element to train', timeout: 90000 });
      await until(async () => (await readCanvas(page, shadowCanvas, ['remote-mnist', 'canvas.grid'])).inked > 0.2, { what: 'its samples' });
      assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), false);
      assert.deepEqual(errors, []);
      await context.close();
    } finally {
      await host.close();
    }
  });
});
