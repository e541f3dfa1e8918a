// Class-conditional models through the worker protocol and the CLI: labels
// with the data, GAN_ERR_NO_LABELS without them, samples by class and by
// blends of classes (the same bits either way), interpolation between
// classes at fixed z, and `train --conditional` / `sample --class`.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GanClient } from '../../web/runtime/client.js';
import { findIdxFile, readIdxFile } from '../../web/runtime/idx-node.js';
import { encodeIdxImages } from '../../web/runtime/idx.js';
import { defaultDataDir } from '../../cli/data.js';
import { toBytes } from '../../cli/images.js';
import { runCli } from './helpers.mjs';

const COUNT = 2000;
const pixels = readIdxFile(findIdxFile(defaultDataDir(), 'trainImages')).data.subarray(0, COUNT * 784);
const labels = readIdxFile(findIdxFile(defaultDataDir(), 'trainLabels')).data.subarray(0, COUNT);
const CLASSES = 10;

let client;
let dir;
before(async () => {
  client = await GanClient.create({ threads: 1 });
  dir = mkdtempSync(join(tmpdir(), 'wasm-gan-conditional-'));
});
after(() => {
  client?.terminate();
  rmSync(dir, { recursive: true, force: true });
});

const oneHot = (n, cls) => {
  const rows = new Float32Array(n * CLASSES);
  for (let i = 0; i < n; i++) rows[i * CLASSES + (typeof cls === 'function' ? cls(i) : cls)] = 1;
  return rows;
};

test('a conditional model trains only with labels, and says so', async () => {
  await client.configure('small', { conditional: 'auxiliary' }, 5);
  await client.setData(pixels, COUNT, 784);
  await assert.rejects(client.step(1), (error) => error.code === 'GAN_ERR_NO_LABELS' && /conditional auxiliary/.test(error.message));
  await assert.rejects(client.request('start', {}), (error) => error.code === 'GAN_ERR_NO_LABELS');
  await assert.rejects(client.setData(pixels, COUNT, 784, { labels: labels.subarray(0, 10) }), /10 labels for 2000 images/);
  // fewer classes than the labels have is refused before anything changes
  await client.setData(pixels, COUNT, 784, { labels });
  await assert.rejects(client.configure('small', { conditional: 'concat', classes: 5 }), /labels go up to 9: set classes to 10/);
  const stats = await client.step(3);
  assert.equal(stats.step, 3);
});

test('samples by class: `class`, one-hot `classes` and the default (i mod classes) agree bit for bit', async () => {
  await client.configure('small', { conditional: 'concat' }, 6);
  await client.setData(pixels, COUNT, 784, { labels });
  await client.step(20);
  const { z } = await client.noise(4, 12);
  const byClass = await client.sample({ z, class: 7 });
  const byRows = await client.sample({ z, classes: oneHot(12, 7) });
  assert.deepEqual(byClass.images, byRows.images);
  const cyclic = await client.sample({ z });
  const cyclicRows = await client.sample({ z, classes: oneHot(12, (i) => i % CLASSES) });
  assert.deepEqual(cyclic.images, cyclicRows.images);
  assert.notDeepEqual(byClass.images, cyclic.images, 'the class changes the samples');
  await assert.rejects(client.sample({ z, class: 10 }), /class 10 is out of range: this model has classes 0 to 9/);
  await assert.rejects(client.sample({ z, classes: new Float32Array(5) }), (e) => e.code === 'BAD_REQUEST' && /12 x 10 values/.test(e.message));
  await assert.rejects(client.sample({ z, class: 1, classes: oneHot(12, 1) }), /classes or class, not both/);
});

test('interpolation between classes at fixed z ends at each class\'s sample', async () => {
  const { z } = await client.noise(9, 1);
  const from = oneHot(1, 2);
  const to = oneHot(1, 8);
  const path = await client.interpolate(z, z, 5, false, { classes0: from, classes1: to });
  assert.equal(path.count, 5);
  const a = await client.sample({ z, class: 2 });
  const b = await client.sample({ z, class: 8 });
  assert.deepEqual(path.images.subarray(0, 784), a.images);
  assert.deepEqual(path.images.subarray(4 * 784), b.images);
  // the midpoint is the blended input: half of each class
  const mid = new Float32Array(CLASSES);
  mid[2] = 0.5;
  mid[8] = 0.5;
  const half = await client.sample({ z, classes: mid });
  assert.deepEqual(path.images.subarray(2 * 784, 3 * 784), half.images);
  await assert.rejects(client.interpolate(z, z, 5, false, { classes0: from }), /classes0 and classes1, or neither/);
});

test('an unconditional model refuses classes', async () => {
  await client.configure('small', {}, 7);
  await client.setData(pixels, COUNT, 784, { labels }); // labels are accepted, and unused
  await client.step(1);
  const { z } = await client.noise(1, 2);
  await assert.rejects(client.sample({ z, class: 3 }), /not conditional/);
  await assert.rejects(client.interpolate(z.subarray(0, 64), z.subarray(64), 3, false,
    { classes0: oneHot(1, 0), classes1: oneHot(1, 1) }), /not conditional/);
});

test('CLI: train --conditional, then sample --class writes that class only', async () => {
  const out = join(dir, 'run');
  const trained = await runCli(['train', '--conditional', 'auxiliary', '--steps', '30', '--out', out, '--quiet', '--threads', '1']);
  assert.equal(trained.code, 0, trained.stderr);
  const checkpoint = join(out, 'checkpoint.safetensors');
  const seven = join(dir, 'sevens.idx');
  const sampled = await runCli(['sample', '--checkpoint', checkpoint, '--count', '6', '--class', '7', '--out', seven]);
  assert.equal(sampled.code, 0, sampled.stderr);
  // the same noise with class 7 through the worker
  const bytes = readFileSync(checkpoint);
  await client.load(bytes);
  const { z } = await client.noise('0', 6);
  const { images } = await client.sample({ z, class: 7 });
  const file = readFileSync(seven);
  const expected = encodeIdxImages(toBytes(images), 6, 28, 28, 1);
  assert.equal(file.length, expected.length);
  assert.deepEqual(new Uint8Array(file), expected);
  const bad = await runCli(['sample', '--checkpoint', checkpoint, '--count', '2', '--class', '10', '--out', join(dir, 'x.idx')]);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /--class 10: the checkpoint's model has classes 0 to 9/);
});

test('CLI: a conditional model on data without labels is refused with what to do', async () => {
  const data = join(dir, 'unlabelled');
  mkdirSync(data);
  writeFileSync(join(data, 'train-images-idx3-ubyte'), encodeIdxImages(pixels.subarray(0, 600 * 784), 600, 28, 28, 1));
  const result = await runCli(['train', '--conditional', 'concat', '--steps', '2', '--data-dir', data, '--out', join(dir, 'u'), '--quiet']);
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /no labels beside the images .* train with --conditional none/);
  const plain = await runCli(['train', '--steps', '2', '--data-dir', data, '--out', join(dir, 'u2'), '--quiet', '--threads', '1']);
  assert.equal(plain.code, 0, plain.stderr);
});
