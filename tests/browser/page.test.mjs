// The page (web/index.html) in Debian's Chromium, as a user drives it:
// start, pause, the views, checkpoints, a corrupt file, the URL, keyboard,
// a narrow screen, the Figure 1 mode, and the main thread staying free.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OUTPUT, difference, launch, openPage, readCanvas, stepOf, until } from './harness.mjs';
import { loadGan } from '../../web/runtime/loader.js';

const byId = (id) => document.getElementById(id);
const gridCanvas = () => document.getElementById('grid');

describe('the page', () => {
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

  const refresh = () => page.evaluate(() => globalThis.wasmGan.session.refresh());

  test('loads with no console errors and says how it runs', async () => {
    assert.match(await page.textContent('#mode'), /WebAssembly (SIMD|scalar) · \d+ threads?/);
    assert.equal(await page.isHidden('#loading'), true, 'the progress bar goes away once MNIST is in');
    assert.deepEqual(errors, []);
  });

  test('start makes the steps rise and the samples change; pause stops the steps', async () => {
    await refresh();
    const before = await readCanvas(page, gridCanvas);
    await page.click('#start');
    await until(async () => (await stepOf(page)) >= 60, { what: 'step 60', timeout: 60000 });
    await refresh();
    const later = await readCanvas(page, gridCanvas);
    assert.ok(later.inked > 0.2, `the grid is not blank (${later.inked})`);
    assert.ok(difference(before.pixels, later.pixels) > 0.05, 'the samples changed while training');

    await page.click('#pause');
    await page.waitForSelector('#start:not([disabled])');
    // An iteration the pause caught half done (the worker trains long ones in
    // parts) is finished when the grid next asks for samples: one step at most.
    const paused = await stepOf(page);
    await page.waitForTimeout(1500); // past the frame loop's longest wait between snapshots
    const settled = await stepOf(page);
    assert.ok(settled - paused <= 1, `${settled - paused} steps after the pause`);
    await page.waitForTimeout(800);
    assert.equal(await stepOf(page), settled, 'no steps while paused');
    // the last iteration's k (the preset's fixed 1) and D's accuracy, beside the step count
    assert.equal(await page.textContent('#d-steps'), '1');
    const accuracy = Number(await page.textContent('#d-accuracy'));
    assert.ok(accuracy >= 0 && accuracy <= 1, `D's accuracy ${accuracy}`);
  });

  test('the interpolation strips, neighbours and curves are drawn', async () => {
    for (const id of ['linear', 'spherical', 'curves']) {
      const canvas = await readCanvas(page, (name) => document.getElementById(name), id);
      assert.ok(canvas.inked > 0.01, `${id} has something drawn (${canvas.inked})`);
    }
    await until(async () => (await readCanvas(page, () => document.getElementById('neighbours'))).inked > 0.2,
      { what: 'the neighbour view', timeout: 20000 });
  });

  test('clicking a sample makes it an interpolation endpoint', async () => {
    const box = await page.locator('#grid').boundingBox();
    // Cell 10 of the 8x8 grid: row 1, column 2.
    await page.mouse.click(box.x + box.width * (2.5 / 8), box.y + box.height * (1.5 / 8));
    await page.waitForFunction(() => globalThis.wasmGan.session.views.samples.endpointCells.A === 10);
    await refresh();
    const same = await page.evaluate(() => {
      const view = globalThis.wasmGan.session.views.samples;
      const dim = 784;
      const cell = view.images.grid.slice(10 * dim, 11 * dim);
      const first = view.images.linear.slice(0, dim);
      return { endpoint: view.endpointCells.A, equal: cell.every((v, i) => v === first[i]) };
    });
    assert.equal(same.endpoint, 10);
    assert.ok(same.equal, 'the strip starts at the clicked sample');
  });

  test('the grid can be used from the keyboard and exported as PNG', async () => {
    await page.focus('#grid');
    await page.keyboard.press('ArrowRight'); // the cursor appears on cell 0
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');      // cell 9 becomes the next endpoint, B
    await page.waitForFunction(() => globalThis.wasmGan.session.views.samples.endpointCells.B === 9);

    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#export')]);
    assert.match(download.suggestedFilename(), /^wasm-gan-samples-step\d+\.png$/);
    const file = join(OUTPUT, 'page-grid.png');
    await download.saveAs(file);
    const png = readFileSync(file);
    assert.deepEqual([...png.subarray(1, 4)], [0x50, 0x4e, 0x47], 'a PNG file');
    assert.equal(png.readUInt32BE(16), (8 * 29 - 1) * 4, 'the 8 x 8 grid at 4 pixels per pixel');
  });

  test('a saved checkpoint loaded again restores the same samples', async () => {
    await refresh();
    const saved = await readCanvas(page, gridCanvas);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    const file = join(OUTPUT, 'page-checkpoint.safetensors');
    await download.saveAs(file);
    assert.ok(readFileSync(file).length > 1000);

    await page.click('#step');
    await page.click('#step');
    await page.click('#step');
    await until(async () => page.isEnabled('#step'));
    await refresh();
    assert.ok(difference(saved.pixels, (await readCanvas(page, gridCanvas)).pixels) > 0, 'training moved the samples');

    await page.setInputFiles('#load-file', file);
    await page.waitForFunction(() => /Loaded|Could not/.test(document.getElementById('message').textContent), null, { timeout: 60000 });
    assert.match(await page.textContent('#message'), /Loaded/);
    await refresh();
    const restored = await readCanvas(page, gridCanvas);
    assert.equal(difference(saved.pixels, restored.pixels), 0, 'the same samples as when saved');
  });

  test('a corrupt checkpoint shows an error and training carries on', async () => {
    await page.click('#start');
    await until(async () => page.evaluate(() => globalThis.wasmGan.session.running));
    const good = readFileSync(join(OUTPUT, 'page-checkpoint.safetensors'));
    const corrupt = Buffer.concat([good.subarray(0, 200), randomBytes(300)]);
    const file = join(OUTPUT, 'corrupt.safetensors');
    writeFileSync(file, corrupt);
    await page.setInputFiles('#load-file', file);
    await page.waitForFunction(() => /Could not load/.test(document.getElementById('message').textContent));
    assert.equal(await page.getAttribute('#message', 'class'), 'message error');
    const at = await stepOf(page);
    await until(async () => (await stepOf(page)) > at + 5, { what: 'training to go on' });
    assert.equal(await page.evaluate(() => globalThis.wasmGan.session.running), true);
  });

  test('no main-thread long task (> 50 ms) while training', async (t) => {
    const supported = await page.evaluate(() => !!globalThis.__longTasks);
    if (!supported) { t.skip('this Chromium reports no long tasks'); return; }
    // Two tries of a 6 s window: on a machine shared with other jobs the OS
    // can stall the main thread once in a while; a page whose own work makes
    // long tasks makes them in every window.
    let tasks;
    for (let attempt = 1; attempt <= 2; attempt++) {
      await page.evaluate(() => { globalThis.__longTasks.length = 0; });
      const first = await stepOf(page);
      await page.waitForTimeout(6000);
      assert.ok((await stepOf(page)) > first, 'it was training');
      tasks = await page.evaluate(() => globalThis.__longTasks);
      if (tasks.length === 0) break;
      t.diagnostic(`window ${attempt}: long tasks ${JSON.stringify(tasks)}`);
    }
    const longestDraw = await page.evaluate(() => globalThis.wasmGan.session.loop.longestDraw);
    t.diagnostic(`longest frame draw ${longestDraw.toFixed(1)} ms`);
    assert.deepEqual(tasks, [], `long tasks: ${JSON.stringify(tasks)}; longest frame draw ${longestDraw.toFixed(1)} ms`);
    await page.screenshot({ path: join(OUTPUT, 'page.png'), fullPage: true });
  });

  test('a hidden page neither draws nor asks for samples, and catches up when shown', async () => {
    // Headless Chromium keeps every page visible (and playwright emulates
    // focus), so the page is told it is hidden the way a browser tells it:
    // document.visibilityState and a visibilitychange event.
    const setHidden = (hidden) => page.evaluate((value) => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => (value ? 'hidden' : 'visible') });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
    const counts = () => page.evaluate(() => {
      const { loop, stats } = globalThis.wasmGan.session;
      return { snapshots: loop.snapshots, frames: loop.frames, step: stats.step, shown: Number(document.getElementById('step-count').textContent) };
    });
    assert.equal(await page.evaluate(() => globalThis.wasmGan.session.running), true, 'training');
    await refresh();
    const before = await readCanvas(page, gridCanvas);
    await setHidden(true);
    try {
      await page.waitForTimeout(300); // a snapshot already on its way lands
      const hidden = await counts();
      await page.waitForTimeout(2000);
      const later = await counts();
      assert.ok(later.step > hidden.step + 5, 'training goes on while hidden');
      assert.equal(later.snapshots, hidden.snapshots, 'no samples asked of the worker while hidden');
      assert.equal(later.frames, hidden.frames, 'nothing drawn while hidden');
      assert.equal(later.shown, hidden.shown, 'the step count waits too');
    } finally {
      await setHidden(false);
    }
    const shownAt = (await counts()).step;
    await until(async () => (await counts()).shown >= shownAt &&
      difference(before.pixels, (await readCanvas(page, gridCanvas)).pixels) > 0.01,
    { what: 'the step count and the samples to catch up once shown', timeout: 3000 });
  });

  test('settings go into the URL and apply at Reset; keys start and pause', async () => {
    await page.click('#pause');
    await page.selectOption('#optimizer', 'sgd');
    await page.selectOption('#update_order', 'simultaneous');
    await page.fill('#k', '2');
    await page.press('#k', 'Tab');
    await until(async () => /k=2/.test(page.url()) && /optimizer=sgd/.test(page.url()) && /update_order=simultaneous/.test(page.url()), { what: 'the URL' });
    assert.equal(await page.textContent('#reset'), 'Reset & apply');
    await page.click('#reset');
    await page.waitForFunction(() => globalThis.wasmGan.session.config.d_steps === '2' && !document.getElementById('start').disabled);
    assert.equal(await page.evaluate(() => globalThis.wasmGan.session.config['g.optimizer']), 'sgd');
    assert.equal(await page.evaluate(() => globalThis.wasmGan.session.config.update_order), 'simultaneous');
    assert.equal(await stepOf(page), 0);
    assert.equal(await page.textContent('#reset'), 'Reset');

    await page.locator('h1').click();
    await page.keyboard.press('Space');
    await until(async () => page.evaluate(() => globalThis.wasmGan.session.running), { what: 'Space to start' });
    await page.keyboard.press('Space');
    await until(async () => !(await page.evaluate(() => globalThis.wasmGan.session.running)), { what: 'Space to pause' });

    // The same URL opens the same settings.
    const shared = await openPage(env.browser, page.url());
    await shared.page.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 60000 });
    assert.equal(await shared.page.inputValue('#k'), '2');
    assert.equal(await shared.page.inputValue('#optimizer'), 'sgd');
    assert.equal(await shared.page.inputValue('#update_order'), 'simultaneous');
    await shared.context.close();
    assert.deepEqual(errors, []);
  });

  test("the form is the core's: a field per setting it marks for the page; a bad URL value is named with its range", async () => {
    const { description } = await loadGan({ threads: 1 });
    const marked = [...description.keys, ...description.groups].filter((entry) => entry.page && entry.option);
    const names = await page.evaluate(() => [...document.getElementById('settings').elements].map((element) => element.name).filter(Boolean));
    assert.deepEqual(new Set(names), new Set(['preset', ...marked.map((entry) => entry.option.replaceAll('-', '_'))]));
    const presets = await page.evaluate(() => [...document.getElementById('preset').options].map((option) => option.value));
    assert.deepEqual(presets, description.presets.map((preset) => preset.name));

    const k = description.keys.find((entry) => entry.option === 'k');
    const { page: bad, context } = await openPage(env.browser, `${env.server.url}?k=${k.max + 1}&update_order=sideways`);
    await bad.waitForFunction(() => /Ignored from the URL/.test(document.getElementById('message').textContent), null, { timeout: 60000 });
    const message = await bad.textContent('#message');
    assert.match(message, new RegExp(`k "${k.max + 1}" must be a whole number from ${k.min} to ${k.max}`));
    assert.match(message, /update_order "sideways" must be one of alternating, simultaneous/);
    assert.equal(await bad.inputValue('#k'), await bad.evaluate(() => globalThis.wasmGan.session.config.d_steps), "the preset's k instead");
    await context.close();
  });

  test('a setting that applies only while another has a value is shown only then', async () => {
    const { page: fresh, context } = await openPage(env.browser, `${env.server.url}?threads=1`);
    await fresh.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 60000 });
    const shown = (name) => fresh.evaluate((id) => !document.getElementById(id).closest('.field').hidden &&
      document.getElementById(id).getClientRects().length > 0, name);
    // the default (cgan) concatenates labels and keeps k fixed
    assert.deepEqual([await shown('k_max'), await shown('d_accuracy_low'), await shown('g_class_loss')], [false, false, false]);
    assert.equal(await shown('k'), true);
    await fresh.fill('#adaptive_k', '1');
    await fresh.press('#adaptive_k', 'Tab');
    await until(async () => await shown('k_max') && await shown('d_accuracy_high'), { what: 'the adaptive k settings' });
    // Before any training each change is applied at once; this one arrives while the model of
    // the first is being built, and is applied after it.
    await fresh.selectOption('#conditional', 'auxiliary');
    await until(async () => shown('g_class_loss'), { what: "the AC-GAN's loss weights" });
    await fresh.waitForFunction(() => globalThis.wasmGan.session.config.adaptive_k === '1' &&
      globalThis.wasmGan.session.config.conditional === 'auxiliary' && !document.getElementById('start').disabled, null, { timeout: 60000 });
    // the running model's values keep them shown
    assert.deepEqual([await shown('k_max'), await shown('g_class_loss'), await shown('d_fake_class_loss')], [true, true, true]);
    await fresh.selectOption('#conditional', 'none');
    await until(async () => !(await shown('g_class_loss')), { what: "the AC-GAN's loss weights hidden again" });
    await context.close();
  });

  test("a loaded checkpoint's preset shows in the preset selector", async () => {
    const { page: paper, errors: paperErrors, context } = await openPage(env.browser, `${env.server.url}?preset=paper`);
    await paper.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 90000 });
    assert.equal(await paper.inputValue('#preset'), 'paper');
    await paper.setInputFiles('#load-file', join(OUTPUT, 'page-checkpoint.safetensors')); // saved by the page's default preset above
    await paper.waitForFunction(() => /Loaded|Could not/.test(document.getElementById('message').textContent), null, { timeout: 60000 });
    assert.match(await paper.textContent('#message'), /Loaded/);
    assert.equal(await paper.evaluate(() => globalThis.wasmGan.session.config.preset), 'cgan', 'the checkpoint records its preset');
    assert.equal(await paper.inputValue('#preset'), 'cgan');
    assert.ok(!/preset=paper/.test(paper.url()), `the URL follows: ${paper.url()}`);
    assert.equal(await paper.textContent('#reset'), 'Reset', 'nothing pending: the form describes the loaded model');
    await context.close();
    assert.deepEqual(paperErrors, []);
  });

  test('works at a phone width', async () => {
    const { page: narrow, errors: narrowErrors, context } = await openPage(env.browser, env.server.url, { viewport: { width: 360, height: 740 } });
    await narrow.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 60000 });
    await narrow.click('#start');
    await until(async () => (await stepOf(narrow)) > 10, { what: 'training' });
    const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `nothing wider than the screen (${overflow} px too wide)`);
    await narrow.screenshot({ path: join(OUTPUT, 'page-narrow.png'), fullPage: true });
    await context.close();
    assert.deepEqual(narrowErrors, []);
  });

  test('Figure 1 mode (?preset=toy) draws p_data, p_g and D live', async () => {
    const { page: toy, errors: toyErrors, context } = await openPage(env.browser, `${env.server.url}?preset=toy`);
    await toy.waitForFunction(() => !document.getElementById('start').disabled, null, { timeout: 60000 });
    assert.equal(await toy.isVisible('#figure1-panel'), true);
    assert.equal(await toy.isHidden('#samples-panel'), true);
    const before = await readCanvas(toy, () => document.getElementById('figure1'));
    await toy.click('#start');
    await until(async () => (await stepOf(toy)) > 500, { what: 'toy training' });
    await toy.evaluate(() => globalThis.wasmGan.session.refresh());
    const after = await readCanvas(toy, () => document.getElementById('figure1'));
    assert.ok(after.inked > 0.02, `figure drawn (${after.inked})`);
    assert.ok(difference(before.pixels, after.pixels) > 0.001, 'the figure moves as G learns');
    await toy.screenshot({ path: join(OUTPUT, 'page-figure1.png'), fullPage: true });
    await context.close();
    assert.deepEqual(toyErrors, []);
  });
});
