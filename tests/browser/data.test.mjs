// Their own data in the page and the element: IDX files (raw, gzip, dropped),
// PNG images of one size, Fashion-MNIST when the build has it, and the
// element's `data` attribute. Wrong inputs get one message and the model
// already training goes on untouched.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { PNG } from 'pngjs';
import { ROOT, launch, openPage, readCanvas, stepOf, until } from './harness.mjs';
import { encodeIdxImages } from '../../web/runtime/idx.js';

const dir = mkdtempSync(join(tmpdir(), 'wasm-gan-data-'));

/** count x side x side images of a bright square at varying places. */
function pixels(count, side) {
  const images = new Uint8Array(count * side * side);
  for (let n = 0; n < count; n++) {
    const x0 = n % (side - 4);
    const y0 = (n * 7) % (side - 4);
    for (let y = y0; y < y0 + 4; y++) for (let x = x0; x < x0 + 4; x++) images[n * side * side + y * side + x] = 255;
  }
  return images;
}

function writePngs(name, count, side, { oddOne = false } = {}) {
  const paths = [];
  const images = pixels(count, side);
  for (let n = 0; n < count; n++) {
    const size = oddOne && n === count - 1 ? side + 1 : side;
    const png = new PNG({ width: size, height: size });
    for (let p = 0; p < size * size; p++) {
      const value = size === side ? images[n * side * side + p] : 128;
      png.data.set([value, value, value, 255], p * 4);
    }
    const path = join(dir, `${name}-${n}.png`);
    writeFileSync(path, PNG.sync.write(png));
    paths.push(path);
  }
  return paths;
}

const idx16 = encodeIdxImages(pixels(200, 16), 200, 16, 16);
const files = {
  idxGzip: join(dir, 'squares-16.idx3-ubyte.gz'),
  truncated: join(dir, 'truncated.idx3-ubyte'),
  text: join(dir, 'notes.txt'),
};
writeFileSync(files.idxGzip, gzipSync(idx16));
writeFileSync(files.truncated, idx16.subarray(0, idx16.length - 100));
writeFileSync(files.text, 'these are not images\n');
const pngs = writePngs('good', 120, 12);
const mixed = writePngs('mixed', 120, 12, { oddOne: true });
const few = writePngs('few', 50, 12);

