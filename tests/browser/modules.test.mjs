// The page's plain modules under Node, without a browser: settings and
// attribute checking (against the core's own description), the density
// estimate, the curves' memory and decimation, and the nearest-neighbour
// search against brute force.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkField, coreOverrides, pageFields, readSettings, settingsOfConfig, settingsToQuery, checkSpeed } from '../../web/app/settings.js';
import { checkLabel, readAttributes } from '../../web/app/element-attributes.js';
import { describeRange } from '../../web/runtime/config-options.js';
import { loadGan } from '../../web/runtime/loader.js';
import { gaussianKde, linspace } from '../../web/app/density.js';
import { StatsHistory } from '../../web/app/stats-history.js';
import { decimate, runningAverage } from '../../web/app/curves.js';

import { nearest, searchIndex, unpermute } from '../../web/runtime/neighbours.js';

const params = (text) => new URLSearchParams(text);
const core = await loadGan({ threads: 1 });
const description = core.description;
const fieldOf = (param) => pageFields(description).find((field) => field.param === param);

test('settings: the page offers what the core marks for it, by the option names with _', () => {
  const marked = [...description.keys, ...description.groups].filter((entry) => entry.page && entry.option);
  assert.deepEqual(new Set(pageFields(description).map((field) => field.param)), new Set(marked.map((entry) => entry.option.replaceAll('-', '_'))));
  for (const param of ['seed', 'k', 'batch', 'g_lr', 'd_lr', 'loss', 'optimizer', 'update_order']) assert.ok(fieldOf(param), param);
});

test('settings: URL round trip and the core keys they set', () => {
  const { settings, errors } = readSettings(params('preset=paper&seed=7&k=2&loss=minimax&optimizer=adam&g_lr=0.001&batch=100&update_order=simultaneous'), description);
  assert.deepEqual(errors, []);
  assert.equal(settings.preset, 'paper');
  assert.deepEqual(settings.overrides, { seed: '7', k: 2, batch: 100, g_lr: 0.001, loss: 'minimax', optimizer: 'adam', update_order: 'simultaneous' });
  assert.deepEqual(readSettings(params(settingsToQuery(settings)), description).settings, settings);
  assert.deepEqual(coreOverrides(settings.overrides, description), {
    seed: '7', d_steps: '2', batch_size: '100', 'g.learning_rate': '0.001', generator_loss: 'minimax', 'g.optimizer': 'adam', 'd.optimizer': 'adam', update_order: 'simultaneous',
  });
  // The core takes every value the page's checks let through.
  assert.doesNotThrow(() => core.presetConfig(settings.preset, coreOverrides(settings.overrides, description)));
  assert.equal(settingsToQuery(readSettings(params(''), description).settings), '', 'defaults leave the URL clean');
  assert.equal(readSettings(params('loss=non_saturating'), description).settings.overrides.loss, 'non-saturating');
  assert.equal(readSettings(params('seed=18446744073709551615'), description).settings.overrides.seed, '18446744073709551615', 'seeds up to 2^64-1, as text');
});

test('settings: an out-of-range value is refused with the setting and the range the core describes', () => {
  const k = description.keys.find((entry) => entry.option === 'k');
  const { settings, errors } = readSettings(params(`preset=huge&k=${k.max + 1}&batch=2.5&g_lr=0&seed=x`), description);
  assert.deepEqual(settings, { preset: 'cgan', overrides: {} });
  assert.equal(errors.length, 5);
  assert.match(errors.join('\n'), /preset "huge" is not one of small, cgan, paper, toy/);
  assert.ok(errors.includes(`k "${k.max + 1}" must be a whole number from ${k.min} to ${k.max}`), errors.join('\n'));
  assert.match(errors.join('\n'), /g_lr "0" must be a number greater than 0/);
  assert.match(checkField(description, 'update_order', 'random').error, /^update_order "random" must be one of alternating, simultaneous$/);
  assert.equal(describeRange(fieldOf('batch')), `a whole number from ${fieldOf('batch').min} to ${fieldOf('batch').max}`);
  assert.deepEqual(checkSpeed('max'), { value: 0 });
  assert.match(checkSpeed('-3').error, /"max" or a whole number/);
});

test("settings: a checkpoint's configuration gives back its preset and values", () => {
  const config = core.presetConfig('paper', { d_steps: '3' }, 9);
  const settings = settingsOfConfig(config, description);
  assert.equal(settings.preset, 'paper', 'the preset the checkpoint records');
  assert.equal(settings.overrides.k, 3);
  assert.equal(settings.overrides.seed, '9');
  assert.deepEqual(core.presetConfig(settings.preset, coreOverrides(settings.overrides, description)), config);
});

