// The paper's metric in the page and the element: Evaluate runs the Parzen
// estimate in a worker of its own, with progress, while training and drawing
// go on, and its figure is `wasm-gan eval`'s for the same checkpoint and
// counts (fewer than the paper's 10,000, for speed).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { OUTPUT, ROOT, launch, openPage, stepOf, until } from './harness.mjs';

const SAMPLES = 600;
const TEST_IMAGES = 400;

describe('Evaluate', () => {
  let env;
  let checkpoint;
  let expected;

  before(async () => {
    const out = mkdtempSync(join(tmpdir(), 'wasm-gan-evaluate-'));
    const cli = (...args) => execFileSync(process.execPath, [join(ROOT, 'bin/wasm-gan.mjs'), ...args], { encoding: 'utf8' });
    cli('train', '--preset', 'small', '--steps', '300', '--seed', '3', '--threads', '1', '--quiet', '--out', out);
    checkpoint = readFileSync(join(out, 'checkpoint.safetensors'));
    expected = JSON.parse(cli('eval', '--checkpoint', join(out, 'checkpoint.safetensors'),
      '--samples', String(SAMPLES), '--test', String(TEST_IMAGES), '--json'));
    env = await launch();
  });

  after(async () => {
    await env?.close();
  });

  async function open(path) {
    const opened = await openPage(env.browser, 'about:blank');
    await opened.context.route('**/tutorial/model.safetensors', (route) => route.fulfill({ body: checkpoint }));
    await opened.page.goto(`${env.server.url}${path}`);
    return opened;
  }

  test("the page's Evaluate gives wasm-gan eval's figure, with progress, while training and drawing go on", async () => {
    const { page, errors, context } = await open(`?checkpoint=tutorial/model.safetensors&evaluate_samples=${SAMPLES}&evaluate_test=${TEST_IMAGES}`);
    await page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 90000 });
    assert.deepEqual(await page.$$eval('#evaluate-panel tbody tr td:first-child', (cells) => cells.map((cell) => cell.textContent)),
      ['DBN', 'Stacked CAE', 'Deep GSN', 'Adversarial nets', 'this model']);
    assert.equal(await page.textContent('#evaluate-panel tbody tr:nth-child(4) td:nth-child(2)'), '225 ± 2');

    // Evaluate the checkpoint itself (paused at its step), then train on while a second evaluation runs.
    const result = await page.evaluate(() => globalThis.wasmGan.evaluation.run());
    assert.equal(result.step, 300);
    assert.equal(result.samples, SAMPLES);
    assert.equal(result.validation, 1000);
    assert.equal(result.test, TEST_IMAGES);
    assert.equal(result.sigma, expected.sigma, 'the same sigma as wasm-gan eval');
    // Scored in parts aligned with the core's blocks: the same bits as eval's one call.
    assert.equal(result.mean, expected.mean, "the same mean as wasm-gan eval");
    assert.equal(result.std_error, expected.std_error, "the same standard error");
    assert.deepEqual(result.validation_mean, expected.validation_mean, "the same validation means");
    assert.equal(await page.textContent('#evaluate-panel .evaluate-figure'), `${expected.mean.toFixed(1)} ± ${expected.std_error.toFixed(1)}`);
    assert.match(await page.textContent('#evaluate-panel .evaluate-detail'), new RegExp(`^sigma ${expected.sigma.toFixed(4)}, chosen on 1,000 validation images`));

    await page.locator('#evaluate-panel').screenshot({ path: join(OUTPUT, 'page-evaluate.png') });

    await page.click('#start');
    await until(async () => (await stepOf(page)) > 310, { what: 'training' });
    const before = await page.evaluate(() => ({ frames: globalThis.wasmGan.session.loop.frames, step: globalThis.wasmGan.session.currentStep }));
    await page.click('#evaluate-panel .evaluate-run');
    // Progress shows while it runs.
    await page.waitForFunction(() => {
      const bar = document.querySelector('#evaluate-panel .evaluate-progress');
      return !bar.hidden && bar.value > 0;
    }, null, { timeout: 60000, polling: 20 });
    const during = await page.evaluate(() => ({ frames: globalThis.wasmGan.session.loop.frames, step: globalThis.wasmGan.session.currentStep }));
    await page.waitForFunction(() => /Evaluated at step/.test(document.querySelector('#evaluate-panel .evaluate-status').textContent), null, { timeout: 120000 });
    const later = await page.evaluate(() => ({ frames: globalThis.wasmGan.session.loop.frames, step: globalThis.wasmGan.session.currentStep }));
    assert.ok(later.step > during.step && during.step >= before.step, `training went on: steps ${before.step}, ${during.step}, ${later.step}`);
    assert.ok(later.frames > before.frames + 2, `the page kept drawing: frames ${before.frames} -> ${later.frames}`);
    assert.equal(await page.evaluate(() => globalThis.wasmGan.session.running), true);
    await context.close();
    assert.deepEqual(errors, []);
  });

  test('the element offers it as a view', async () => {
    const { page, errors, context } = await open('embed-example.html');
    const result = await page.evaluate(([samples, testImages]) => new Promise((resolve, reject) => {
      const element = document.createElement('gan-trainer');
      element.setAttribute('checkpoint', 'tutorial/model.safetensors');
      element.setAttribute('views', 'samples,evaluate');
      element.setAttribute('evaluate_samples', String(samples));
      element.setAttribute('evaluate_test', String(testImages));
      element.addEventListener('gan-ready', () => element.evaluate().then((answer) => resolve({
        answer,
        figure: element.shadowRoot.querySelector('.evaluate-figure').textContent,
        rows: element.shadowRoot.querySelectorAll('.evaluate-table tbody tr').length,
      }), reject));
      document.body.append(element);
    }), [SAMPLES, TEST_IMAGES]);
    assert.equal(result.rows, 5);
    assert.equal(result.answer.sigma, expected.sigma);
    assert.equal(result.answer.mean, expected.mean);
    assert.equal(result.figure, `${expected.mean.toFixed(1)} ± ${expected.std_error.toFixed(1)}`);
    await context.close();
    assert.deepEqual(errors, []);
  });
});
