// The arithmetic of `wasm-gan quality` (cli/quality.js), the range search it
// finds near-copies with (nearestWithin in web/runtime/neighbours.js), and
// the gradient kernels its judge adds to TF.js's wasm backend (cli/judge.js).
// The judge itself is not trained here: that takes minutes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { findIdxFile, readIdxFile } from '../../web/runtime/idx-node.js';
import { nearest, nearestWithin, searchIndex } from '../../web/runtime/neighbours.js';
import { mulberry32 } from '../../web/runtime/toy-data.js';
import { defaultDataDir } from '../../cli/data.js';
import { classShares, inceptionScore, nearCopies, nearCopyThreshold } from '../../cli/quality.js';

const DIM = 784;

/** count x 10 probabilities from a function of the image's index. */
const predictions = (count, p) => Float32Array.from({ length: count * 10 }, (_, i) => p(Math.floor(i / 10), i % 10));

test('Inception score: 10 for certain, evenly spread classes; 1 for one class or no certainty', () => {
  const certain = predictions(1000, (i, c) => (c === i % 10 ? 1 : 0));
  assert.ok(Math.abs(inceptionScore(certain, 1000) - 10) < 1e-9, `${inceptionScore(certain, 1000)}`);
  assert.deepEqual(classShares(certain, 1000).map((share) => Math.round(share * 1000) / 1000), new Array(10).fill(0.1));
  const oneClass = predictions(100, (i, c) => (c === 3 ? 1 : 0));
  assert.ok(Math.abs(inceptionScore(oneClass, 100) - 1) < 1e-9);
  assert.deepEqual(classShares(oneClass, 100), [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]);
  const unsure = predictions(100, () => 0.1);
  assert.ok(Math.abs(inceptionScore(unsure, 100) - 1) < 1e-6);
  // Two classes, each image certain: exp(log 2) = 2.
  const two = predictions(100, (i, c) => (c === (i % 2) * 7 ? 1 : 0));
  assert.ok(Math.abs(inceptionScore(two, 100) - 2) < 1e-9);
});

const dir = defaultDataDir();
const train = readIdxFile(findIdxFile(dir, 'trainImages')).data.subarray(0, 5000 * DIM);
const testImages = readIdxFile(findIdxFile(dir, 'testImages')).data.subarray(0, 60 * DIM);
const floats = (bytes) => Float32Array.from(bytes, (v) => v / 255);
const index = searchIndex(train, 5000, DIM);

test('nearestWithin finds exactly the nearest images closer than the limit', () => {
  const queries = floats(testImages);
  const exact = nearest(index, queries, 60);
  const sorted = Array.from(exact.distances).sort((a, b) => a - b);
  // limits that catch none, some and all of the queries' neighbours (between
  // two distances: they are rounded to float32)
  for (const limit of [sorted[0] * 0.99, (sorted[10] + sorted[11]) / 2, (sorted[30] + sorted[31]) / 2, sorted[59] * 1.01]) {
    const within = nearestWithin(index, queries, 60, limit);
    for (let q = 0; q < 60; q++) {
      if (exact.distances[q] < limit) {
        assert.ok(Math.abs(within.distances[q] - exact.distances[q]) <= 1e-6 * exact.distances[q], `query ${q}, limit ${limit}`);
        assert.equal(within.indices[q], exact.indices[q], `query ${q}, limit ${limit}`);
      } else {
        assert.equal(within.indices[q], -1, `query ${q}, limit ${limit}: ${within.distances[q]} found, nearest ${exact.distances[q]}`);
        assert.equal(within.distances[q], Infinity);
      }
    }
  }
});

test('near-copies: a training image, and one lightly changed, are found; new digits are not', () => {
  const random = mulberry32(5);
  const samples = new Float32Array(4 * DIM);
  samples.set(floats(train.subarray(1234 * DIM, 1235 * DIM)), 0); // a copy
  const changed = floats(train.subarray(4321 * DIM, 4322 * DIM)).map((v) => Math.min(1, Math.max(0, v + (random() - 0.5) * 0.05)));
  samples.set(changed, DIM); // a copy with faint noise
  samples.set(floats(testImages.subarray(0, 2 * DIM)), 2 * DIM); // two real test digits
  const threshold = nearCopyThreshold(index, floats(testImages), 60, 0.01);
  const exact = nearest(index, floats(testImages), 60);
  assert.equal(threshold, Math.min(...exact.distances), 'the 1st percentile of 60 distances is the smallest');
  const copies = nearCopies(index, samples, 4, 1);
  assert.equal(copies.count, 2);
  assert.equal(copies.fraction, 0.5);
  assert.deepEqual(copies.pairs, [[0, 1234], [1, 4321]]);
});

test("the judge's gradient kernels on TF.js's wasm backend agree with its cpu backend", async () => {
  const { loadTf } = await import('../../cli/judge.js');
  const tf = await loadTf();
  const random = mulberry32(9);
  const tensor = (shape) => tf.tensor(Array.from({ length: shape.reduce((a, b) => a * b) }, () => random() - 0.5), shape);
  const x = tensor([3, 12, 12, 2]);
  const w1 = tensor([5, 5, 2, 4]);
  const w2 = tensor([3, 3, 4, 3]);
  const loss = (input, a, b) => {
    let h = tf.maxPool(tf.relu(tf.conv2d(input, a, 1, 'valid')), 2, 2, 'valid'); // 8x8 -> 4x4
    h = tf.conv2d(h, b, 1, 'valid'); // 2x2
    return tf.sum(tf.mul(h, h));
  };
  const gradients = async (backend) => {
    await tf.setBackend(backend);
    const inputs = [x, w1, w2].map((t) => tf.tensor(t.dataSync(), t.shape));
    return Promise.all(tf.grads(loss)(inputs).map((g) => g.data()));
  };
  const [wasm, cpu] = [await gradients('wasm'), await gradients('cpu')];
  await tf.setBackend('wasm');
  for (let i = 0; i < 3; i++) {
    const scale = Math.max(...cpu[i].map(Math.abs));
    assert.ok(scale > 0);
    for (let j = 0; j < cpu[i].length; j++) assert.ok(Math.abs(wasm[i][j] - cpu[i][j]) <= 1e-5 * scale, `gradient ${i}[${j}]: ${wasm[i][j]} against ${cpu[i][j]}`);
  }
});