test('element attributes: defaults, views per preset, clear errors', () => {
  const element = (attributes) => ({
    getAttribute: (name) => (name in attributes ? attributes[name] : null),
    hasAttribute: (name) => name in attributes,
  });
  const toy = readAttributes(element({ preset: 'toy', autoplay: '', steps: '4000' }), description);
  assert.deepEqual(toy.errors, []);
  assert.deepEqual(toy.views, ['figure1', 'curves']);
  assert.equal(toy.autoplay, true);
  assert.equal(toy.steps, 4000);
  assert.equal(toy.speed, 500);
  const mnist = readAttributes(element({ views: 'samples, interpolation,neighbours', size: '6', speed: 'max', threads: '1', update_order: 'simultaneous' }), description);
  assert.deepEqual(mnist.errors, []);
  assert.deepEqual(mnist.views, ['samples', 'interpolation', 'neighbours']);
  assert.equal(mnist.size, 6);
  assert.equal(mnist.speed, 0);
  assert.equal(mnist.threads, 1);
  assert.equal(mnist.settings.overrides.update_order, 'simultaneous');
  assert.equal(readAttributes(element({ autoplay: 'false' }), description).autoplay, false);
  const batch = fieldOf('batch');
  const bad = readAttributes(element({ views: 'figure1', size: '40', width: '50', threads: 'many', batch: String(batch.max + 1) }), description);
  assert.equal(bad.errors.length, 5);
  assert.match(bad.errors.join('\n'), /figure1 needs preset="toy"/);
  assert.match(bad.errors.join('\n'), /size "40" must be a whole number from 2 to 16/);
  assert.ok(bad.errors.includes(`batch "${batch.max + 1}" must be a whole number from ${batch.min} to ${batch.max}`), bad.errors.join('\n'));
});

test('element attributes: conditional from the core\'s description, and label', () => {
  const element = (attributes) => ({
    getAttribute: (name) => (name in attributes ? attributes[name] : null),
    hasAttribute: (name) => name in attributes,
  });
  const sevens = readAttributes(element({ conditional: 'auxiliary', label: '7' }), description);
  assert.deepEqual(sevens.errors, []);
  assert.equal(sevens.settings.overrides.conditional, 'auxiliary', 'conditional is a setting the core marks for the page');
  assert.equal(sevens.label, 7);
  assert.equal(readAttributes(element({}), description).label, null);
  assert.match(readAttributes(element({ conditional: 'sideways' }), description).errors.join('\n'), /conditional "sideways"/);
  for (const text of ['seven', '2.5', '-1', '256', '']) {
    assert.deepEqual(readAttributes(element({ conditional: 'auxiliary', label: text }), description).errors,
      [`label "${text}" must be a whole number from 0 to 255`]);
  }
  assert.match(readAttributes(element({ preset: 'toy', label: '1' }), description).errors.join('\n'), /label "1": the toy preset has no classes/);
  // the model decides the range
  assert.equal(checkLabel(7, { conditional: 'auxiliary', classes: '10' }), null);
  assert.equal(checkLabel(10, { conditional: 'concat', classes: '10' }), 'label "10" must be a whole number from 0 to 9 (the model\'s classes)');
  assert.match(checkLabel(3, { conditional: 'none', classes: '10' }), /needs a class-conditional model.*add conditional="auxiliary"/);
  assert.match(checkLabel(3, { conditional: 'none' }, 'x.idx has no labels'), /: x\.idx has no labels$/);
});

test('kernel density estimate: a density that follows the samples', () => {
  const samples = Float32Array.from({ length: 4000 }, (_, i) => (i % 2 ? 1 : -1) + 0.2 * Math.sin(i * 12.9898));
  const xs = linspace(-3, 3, 601);
  const density = gaussianKde(samples, xs);
  const area = density.reduce((sum, p) => sum + p * 0.01, 0);
  assert.ok(Math.abs(area - 1) < 0.01, `integrates to 1 (${area})`);
  assert.ok(density[400] > 10 * density[300], 'high at 1, low at 0');
});

test('stats history: bounded, keeps its start, restarts on a step going back', () => {
  const history = new StatsHistory(100);
  for (let step = 1; step <= 1000; step++) history.push({ step, d_loss: 1, g_loss: 2, d_real: 0.5, d_fake: 0.5, steps_per_s: 9 });
  assert.ok(history.length <= 100 && history.length > 50);
  assert.equal(history.step[0], 1, 'the first step is still there');
  assert.equal(history.step[history.length - 1], 1000);
  history.push({ step: 1000 }); // a repeated report adds nothing
  assert.equal(history.step[history.length - 1], 1000);
  history.push({ step: 3, d_loss: 1 });
  assert.deepEqual(history.step, [3]);
});

