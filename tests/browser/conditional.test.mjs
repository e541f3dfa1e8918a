// Class-conditional models on the page and in the element: the class
// picker, the grid with one row per class, a picked class's grid (the same
// bits as the worker's own `sample {class}`), interpolation within a class
// and between classes at fixed z (the same bits as `interpolate {classes0,
// classes1}`), their own data with labels (an IDX labels file, CIFAR-10's
// records and class names) and without (the setting switches to none, with
// a note), and the element's `label` attribute with its bad values.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { OUTPUT, ROOT, launch, openPage, stepOf, until } from './harness.mjs';
import { encodeIdxImages, encodeIdxLabels } from '../../web/runtime/idx.js';
import { encodeCifar } from '../../web/runtime/cifar.js';

const dir = mkdtempSync(join(tmpdir(), 'wasm-gan-conditional-'));
// 200 16 x 16 images of squares whose size is their label (0-9), so the labels mean something.
const labels16 = Uint8Array.from({ length: 200 }, (_, n) => (n * 7) % 10);
const pixels16 = new Uint8Array(200 * 256);
labels16.forEach((label, n) => {
  for (let y = 0; y < 16; y++) for (let x = 0; x < 16; x++) if (x <= label + 3 && y <= label + 3) pixels16[n * 256 + y * 16 + x] = 255;
});
const files = {
  images: join(dir, 'squares-images.idx3-ubyte.gz'),
  labels: join(dir, 'squares-labels.idx1-ubyte'),
  cifar: join(dir, 'data_batch_1.bin'),
};
writeFileSync(files.images, gzipSync(encodeIdxImages(pixels16, 200, 16, 16)));
writeFileSync(files.labels, encodeIdxLabels(labels16));
const cifarImages = new Uint8Array(120 * 3072);
for (let i = 0; i < cifarImages.length; i++) cifarImages[i] = (i * 31 + (i >> 10) * 7) & 255;
writeFileSync(files.cifar, encodeCifar(cifarImages, Uint8Array.from({ length: 120 }, (_, n) => n % 10)));

// In the page: the worker's own answer for the view's grid or strips, compared bit for bit.
function sameBits(a, b) {
  if (a.length !== b.length) return `lengths ${a.length} and ${b.length}`;
  for (let i = 0; i < a.length; i++) if (Object.is(a[i], b[i]) === false) return `value ${i}: ${a[i]} and ${b[i]}`;
  return null;
}