describe('their own data', () => {
  let env;
  let page;
  let errors;

  before(async () => {
    env = await launch();
    ({ page, errors } = await openPage(env.browser, env.server.url));
    await page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 90000 });
  });

  after(async () => {
    await env?.close();
  });

  const dataDim = () => page.evaluate(() => Number(globalThis.wasmGan.session.config.data_dim));
  const waitForMessage = (pattern) => page.waitForFunction((source) => new RegExp(source).test(document.getElementById('message').textContent),
    pattern.source, { timeout: 60000 });

  test('wrong inputs get one message each, and the model training goes on untouched', async () => {
    await page.click('#start');
    await until(async () => (await stepOf(page)) > 20, { what: 'MNIST training' });
    for (const [chosen, reason] of [
      [[files.truncated], /truncated/],
      [[files.text], /notes\.txt is neither an IDX file \(raw or gzip\) nor a PNG or JPEG image/],
      [mixed, /the images are not all one size: mixed-0\.png is 12x12, mixed-119\.png is 13x13/],
      [few, /50 images; training needs at least 100/],
      [[pngs[0], files.idxGzip], /choose either IDX files or images, not both/],
    ]) {
      await page.evaluate(() => { document.getElementById('message').textContent = ''; });
      const at = await stepOf(page);
      await page.setInputFiles('#data-files', chosen);
      await waitForMessage(/Not used: /);
      const message = await page.textContent('#message');
      assert.match(message, reason);
      assert.match(message, /Training carries on unchanged\.$/);
      assert.equal(await page.getAttribute('#message', 'class'), 'message error');
      assert.equal(await dataDim(), 784, 'the MNIST model stays');
      assert.equal(await page.evaluate(() => globalThis.wasmGan.session.running), true, 'still training');
      await until(async () => (await stepOf(page)) > at + 5, { what: 'training to go on' });
    }
    assert.equal(await page.inputValue('#data-choice'), 'mnist');
  });

  test('a gzip IDX file of 16x16 images trains a model sized to them, and the views follow', async () => {
    await page.setInputFiles('#data-files', files.idxGzip);
    await waitForMessage(/Training data: squares-16/);
    assert.match(await page.textContent('#message'), /200 images of 16x16; a fresh small model/);
    assert.equal(await dataDim(), 256);
    assert.equal(await page.evaluate(() => globalThis.wasmGan.session.config['g.layers.4.units']), '256');
    assert.equal(await page.isHidden('#neighbours-panel'), true, 'the neighbour search knows MNIST only');
    assert.equal(await page.isHidden('#evaluate-panel'), true);
    await page.click('#start');
    await until(async () => (await stepOf(page)) > 30, { what: 'training on the squares' });
    await page.evaluate(() => globalThis.wasmGan.session.refresh());
    const grid = await readCanvas(page, () => document.getElementById('grid'));
    assert.equal(grid.width, 8 * 17 - 1, 'an 8 x 8 grid of 16-pixel images');
    assert.equal(await page.inputValue('#data-choice'), 'custom');
    await page.click('#pause');
  });

  test('PNG images, dropped on the page, train a model of their size', async () => {
    await page.waitForSelector('#start:not([disabled])');
    const { readFileSync } = await import('node:fs');
    const encoded = pngs.map((path) => readFileSync(path).toString('base64'));
    await page.evaluate((list) => {
      const transfer = new DataTransfer();
      list.forEach((text, n) => transfer.items.add(new File([Uint8Array.from(atob(text), (c) => c.charCodeAt(0))], `drop-${n}.png`, { type: 'image/png' })));
      document.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, encoded);
    await waitForMessage(/Training data: drop-0\.png … drop-119\.png, 120 images of 12x12/);
    assert.equal(await dataDim(), 144);
    await page.click('#start');
    await until(async () => (await stepOf(page)) > 20, { what: 'training on the PNGs' });
    await page.click('#pause');
  });

  test('Fashion-MNIST when the build has it, and back to MNIST', async (t) => {
    if (!existsSync(join(ROOT, 'web/data/fashion-train-images-idx3-ubyte.gz'))) { t.skip('this build has no Fashion-MNIST'); return; }
    await page.waitForSelector('#start:not([disabled])');
    await page.selectOption('#data-choice', 'fashion-mnist');
    await waitForMessage(/Training data: Fashion-MNIST, 50,000 images of 28x28/);
    assert.equal(await dataDim(), 784);
    assert.equal(await page.inputValue('#data-choice'), 'fashion-mnist');
    await page.selectOption('#data-choice', 'mnist');
    await waitForMessage(/Training data: MNIST/);
    assert.equal(await page.isHidden('#neighbours-panel'), false);
    await page.click('#start');
    await until(async () => (await stepOf(page)) > 20, { what: 'training on MNIST again' });
    assert.deepEqual(errors, []);
  });

  test('the element trains on the IDX file its data attribute names; a bad one is explained', async () => {
    const opened = await openPage(env.browser, 'about:blank');
    await opened.context.route('**/tutorial/squares.idx3-ubyte.gz', (route) => route.fulfill({ body: gzipSync(idx16) }));
    await opened.context.route('**/tutorial/truncated.idx3-ubyte', (route) => route.fulfill({ body: Buffer.from(idx16.subarray(0, 500)) }));
    await opened.page.goto(`${env.server.url}embed-example.html`);
    const ready = (url) => opened.page.evaluate((data) => new Promise((resolve) => {
      const element = document.createElement('gan-trainer');
      element.setAttribute('data', data);
      element.addEventListener('gan-ready', ({ detail }) => resolve({
        dataDim: Number(detail.config.data_dim),
        origin: element.shadowRoot.querySelector('.origin').textContent,
        problem: element.shadowRoot.querySelector('.problem').hidden ? null : element.shadowRoot.querySelector('.problem').textContent,
      }));
      document.body.append(element);
    }), url);
    assert.deepEqual(await ready('tutorial/squares.idx3-ubyte.gz'), { dataDim: 256, origin: 'data: squares.idx3-ubyte.gz', problem: null });
    const bad = await ready('tutorial/truncated.idx3-ubyte');
    assert.equal(bad.dataDim, 784, 'MNIST instead');
    assert.match(bad.problem, /^Could not use the data tutorial\/truncated\.idx3-ubyte: .*truncated.*Training on MNIST instead\.$/);
    await opened.context.close();
  });
});