test('curves: decimation and running average skip gaps', () => {
  assert.deepEqual(Array.from(decimate([1, 3, 5, 7, 9], 2)), [2, 6, 9]);
  assert.ok(Number.isNaN(decimate([NaN, NaN, 1], 2)[0]));
  const average = runningAverage([NaN, 2, 4], 0.5);
  assert.ok(Number.isNaN(average[0]));
  assert.deepEqual(Array.from(average.subarray(1)), [2, 3]);
});

test('nearest neighbours: the same answers as brute force', () => {
  let seed = 12345;
  const random = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
  for (const dim of [784, 30]) { // 28x28 uses the block bound, 30 cannot
    const count = 2000;
    const images = Uint8Array.from({ length: count * dim }, () => Math.floor(random() * 256));
    const n = 5;
    const samples = new Float32Array(n * dim);
    for (let q = 0; q < n; q++) {
      const source = Math.floor(random() * count);
      for (let p = 0; p < dim; p++) samples[q * dim + p] = Math.min(1, Math.max(0, images[source * dim + p] / 255 + (random() - 0.5) * 0.3));
    }
    const index = searchIndex(images, count, dim);
    assert.deepEqual(unpermute(index), images, 'the index gives the images back in their own order');
    const answer = nearest(index, samples, n);
    for (let q = 0; q < n; q++) {
      let best = Infinity;
      let index = -1;
      for (let t = 0; t < count; t++) {
        let sum = 0;
        for (let p = 0; p < dim; p++) sum += (images[t * dim + p] - samples[q * dim + p] * 255) ** 2;
        if (sum < best) { best = sum; index = t; }
      }
      assert.equal(answer.indices[q], index, `dim ${dim}, sample ${q}`);
      assert.ok(Math.abs(answer.distances[q] - best / 65025) < 1e-3);
      assert.deepEqual(answer.images.subarray(q * dim, (q + 1) * dim), images.subarray(index * dim, (index + 1) * dim));
    }
  }
});

test('neighbours view: one sample per search request, paced while training, none at the start of a run', async () => {
  const { NeighboursView } = await import('../../web/app/neighbours-view.js');
  const dim = 4;
  const calls = [];
  const source = {
    nearest: async (samples, count) => {
      calls.push({ at: performance.now(), n: samples.length / dim, count });
      return { images: new Uint8Array(count * dim).fill(255), distances: new Float32Array(count), ms: 10 };
    },
  };
  const canvas = { width: 0, height: 0, getContext: () => ({ clearRect() {} }) };
  const view = new NeighboursView({ canvas, count: 4, gap: 3, minGap: 1 });
  view.setSource(source, { height: 2, width: 2, channels: 1 });
  const samples = new Float32Array(4 * dim).fill(0.5);

  let training = true;
  view.training = () => training;
  view.holdOff(200);
  assert.equal(view.maybeUpdate(samples), null, 'held off at the start of a run');
  training = false;
  await view.maybeUpdate(samples); // paused: the hold does not apply, and no pauses between requests
  assert.deepEqual(calls.map((c) => [c.n, c.count]), [[1, 1], [1, 1], [1, 1], [1, 1]], 'one sample per request');
  assert.ok(calls.at(-1).at - calls[0].at < 25, 'back to back while not training');
  assert.equal(view.dirty, true);
  assert.deepEqual(Array.from(view.pairs.subarray(4 * dim)), new Array(4 * dim).fill(1), 'the neighbours, scaled to [0, 1]');
  assert.equal(view.wait, 5000, '40 ms of searching: the shortest wait');
  assert.equal(view.maybeUpdate(samples), null, 'not again before the wait');

  calls.length = 0;
  training = true;
  await view.maybeUpdate(samples, { force: true });
  const gaps = calls.slice(1).map((c, i) => c.at - calls[i].at);
  assert.ok(Math.min(...gaps) >= 29, `paced while training: ${gaps.map((g) => g.toFixed(0))} ms apart`);

  // A new model while a search runs: its answer is dropped.
  view.pairs = null;
  const search = view.maybeUpdate(samples, { force: true });
  view.prepare();
  await search;
  assert.equal(view.pairs, null, 'the old model\'s pairs are not shown');
});