describe('class-conditional models', () => {
  let env;

  before(async () => {
    env = await launch();
  });

  after(async () => {
    await env?.close();
  });

  describe('on the page', () => {
    let page;
    let errors;
    let context;

    before(async () => {
      ({ page, errors, context } = await openPage(env.browser, `${env.server.url}?conditional=auxiliary&seed=5`));
      await page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 90000 });
    });

    after(async () => {
      await context?.close();
    });

    const refresh = () => page.evaluate(() => globalThis.wasmGan.session.refresh());

    test('trains with MNIST\'s labels; the class picker and one row per class', async () => {
      assert.equal(await page.inputValue('#conditional'), 'auxiliary');
      assert.equal(await page.isVisible('#class-picker'), true, 'the picker shows for a conditional model');
      assert.deepEqual(await page.$$eval('#class-picker button', (buttons) => buttons.map((b) => b.textContent)),
        ['All', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      await page.click('#start');
      await until(async () => (await stepOf(page)) >= 150, { what: 'step 150', timeout: 90000 });
      await page.click('#pause');
      await page.waitForSelector('#start:not([disabled])');
      assert.doesNotMatch(await page.textContent('#message'), /label|GAN_ERR/, 'no complaint about labels');
      await refresh();
      // 8 columns of z, 10 rows of classes
      const size = await page.evaluate(() => [document.getElementById('grid').width, document.getElementById('grid').height]);
      assert.deepEqual(size, [8 * 29 - 1, 10 * 29 - 1]);
      // Row r is G(z_c, class r): the worker's own answer for each row, bit for bit.
      const rows = await page.evaluate(async () => {
        const view = globalThis.wasmGan.session.views.samples;
        const client = globalThis.wasmGan.session.client;
        const dim = 784;
        const z = view.gridZ.slice(0, 8 * view.noiseDim);
        const out = [];
        for (const row of [0, 3, 9]) {
          const { images } = await client.sample({ z, class: row });
          const shown = view.values.subarray(row * 8 * dim, (row + 1) * 8 * dim);
          out.push(images.every((v, i) => v === shown[i]));
        }
        const { images: zero } = await client.sample({ z, class: 0 });
        const { images: nine } = await client.sample({ z, class: 9 });
        out.push(zero.some((v, i) => v !== nine[i]));
        return out;
      });
      assert.deepEqual(rows, [true, true, true, true], 'rows 0, 3 and 9 are those classes, and classes differ');
      await page.screenshot({ path: join(OUTPUT, 'conditional-rows.png') });
    });

    test('picking a class makes the whole grid that class, the same bits as sample {class}', async () => {
      await page.click('#class-picker button[data-class="7"]');
      await page.waitForFunction(() => globalThis.wasmGan.session.views.samples.pickedClass === 7);
      assert.equal(await page.getAttribute('#class-picker button[data-class="7"]', 'aria-pressed'), 'true');
      await refresh();
      const size = await page.evaluate(() => [document.getElementById('grid').width, document.getElementById('grid').height]);
      assert.deepEqual(size, [8 * 29 - 1, 8 * 29 - 1], 'an 8 x 8 grid again');
      const result = await page.evaluate(async (check) => {
        const sameBits = (0, eval)(`(${check})`);
        const view = globalThis.wasmGan.session.views.samples;
        const client = globalThis.wasmGan.session.client;
        const seven = (await client.sample({ z: view.gridZ, class: 7 })).images;
        const three = (await client.sample({ z: view.gridZ, class: 3 })).images;
        return { seven: sameBits(view.values, seven), three: sameBits(view.values, three) };
      }, sameBits.toString());
      assert.equal(result.seven, null, 'the grid is G(z, 7)');
      assert.notEqual(result.three, null, 'and not G(z, 3)');
      // the strips follow the picked class: 7, then 8 between classes
      assert.equal(await page.inputValue('#class-from'), '7');
      assert.equal(await page.inputValue('#class-to'), '8');
      assert.match(await page.textContent('#linear-title'), /class 7/);
    });

    test('interpolation within a class and between classes at fixed z', async () => {
      const strips = () => page.evaluate(async (check) => {
        const sameBits = (0, eval)(`(${check})`);
        await globalThis.wasmGan.session.refresh();
        const view = globalThis.wasmGan.session.views.samples;
        const client = globalThis.wasmGan.session.client;
        const out = {};
        for (const strip of ['linear', 'spherical']) {
          const { z0, z1, spherical, classes0, classes1 } = view.stripRequests()[strip];
          const { images } = await client.interpolate(z0, z1, view.stripSteps, spherical, { classes0, classes1 });
          out[strip] = { same: sameBits(view.stripValues[strip], images), from: classes0.indexOf(1), to: classes1.indexOf(1), fixedZ: z0.every((v, i) => v === z1[i]) };
        }
        return out;
      }, sameBits.toString());
      // within class 7: z moves from A to B at class 7
      let result = await strips();
      assert.deepEqual(result.linear, { same: null, from: 7, to: 7, fixedZ: false });
      assert.deepEqual(result.spherical, { same: null, from: 7, to: 7, fixedZ: false });

      await page.check('input[name="interpolation"][value="between"]');
      await page.waitForFunction(() => globalThis.wasmGan.session.views.samples.interpolation === 'between');
      await page.selectOption('#class-to', '1');
      // classPair changes at once, the strips' class rows once the worker has interpolated
      // them: until then a snapshot still draws the strips to the old class
      await page.waitForFunction(() => {
        const view = globalThis.wasmGan.session.views.samples;
        const rows = view.stripClasses?.linear;
        return view.classPair.to === 1 && rows?.[rows.length - view.classes + 1] === 1;
      });
      result = await strips();
      assert.deepEqual(result.linear, { same: null, from: 7, to: 1, fixedZ: true });
      assert.deepEqual(result.spherical, { same: null, from: 7, to: 1, fixedZ: true });
      assert.equal(await page.textContent('#linear-title'), 'Class 7 → 1 at A\'s z');
      // the strip's ends are G(z_A, 7) and G(z_A, 1)
      const ends = await page.evaluate(async () => {
        const view = globalThis.wasmGan.session.views.samples;
        const client = globalThis.wasmGan.session.client;
        const dim = 784;
        const first = (await client.sample({ z: view.endpoints.A, class: 7 })).images;
        const last = (await client.sample({ z: view.endpoints.A, class: 1 })).images;
        const strip = view.stripValues.linear;
        return [first.every((v, i) => v === strip[i]), last.every((v, i) => v === strip[(view.stripSteps - 1) * dim + i])];
      });
      assert.deepEqual(ends, [true, true]);

      // back to one row per class: clicking a cell makes its row the strip's class
      await page.click('#class-picker button[data-class="all"]');
      await page.waitForFunction(() => globalThis.wasmGan.session.views.samples.pickedClass === null);
      await refresh();
      const box = await page.locator('#grid').boundingBox();
      await page.mouse.click(box.x + box.width * (2.5 / 8), box.y + box.height * (4.5 / 10)); // row 4, column 2
      await page.waitForFunction(() => globalThis.wasmGan.session.views.samples.endpointCells.A === 34);
      assert.equal(await page.evaluate(() => globalThis.wasmGan.session.views.samples.classPair.from), 4);
      await page.screenshot({ path: join(OUTPUT, 'conditional-between.png') });
      assert.deepEqual(errors, []);
    });

    test('their own data: labels beside the images train it; without labels it trains unconditionally, with a note', async () => {
      const waitForMessage = (pattern) => page.waitForFunction((source) => new RegExp(source).test(document.getElementById('message').textContent),
        pattern.source, { timeout: 60000 });
      // an IDX images file with its labels file: still conditional, the labels go to the worker
      await page.setInputFiles('#data-files', [files.images, files.labels]);
      await waitForMessage(/Training data: squares-images/);
      assert.equal(await page.evaluate(() => globalThis.wasmGan.session.config.conditional), 'auxiliary');
      assert.equal(await page.isHidden('#note'), true);
      assert.equal(await page.isVisible('#class-picker'), true);
      await page.click('#step');
      await page.waitForFunction(() => Number(document.getElementById('step-count').textContent) >= 1);
      assert.doesNotMatch(await page.textContent('#message'), /label/, 'it trains with the labels');

      // the same images without labels: conditional none, and the note says why
      await page.setInputFiles('#data-files', files.images);
      await page.waitForFunction(() => !document.getElementById('note').hidden, null, { timeout: 60000 });
      await waitForMessage(/Training data: squares-images/);
      assert.equal(await page.evaluate(() => globalThis.wasmGan.session.config.conditional), 'none');
      assert.equal(await page.inputValue('#conditional'), 'none');
      assert.equal(await page.isVisible('#note'), true);
      assert.match(await page.textContent('#note'), /squares-images\.idx3-ubyte\.gz has no labels, so this model trains unconditionally: conditional is set to none/);
      assert.equal(await page.isHidden('#class-picker'), true);
      assert.equal(await page.isHidden('#interpolation-mode'), true);
      await page.click('#start');
      await until(async () => (await stepOf(page)) >= 20, { what: 'the unconditional model to train', timeout: 60000 });
      await page.click('#pause');
      await page.waitForSelector('#start:not([disabled])');

      // asking for a conditional model again on these images: the same note, still unconditional
      await page.selectOption('#conditional', 'auxiliary');
      await page.click('#reset');
      await waitForMessage(/Ready: cgan preset/);
      assert.equal(await page.evaluate(() => globalThis.wasmGan.session.config.conditional), 'none');
      assert.equal(await page.isVisible('#note'), true, 'the note again');

      // CIFAR-10's records carry labels: conditional, the picker named by CIFAR-10's classes
      await page.setInputFiles('#data-files', files.cifar);
      await waitForMessage(/Training data: data_batch_1\.bin/);
      await page.selectOption('#conditional', 'auxiliary'); // at step 0 a setting applies at once
      await page.waitForSelector('#class-picker:not([hidden])', { timeout: 60000 });
      assert.equal(await page.evaluate(() => globalThis.wasmGan.session.config.conditional), 'auxiliary');
      assert.equal(await page.isHidden('#note'), true);
      assert.deepEqual(await page.$$eval('#class-picker button', (buttons) => buttons.map((b) => b.textContent)),
        ['All', 'airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck']);
      await page.click('#step');
      await page.waitForFunction(() => Number(document.getElementById('step-count').textContent) >= 1, null, { timeout: 60000 });
      assert.doesNotMatch(await page.textContent('#message'), /label|GAN_ERR/);
      await refresh();
      await page.screenshot({ path: join(OUTPUT, 'conditional-cifar.png') });
      assert.deepEqual(errors, []);
    });

    test('Fashion-MNIST (when built) brings its labels and class names', async (t) => {
      if (!existsSync(join(ROOT, 'web/data/fashion-train-labels-idx1-ubyte.gz'))) { t.skip('this build has no Fashion-MNIST labels'); return; }
      await page.selectOption('#data-choice', 'fashion-mnist');
      await page.waitForFunction(() => /Training data: Fashion-MNIST/.test(document.getElementById('message').textContent), null, { timeout: 120000 });
      await page.waitForSelector('#class-picker:not([hidden])');
      assert.equal(await page.evaluate(() => globalThis.wasmGan.session.config.conditional), 'auxiliary');
      assert.equal(await page.isHidden('#note'), true);
      assert.deepEqual((await page.$$eval('#class-picker button', (buttons) => buttons.map((b) => b.textContent))).slice(0, 3), ['All', 'T-shirt/top', 'Trouser']);
      await page.click('#step');
      await page.waitForFunction(() => Number(document.getElementById('step-count').textContent) >= 1, null, { timeout: 60000 });
      assert.doesNotMatch(await page.textContent('#message'), /label|GAN_ERR/);
      assert.deepEqual(errors, []);
    });
  });

  describe('the element', () => {
    let page;
    let context;

    before(async () => {
      ({ page, context } = await openPage(env.browser, `${env.server.url}embed-example.html`));
    });

    after(async () => {
      await context?.close();
    });

    // Adds an element with these attributes; resolves when it is ready or lists problems.
    const add = (attributes) => page.evaluate((pairs) => new Promise((resolve) => {
      const element = document.createElement('gan-trainer');
      for (const [name, value] of Object.entries(pairs)) element.setAttribute(name, value);
      const done = (ready) => {
        clearInterval(timer);
        const root = element.shadowRoot;
        const problem = root.querySelector('.problem');
        resolve({
          ready,
          id: element.id,
          problem: problem && !problem.hidden ? problem.textContent.replace(/\s+/g, ' ').trim() : null,
          picker: [...root.querySelectorAll('.class-picker:not([hidden]) button')].map((b) => [b.textContent, b.getAttribute('aria-pressed')]),
        });
      };
      element.addEventListener('gan-ready', () => done(true));
      const timer = setInterval(() => { if (element.shadowRoot.querySelector('.problem:not([hidden])')) done(false); }, 100);
      document.body.append(element);
    }), attributes);

    test('label="7" shows only 7s: the same bits as sample {class: 7}', async () => {
      const shown = await add({ id: 'sevens', conditional: 'auxiliary', label: '7', size: '4', views: 'samples,interpolation', seed: '3' });
      assert.equal(shown.problem, null);
      assert.equal(shown.ready, true);
      assert.equal(shown.picker.length, 11, 'a picker: All and 0-9');
      assert.deepEqual(shown.picker.find(([, checked]) => checked === 'true'), ['7', 'true']);
      const result = await page.evaluate(async (check) => {
        const sameBits = (0, eval)(`(${check})`);
        const element = document.getElementById('sevens');
        const { session } = element;
        await session.step(20);
        await session.refresh();
        const view = session.views.samples;
        const seven = (await session.client.sample({ z: view.gridZ, class: 7 })).images;
        const one = (await session.client.sample({ z: view.gridZ, class: 1 })).images;
        const grid = element.shadowRoot.querySelector('canvas.grid');
        return { count: view.count, size: [grid.width, grid.height], seven: sameBits(view.values, seven), one: sameBits(view.values, one), from: view.classPair.from };
      }, sameBits.toString());
      assert.equal(result.count, 16);
      assert.deepEqual(result.size, [4 * 29 - 1, 4 * 29 - 1]);
      assert.equal(result.seven, null, 'the grid is G(z, 7)');
      assert.notEqual(result.one, null, 'not G(z, 1)');
      assert.equal(result.from, 7, 'the strips interpolate within class 7');
      // without a label: one row per class, 4 columns by 10 rows
      const rows = await add({ id: 'rows', conditional: 'concat', size: '4', views: 'samples' });
      assert.equal(rows.problem, null);
      assert.deepEqual(rows.picker[0], ['All', 'true']);
      const size = await page.evaluate(async () => {
        const { session } = document.getElementById('rows');
        await session.refresh();
        const grid = document.getElementById('rows').shadowRoot.querySelector('canvas.grid');
        return [grid.width, grid.height];
      });
      assert.deepEqual(size, [4 * 29 - 1, 10 * 29 - 1]);
      await page.evaluate(() => { for (const id of ['sevens', 'rows']) document.getElementById(id).remove(); });
    });

    test('data without labels: the element trains unconditionally and says so', async () => {
      await context.route('**/tutorial/squares.idx3-ubyte.gz', (route) => route.fulfill({ body: gzipSync(encodeIdxImages(pixels16, 200, 16, 16)) }));
      const shown = await add({ id: 'unlabelled', conditional: 'auxiliary', data: 'tutorial/squares.idx3-ubyte.gz', views: 'samples' });
      assert.equal(shown.ready, true);
      assert.equal(shown.problem, null);
      assert.deepEqual(shown.picker, [], 'no class picker');
      const after = await page.evaluate(async () => {
        const element = document.getElementById('unlabelled');
        await element.session.step(3);
        const note = element.shadowRoot.querySelector('.note');
        return { conditional: element.session.config.conditional, note: note.hidden ? null : note.textContent, step: element.step };
      });
      assert.equal(after.conditional, 'none');
      assert.match(after.note, /squares\.idx3-ubyte\.gz has no labels, so this model trains unconditionally: conditional is set to none/);
      assert.equal(after.step, 3, 'and it trains');
      // with a labels attribute: conditional, one row per class
      await context.route('**/tutorial/squares-labels.idx1-ubyte', (route) => route.fulfill({ body: Buffer.from(encodeIdxLabels(labels16)) }));
      const labelled = await add({ conditional: 'auxiliary', data: 'tutorial/squares.idx3-ubyte.gz', labels: 'tutorial/squares-labels.idx1-ubyte', label: '4', views: 'samples' });
      assert.equal(labelled.problem, null);
      assert.deepEqual(labelled.picker.find(([, checked]) => checked === 'true'), ['4', 'true']);
      // with label= but no labels, it cannot show a class: listed, with the reason
      const unlabelled = await add({ conditional: 'auxiliary', data: 'tutorial/squares.idx3-ubyte.gz', label: '2' });
      assert.match(unlabelled.problem, /label "2" needs a class-conditional model, and this one is not \(conditional none\): squares\.idx3-ubyte\.gz has no labels/);
      await page.evaluate(() => { for (const element of document.querySelectorAll('gan-trainer:not(#toy):not(#mnist)')) element.remove(); });
    });

    test('bad label values are listed in the element', async () => {
      const cases = [
        [{ conditional: 'auxiliary', label: 'seven' }, /label "seven" must be a whole number from 0 to 255/],
        [{ conditional: 'auxiliary', label: '2.5' }, /label "2\.5" must be a whole number/],
        [{ conditional: 'auxiliary', label: '-1' }, /label "-1" must be a whole number/],
        [{ conditional: 'auxiliary', label: '10' }, /label "10" must be a whole number from 0 to 9 \(the model's classes\)/],
        [{ preset: 'small', label: '7' }, /label "7" needs a class-conditional model, and this one is not \(conditional none\): add conditional="auxiliary" \(or "concat"\)/],
        [{ preset: 'toy', conditional: 'auxiliary', label: '1' }, /label "1": the toy preset has no classes/],
        [{ labels: 'l.idx1-ubyte' }, /labels "l\.idx1-ubyte" label the images of a data attribute, and there is none/],
      ];
      for (const [attributes, pattern] of cases) {
        const result = await add(attributes);
        assert.equal(result.ready, false, JSON.stringify(attributes));
        assert.match(result.problem, /<gan-trainer> cannot start:/);
        assert.match(result.problem, pattern, JSON.stringify(attributes));
      }
      await page.evaluate(() => { for (const element of document.querySelectorAll('gan-trainer:not(#toy):not(#mnist)')) element.remove(); });
    });
  });
});
