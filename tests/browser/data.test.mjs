// Their own data in the page and the element: IDX files (raw, gzip, dropped),
// PNG images of one size, CIFAR-10's binary files (generated here in that
// format) drawn in colour, Fashion-MNIST when the build has it, and the
// element's `data` attribute. Wrong inputs, and presets whose layers do not
// fit the images (with the core's reason), get one message and the model
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
import { CIFAR_TRAINING_FILES, encodeCifar } from '../../web/runtime/cifar.js';

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
/** CIFAR-10 binary files of `per` colour images each: a hue per image, a ramp along x. */
function cifarBatch(per, seed) {
  const images = new Uint8Array(per * 3072);
  let s = seed;
  const random = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
  for (let n = 0; n < per; n++) {
    const hue = [random(), random(), random()];
    for (let p = 0; p < 1024; p++) for (let c = 0; c < 3; c++) images[n * 3072 + 3 * p + c] = Math.floor(255 * hue[c] * ((p % 32) / 31));
  }
  return encodeCifar(images, Uint8Array.from({ length: per }, (_, n) => n % 10));
}
const cifar = CIFAR_TRAINING_FILES.map((name, n) => {
  const path = join(dir, name);
  writeFileSync(path, cifarBatch(30, n + 1));
  return path;
});
files.cifarShort = join(dir, 'short.bin');
writeFileSync(files.cifarShort, cifarBatch(2, 9).subarray(0, 5000));
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
      [[files.text], /notes\.txt is neither an IDX file \(raw or gzip\), a CIFAR-10 binary file \(\.bin\) nor a PNG or JPEG image/],
      [[files.cifarShort], /short\.bin: is 5,000 bytes, not a whole number of 3,073-byte records/],
      [mixed, /the images are not all one size: mixed-0\.png is 12x12, mixed-119\.png is 13x13/],
      [few, /50 images; training needs at least 100/],
      [[pngs[0], files.idxGzip], /choose one kind of file: IDX files, CIFAR-10 binary files or images, not a mix/],
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
    assert.match(await page.textContent('#message'), /200 images of 16x16; a fresh cgan model/);
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

  test('CIFAR-10 binary files train a colour model; a preset whose layers do not fit the images is refused with the core\'s reason', async () => {
    if (await page.evaluate(() => globalThis.wasmGan.session.running)) await page.click('#pause');
    await page.waitForSelector('#start:not([disabled])');
    const color = () => page.evaluate(() => globalThis.wasmGan.session.customData?.channels ?? 1);
    // paper-cifar-conv on MNIST: the core says why, and the MNIST model stays
    await page.selectOption('#preset', 'paper-cifar-conv');
    if (await page.isVisible('#pending')) await page.click('#reset');
    await waitForMessage(/Not applied: /);
    assert.match(await page.textContent('#message'), /Not applied: the paper-cifar-conv preset does not fit MNIST's 1 x 28 x 28 images: G's output, 3 x 32 x 32 \(3072 values\), is not the data's shape 1 x 28 x 28 \(data_dim 784\) \(it takes 3 x 32 x 32 images\)\. Choose CIFAR-10's binary files \(data_batch_1\.bin … data_batch_5\.bin\) under Data first\./);
    assert.equal(await dataDim(), 784);
    await page.selectOption('#preset', 'cgan'); // back from the refused preset: at step 0 it applies at once
    await page.waitForSelector('#data-files:not([disabled])'); // the page takes no files while it builds a model

    // the five files: the default model sized to 3 x 32 x 32, drawn in colour
    await page.setInputFiles('#data-files', cifar);
    await waitForMessage(/Training data: data_batch_1\.bin … data_batch_5\.bin, 150 images of 32x32 in colour; a fresh cgan model/);
    assert.equal(await dataDim(), 3072);
    assert.equal(await color(), 3);
    const config = await page.evaluate(() => globalThis.wasmGan.session.config);
    assert.deepEqual([config.data_channels, config.data_height, config.data_width, config['g.layers.4.units']], ['3', '32', '32', '3072']);
    await page.click('#start');
    await until(async () => (await stepOf(page)) > 20, { what: 'training on CIFAR-10 files' });
    await page.click('#pause');
    await page.evaluate(() => globalThis.wasmGan.session.refresh());
    const grid = await readCanvas(page, () => document.getElementById('grid'));
    assert.equal(grid.width, 8 * 33 - 1, 'an 8 x 8 grid of 32-pixel images');
    let coloured = 0;
    for (let i = 0; i < grid.pixels.length; i += 4) if (Math.abs(grid.pixels[i] - grid.pixels[i + 2]) > 20) coloured++;
    assert.ok(coloured > 500, `${coloured} coloured pixels in the grid`);

    // the conv preset's G makes 1 x 28 x 28 images: refused, the CIFAR model stays
    await page.selectOption('#preset', 'conv');
    await page.click('#reset');
    await waitForMessage(/Not applied: the conv preset does not fit data_batch_1\.bin … data_batch_5\.bin's 3 x 32 x 32 images: G's output, 1 x 28 x 28 \(784 values\), is not the data's shape 3 x 32 x 32 \(data_dim 3072\) \(it takes 1 x 28 x 28 images\)/);
    assert.equal(await dataDim(), 3072);
    await page.selectOption('#preset', 'cgan');
    await page.selectOption('#data-choice', 'mnist');
    await waitForMessage(/Training data: MNIST/);
    assert.equal(await dataDim(), 784);
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
    await opened.context.route('**/tutorial/data_batch_1.bin', (route) => route.fulfill({ body: Buffer.from(cifarBatch(120, 3)) }));
    assert.deepEqual(await ready('tutorial/data_batch_1.bin'), { dataDim: 3072, origin: 'data: data_batch_1.bin', problem: null });
    // paper-cifar-conv without CIFAR-10 images: the element says why, with the core's reason
    const refused = await opened.page.evaluate(() => new Promise((resolve) => {
      const element = document.createElement('gan-trainer');
      element.setAttribute('preset', 'paper-cifar-conv');
      document.body.append(element);
      const timer = setInterval(() => {
        if (!element.errors.length) return;
        clearInterval(timer);
        resolve(element.shadowRoot.querySelector('.problem').textContent);
      }, 100);
    }));
    assert.match(refused, /^Cannot train: the paper-cifar-conv preset does not fit MNIST's 1 x 28 x 28 images: G's output, 3 x 32 x 32 \(3072 values\), is not the data's shape 1 x 28 x 28 \(data_dim 784\) \(it takes 3 x 32 x 32 images\)\. Give it a data attribute naming one of CIFAR-10's binary files/);
    const bad = await ready('tutorial/truncated.idx3-ubyte');
    assert.equal(bad.dataDim, 784, 'MNIST instead');
    assert.match(bad.problem, /^Could not use the data tutorial\/truncated\.idx3-ubyte: .*truncated.*Training on MNIST instead\.$/);
    await opened.context.close();
  });
});