test('image grid: grey and colour images, stored channels last, of any height and width', async () => {
  const { gridLayout, paintGrid } = await import('../../web/app/image-grid.js');
  const shape = { height: 2, width: 3, channels: 3 };
  const layout = gridLayout(2, 2, shape);
  assert.deepEqual([layout.width, layout.height, layout.cellWidth, layout.cellHeight], [7, 2, 3, 2]);
  const imageData = { width: layout.width, height: layout.height, data: new Uint8ClampedArray(layout.width * layout.height * 4) };
  // image 0 red, image 1 a blue ramp along x
  const images = new Float32Array(2 * 18);
  for (let p = 0; p < 6; p++) {
    images[3 * p] = 1;
    images[18 + 3 * p + 2] = (p % 3) / 2;
  }
  paintGrid(imageData, images, { count: 2, columns: 2, shape });
  const pixel = (x, y) => Array.from(imageData.data.subarray((y * layout.width + x) * 4, (y * layout.width + x) * 4 + 3));
  assert.deepEqual(pixel(0, 1), [255, 0, 0]);
  assert.deepEqual(pixel(3, 0), [40, 40, 40], 'the gap');
  assert.deepEqual([pixel(4, 0), pixel(5, 0), pixel(6, 1)], [[0, 0, 0], [0, 0, 128], [0, 0, 255]]);
  const grey = { width: 3, height: 2, data: new Uint8ClampedArray(24) };
  paintGrid(grey, Float32Array.from([0, 0.5, 1, 1, 0.5, 0]), { count: 1, columns: 1, shape: { height: 2, width: 3, channels: 1 } });
  assert.deepEqual(Array.from(grey.data.subarray(8, 12)), [255, 255, 255, 255]);
});

test('image format: the core\'s shape, or a grey square; contrast-normalised samples scaled together, as the authors drew them', async () => {
  const { displayScale, imageFormat, toDisplay, trainingValues } = await import('../../web/runtime/image-format.js');
  const cifar = core.presetConfig('paper-cifar-conv');
  assert.deepEqual(imageFormat(cifar), { channels: 3, height: 32, width: 32, dim: 3072, contrast: true, gcnScale: 55 });
  assert.deepEqual(imageFormat(core.presetConfig('small')), { channels: 1, height: 28, width: 28, dim: 784, contrast: false, gcnScale: 0 });
  assert.deepEqual(imageFormat({ data_dim: '10' }), { channels: 1, height: 1, width: 10, dim: 10, contrast: false, gcnScale: 0 });
  const format = imageFormat(cifar);
  const values = Float32Array.from([-2, 0, 1, 4]);
  assert.equal(displayScale(values, format), 4);
  assert.deepEqual(Array.from(toDisplay(values, 4, format)), [0.25, 0.5, 0.625, 1]);
  assert.equal(toDisplay(values, 1, imageFormat(core.presetConfig('small'))), values, 'pixels in [0, 1] drawn as they are');
  // pylearn2's global contrast normalisation: centred, L2 norm gcn_scale; a flat image all 0
  const pixels = new Uint8Array(2 * 3072);
  for (let i = 0; i < 3072; i++) pixels[i] = (i * 7) % 256;
  pixels.fill(90, 3072);
  const normalised = trainingValues(pixels, 2, format);
  let sum = 0;
  let squares = 0;
  for (let i = 0; i < 3072; i++) { sum += normalised[i]; squares += normalised[i] ** 2; }
  assert.ok(Math.abs(sum / 3072) < 1e-6 && Math.abs(Math.sqrt(squares) - 55) < 1e-3, `mean ${sum / 3072}, norm ${Math.sqrt(squares)}`);
  assert.ok(normalised.subarray(3072).every((v) => v === 0));
});

test('data overrides: an MLP is sized to the images; a convolutional G is left for the core to judge, and its reason shown', async () => {
  const { dataOverrides } = await import('../../web/runtime/config-options.js');
  const cifar = { channels: 3, height: 32, width: 32 };
  const small = core.presetConfig('small');
  assert.deepEqual(dataOverrides(small, cifar),
    { data_dim: 3072, data_channels: 3, data_height: 32, data_width: 32, 'g.layers.4.units': 3072 });
  assert.equal(core.presetConfig('small', dataOverrides(small, cifar))['d.layers.0.units'], '256', 'D\'s first layer takes any width');
  const conv = core.presetConfig('conv');
  assert.deepEqual(dataOverrides(conv, cifar), { data_dim: 3072, data_channels: 3, data_height: 32, data_width: 32 });
  assert.throws(() => core.presetConfig('conv', dataOverrides(conv, cifar)),
    /invalid configuration: G's output, 1 x 28 x 28 \(784 values\), is not the data's shape 3 x 32 x 32 \(data_dim 3072\)/);
  const mnist = { channels: 1, height: 28, width: 28 };
  assert.throws(() => core.presetConfig('paper-cifar-conv', dataOverrides(core.presetConfig('paper-cifar-conv'), mnist)),
    /G's output, 3 x 32 x 32 \(3072 values\), is not the data's shape 1 x 28 x 28 \(data_dim 784\)/);
});
