// The page and the embed in every engine its users have: Chromium, Firefox
// and WebKit (tests/browser/engines.mjs drives each). In each: the page loads,
// runs on threads where the engine can share memory with workers (it is
// served cross-origin isolated), else says truly why not, and trains; a
// saved checkpoint loads back to the same samples; a corrupt one is refused
// while training goes on; errors in the page and in its workers reach the
// test (through the page's own list: WebKit's automation shows no console
// output); the embed example trains on a page served without COOP/COEP, on
// one thread and saying why. The Chromium-only files (page, embed,
// frame-loop) test the rest in depth.
//
// Everything the tests do in a page goes through evaluate(): clicks are
// element.click(), a file is chosen by setting the input's files from a
// DataTransfer, and a download is caught where the page clicks its link.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { startServer } from '../../build-scripts/serve.mjs';
import { assertBuilt, OUTPUT } from './harness.mjs';
import { ENGINES, launchEngine } from './engines.mjs';

const CORES = Math.min(8, availableParallelism());

// --- functions run in the page (each sees only its argument) ----------------------

// Ready, or failed: {errors} either way, so a page that cannot start fails at once.
const pageReady = () => {
  const errors = globalThis.wasmGan?.errors ?? [];
  return errors.length || (globalThis.wasmGan && !document.getElementById('start').disabled) ? { errors } : null;
};

/** Whether this engine can send a shared WebAssembly.Memory to a worker, which threads need. */
function canShareMemoryWithWorkers() {
  try {
    const memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
    const worker = new Worker(URL.createObjectURL(new Blob([''], { type: 'text/javascript' })));
    try { worker.postMessage(memory); } finally { worker.terminate(); }
    return true;
  } catch {
    return false;
  }
}
const click = (id) => { document.getElementById(id).click(); return true; };
const state = () => ({
  step: Number(document.getElementById('step-count').textContent),
  running: globalThis.wasmGan.session.running,
  message: document.getElementById('message').textContent,
  messageClass: document.getElementById('message').className,
});
const pageErrors = () => globalThis.wasmGan?.errors ?? ['the page did not start (no wasmGan)'];

/** The sample grid after a fresh snapshot: a hash of its pixels and how much of it is inked. */
async function gridPixels() {
  await globalThis.wasmGan.session.refresh();
  const canvas = document.getElementById('grid');
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let hash = 2166136261;
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) {
    if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2]) inked++;
    for (let j = 0; j < 4; j++) hash = Math.imul(hash ^ data[i + j], 16777619) >>> 0;
  }
  return { hash, inked: inked / (data.length / 4) };
}

/** Clicks Save and keeps the file the page offers as globalThis.savedCheckpoint. */
async function saveCheckpoint() {
  const offered = new Promise((resolve) => {
    const original = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function catchDownload() {
      HTMLAnchorElement.prototype.click = original;
      resolve({ href: this.href, name: this.download });
    };
  });
  document.getElementById('save').click();
  const { href, name } = await offered;
  const bytes = new Uint8Array(await (await fetch(href)).arrayBuffer());
  globalThis.savedCheckpoint = { bytes, name };
  return { name, size: bytes.length };
}

/** Chooses a file in the Load checkpoint input: the saved one, or it cut short with random bytes after. */
function chooseCheckpoint(corrupt) {
  const { bytes, name } = globalThis.savedCheckpoint;
  const content = corrupt ? new Uint8Array([...bytes.subarray(0, 200), ...crypto.getRandomValues(new Uint8Array(300))]) : bytes;
  const transfer = new DataTransfer();
  transfer.items.add(new File([content], corrupt ? 'corrupt.safetensors' : name));
  const input = document.getElementById('load-file');
  input.files = transfer.files;
  input.dispatchEvent(new Event('change', { bubbles: true }));
  return true;
}

// The embed example's elements.
const elementState = (id) => {
  const element = document.getElementById(id);
  const mode = element?.shadowRoot.querySelector('.mode');
  return { step: element?.step ?? 0, running: !!element?.running, mode: mode?.textContent, why: mode?.title, errors: element?.errors ?? [] };
};
const inkedCanvas = ([id, selector]) => {
  const canvas = document.getElementById(id).shadowRoot.querySelector(selector);
  if (!canvas?.width) return 0;
  const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
  let inked = 0;
  for (let i = 0; i < data.length; i += 4) if (data[i] !== data[0] || data[i + 1] !== data[1] || data[i + 2] !== data[2] || data[i + 3] !== data[3]) inked++;
  return inked / (data.length / 4);
};

