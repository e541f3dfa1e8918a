// A tutorial's trained start: ?checkpoint=URL on the page and the element's
// `checkpoint` attribute open on a checkpoint the CLI trained, before the
// first frame; a missing or corrupt one is refused with one message, and the
// fresh model still trains.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, launch, openPage, stepOf, until } from './harness.mjs';

const CHECKPOINT_STEPS = 300;

describe('a trained start', () => {
  let env;
  let good;

  before(async () => {
    const out = mkdtempSync(join(tmpdir(), 'wasm-gan-tutorial-'));
    execFileSync(process.execPath, [join(ROOT, 'bin/wasm-gan.mjs'), 'train', '--preset', 'small', '--steps', String(CHECKPOINT_STEPS),
      '--seed', '5', '--threads', '1', '--quiet', '--out', out], { stdio: 'inherit' });
    good = readFileSync(join(out, 'checkpoint.safetensors'));
    env = await launch();
  });

  after(async () => {
    await env?.close();
  });

  // The checkpoints live beside the page, as an author hosts them.
  async function open(path) {
    const opened = await openPage(env.browser, 'about:blank');
    await opened.context.route('**/tutorial/good.safetensors', (route) => route.fulfill({ body: good, contentType: 'application/octet-stream' }));
    await opened.context.route('**/tutorial/corrupt.safetensors',
      (route) => route.fulfill({ body: Buffer.concat([good.subarray(0, 200), randomBytes(400)]) }));
    // Every 'configured' event the page's session emits, from the first.
    await opened.page.addInitScript(() => {
      globalThis.__configured = [];
      const watch = setInterval(() => {
        const session = globalThis.wasmGan?.session;
        if (!session) return;
        clearInterval(watch);
        session.addEventListener('configured', ({ detail }) => globalThis.__configured.push({ step: detail.step ?? 0, loaded: !!detail.loaded }));
        const draw = session.loop.draw;
        globalThis.__firstDrawStep = null;
        session.loop.draw = (...args) => {
          if (session.config) globalThis.__firstDrawStep ??= session.currentStep;
          return draw(...args);
        };
      }, 0);
    });
    await opened.page.goto(`${env.server.url}${path}`);
    await opened.page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 90000 });
    return opened;
  }

  test('?checkpoint= opens on the trained model, before the first frame; it trains on and resets', async () => {
    const { page, errors, context } = await open('?checkpoint=tutorial/good.safetensors');
    assert.match(await page.textContent('#message'), new RegExp(`Opened the checkpoint tutorial/good.safetensors: small, step ${CHECKPOINT_STEPS}`));
    assert.equal(await stepOf(page), CHECKPOINT_STEPS);
    assert.deepEqual(await page.evaluate(() => globalThis.__configured), [{ step: CHECKPOINT_STEPS, loaded: true }],
      'the fresh model is never shown: the first model the views see is the checkpoint');
    await page.evaluate(() => globalThis.wasmGan.session.refresh());
    assert.equal(await page.evaluate(() => globalThis.__firstDrawStep), CHECKPOINT_STEPS, 'the first frame draws the checkpoint');
    assert.equal(await page.evaluate(() => globalThis.wasmGan.session.config.preset), 'small');
    assert.equal(await page.inputValue('#preset'), 'small');
    assert.equal(await page.inputValue('#seed'), '5', 'the form shows the checkpoint\'s settings');
    assert.match(page.url(), /checkpoint=tutorial%2Fgood\.safetensors/, 'the URL keeps the checkpoint');

    await page.click('#start');
    await until(async () => (await stepOf(page)) > CHECKPOINT_STEPS + 20, { what: 'training on from the checkpoint' });
    await page.click('#pause');
    await page.waitForSelector('#start:not([disabled])');
    await page.click('#reset');
    await until(async () => (await stepOf(page)) === 0, { what: 'reset to step 0' });
    await context.close();
    assert.deepEqual(errors, []);
  });

  for (const [what, path, reason] of [
    ['a missing file', 'tutorial/missing.safetensors', /the server answered 404/],
    ['a corrupt file', 'tutorial/corrupt.safetensors', /checkpoint/i],
  ]) {
    test(`${what} is refused with one message, and the fresh model trains`, async () => {
      const { page, context } = await open(`?checkpoint=${path}`);
      const message = await page.textContent('#message');
      assert.match(message, new RegExp(`^Could not load the checkpoint ${path}: `));
      assert.match(message, reason);
      assert.match(message, /The cgan preset starts from fresh weights instead\.$/);
      assert.equal(await page.getAttribute('#message', 'class'), 'message error');
      assert.equal(await stepOf(page), 0);
      await page.click('#start');
      await until(async () => (await stepOf(page)) > 20, { what: 'the fresh model to train' });
      await context.close();
    });
  }

  test('the element\'s checkpoint attribute opens on it; a bad one is explained and the element trains', async () => {
    const opened = await openPage(env.browser, 'about:blank');
    await opened.context.route('**/tutorial/good.safetensors', (route) => route.fulfill({ body: good }));
    await opened.page.goto(`${env.server.url}embed-example.html`);
    const ready = (url) => opened.page.evaluate((checkpoint) => new Promise((resolve) => {
      const element = document.createElement('gan-trainer');
      element.id = `from-${checkpoint.replace(/\W/g, '')}`;
      element.setAttribute('checkpoint', checkpoint);
      element.setAttribute('views', 'samples');
      element.addEventListener('gan-ready', ({ detail }) => resolve({
        id: element.id, checkpoint: detail.checkpoint, step: element.step,
        origin: element.shadowRoot.querySelector('.origin').textContent,
        problem: element.shadowRoot.querySelector('.problem').hidden ? null : element.shadowRoot.querySelector('.problem').textContent,
      }));
      document.body.append(element);
    }), url);
    const loaded = await ready('tutorial/good.safetensors');
    assert.deepEqual(loaded.checkpoint, { url: 'tutorial/good.safetensors', step: CHECKPOINT_STEPS, preset: 'small' });
    assert.equal(loaded.step, CHECKPOINT_STEPS);
    assert.equal(loaded.origin, 'checkpoint: small');
    assert.equal(loaded.problem, null);

    const missing = await ready('tutorial/missing.safetensors');
    assert.equal(missing.checkpoint, null);
    assert.match(missing.problem, /^Could not load the checkpoint tutorial\/missing\.safetensors: the server answered 404.*Training from fresh weights instead\.$/);
    await opened.page.evaluate((id) => document.getElementById(id).play(), missing.id);
    await until(async () => (await opened.page.evaluate((id) => document.getElementById(id).step, missing.id)) > 10, { what: 'the element to train' });
    await opened.context.close();
    assert.deepEqual(opened.errors.filter((error) => !/404/.test(error)), []);
  });
});