for (const name of ENGINES) {
  describe(`in ${name}`, () => {
    let engine;
    let isolated;
    let plain;
    let page;

    before(async () => {
      assertBuilt();
      isolated = await startServer({ port: 0 });
      plain = await startServer({ port: 0, isolation: false });
      engine = await launchEngine(name);
    });

    after(async () => {
      await page?.close().catch(() => {});
      await engine?.close();
      await isolated?.close();
      await plain?.close();
    });

    test('the page loads, on threads where the engine can share memory with workers, and trains', async (t) => {
      page = await engine.open(`${isolated.url}?preset=small&seed=3`);
      assert.deepEqual((await page.waitFor(pageReady, null, { timeout: 120000, what: 'the page to be ready' })).errors, []);
      const badge = await page.evaluate(() => ({
        text: document.getElementById('mode').textContent, why: document.getElementById('mode').title,
        reported: navigator.hardwareConcurrency, isolated: globalThis.crossOriginIsolated,
      }));
      const shares = await page.evaluate(canShareMemoryWithWorkers);
      t.diagnostic(`${engine.name} ${engine.version}: "${badge.text}" (tooltip "${badge.why}"; the engine reports ${badge.reported} cores, `
        + `this machine has ${availableParallelism()}; a shared memory can${shares ? '' : 'not'} be sent to a worker)`);
      assert.equal(badge.isolated, true);
      const threads = Number(/WebAssembly SIMD · (\d+) threads?/.exec(badge.text)?.[1]);
      if (shares) {
        // Cross-origin isolated: threads by capability, as many as there are cores.
        assert.equal(threads, CORES, `${badge.text} (${badge.why})`);
      } else {
        // WebKitGTK 2.50: a shared memory is created, but cannot be sent to any worker.
        assert.equal(threads, 1, badge.text);
        assert.equal(badge.why, 'this engine cannot send a shared WebAssembly.Memory to a worker');
        assert.match(badge.text, /\(this engine cannot send a shared WebAssembly\.Memory to a worker\)$/);
      }

      await page.evaluate(click, 'start');
      await page.waitFor(() => Number(document.getElementById('step-count').textContent) >= 30, null, { timeout: 60000, what: 'step 30' });
      const grid = await page.evaluate(gridPixels);
      assert.ok(grid.inked > 0.2, `the samples are drawn (${grid.inked})`);
      await page.evaluate(click, 'pause');
      await page.waitFor(() => !globalThis.wasmGan.session.running, null, { what: 'the pause' });
      assert.deepEqual([...page.errors, ...await page.evaluate(pageErrors)], []);
    });

    test('a saved checkpoint loads back to the same samples; a corrupt one is refused and training goes on', async () => {
      const saved = await page.evaluate(saveCheckpoint);
      assert.match(saved.name, /^wasm-gan-small-step\d+\.safetensors$/);
      assert.ok(saved.size > 1000, `${saved.size} bytes`);
      const before = await page.evaluate(gridPixels);
      await page.evaluate(() => globalThis.wasmGan.session.step(3));
      assert.notEqual((await page.evaluate(gridPixels)).hash, before.hash, 'training moved the samples');

      await page.evaluate(chooseCheckpoint, false);
      await page.waitFor(() => /Loaded|Could not/.test(document.getElementById('message').textContent), null, { timeout: 60000, what: 'the load' });
      assert.match((await page.evaluate(state)).message, /^Loaded /);
      assert.equal((await page.evaluate(gridPixels)).hash, before.hash, 'the same samples as when saved');

      await page.evaluate(click, 'start');
      await page.waitFor(() => globalThis.wasmGan.session.running, null, { what: 'training' });
      await page.evaluate(chooseCheckpoint, true);
      await page.waitFor(() => /Could not load/.test(document.getElementById('message').textContent), null, { timeout: 60000, what: 'the refusal' });
      const refused = await page.evaluate(state);
      assert.equal(refused.messageClass, 'message error');
      assert.equal(refused.running, true);
      await page.waitFor((at) => Number(document.getElementById('step-count').textContent) > at + 5, refused.step, { what: 'training to go on' });
      await page.evaluate(click, 'pause');
      // The refusal is the user's error, in the message line: not an error of the page.
      assert.deepEqual([...page.errors, ...await page.evaluate(pageErrors)], []);
    });

    test('errors in the page and in its workers reach the test', async () => {
      await page.evaluate(() => {
        // The training worker answers a request it does not know with an error event.
        globalThis.wasmGan.session.client.worker.postMessage({ type: 'no-such-request' });
        setTimeout(() => { throw new Error('thrown in the page on purpose'); });
        return true;
      });
      const errors = await page.waitFor(() => (globalThis.wasmGan.errors.length >= 2 ? globalThis.wasmGan.errors : null), null, { what: 'the errors' });
      assert.ok(errors.some((error) => /^worker BAD_REQUEST: unknown request type "no-such-request"/.test(error)), errors.join('\n'));
      assert.ok(errors.some((error) => /thrown in the page on purpose/.test(error)), errors.join('\n'));
      await page.screenshot(join(OUTPUT, `engines-${name}-page.png`));
      await page.close();
      page = null;
    });

    test('the embed example trains without COOP/COEP, on one thread, saying why', async () => {
      page = await engine.open(`${plain.url}embed-example.html`, { viewport: { width: 900, height: 1000 } });
      await page.waitFor(() => document.getElementById('toy')?.step >= 300, null, { timeout: 120000, what: 'the toy widget to train' });
      await page.waitFor(() => document.getElementById('mnist')?.step >= 20, null, { timeout: 120000, what: 'the MNIST widget to train' });
      assert.ok(await page.evaluate(inkedCanvas, ['toy', 'canvas.figure1']) > 0.02, 'Figure 1 drawn');
      await page.waitFor(inkedCanvas, ['mnist', 'canvas.grid'], { timeout: 10000, what: 'the MNIST samples' });
      assert.ok(await page.evaluate(inkedCanvas, ['mnist', 'canvas.grid']) > 0.2, 'MNIST samples drawn');
      assert.equal(await page.evaluate(() => globalThis.crossOriginIsolated), false);
      for (const id of ['toy', 'mnist']) {
        const element = await page.evaluate(elementState, id);
        assert.match(element.mode, /^(SIMD|scalar) · 1 thread$/);
        assert.equal(element.why, 'not cross-origin isolated (no COOP/COEP headers)');
        assert.deepEqual(element.errors, [], `${id}: ${element.errors.join('; ')}`);
      }
      await page.screenshot(join(OUTPUT, `engines-${name}-embed.png`));
      assert.deepEqual(page.errors, []);
      await page.close();
      page = null;
    });
  });
}
