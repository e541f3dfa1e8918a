// Hostile requests to the training worker (issue 14): requests that would
// block it are sliced or bounded, so pause is answered within 50 ms; counts
// that would need more memory than a request may use are refused up front;
// fields of the wrong type are refused with BAD_REQUEST, never coerced, and
// no refusal carries the code INTERNAL.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { GanClient } from '../../web/runtime/client.js';
import { loadGan } from '../../web/runtime/loader.js';
import { readIdxFile, findIdxFile } from '../../web/runtime/idx-node.js';
import { defaultDataDir } from '../../cli/data.js';

const TRAIN_COUNT = 2000;
const pixels = readIdxFile(findIdxFile(defaultDataDir(), 'trainImages')).data.subarray(0, TRAIN_COUNT * 784);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let client;
before(async () => { client = await GanClient.create({ threads: 1 }); });
after(() => client?.terminate());

async function fresh(preset = 'small', overrides = {}, seed = 3) {
  const configured = await client.configure(preset, overrides, seed);
  if (configured.dataDim === 784) await client.setData(pixels, TRAIN_COUNT, 784);
  return configured;
}

/** Rejects with `code`; returns the error. */
async function refused(promise, code) {
  let caught = null;
  await promise.then(() => {}, (error) => { caught = error; });
  assert.ok(caught, `expected ${code}, the request succeeded`);
  assert.equal(caught.code, code, caught.message);
  return caught;
}

test('loader: byte counts past what wasm32 addresses are refused in JS, before gan_alloc', async () => {
  const gan = await loadGan({ threads: 1 });
  assert.throws(() => gan.alloc(2 ** 32), (e) => e.code === 'TOO_LARGE' && /4 GiB/.test(e.message));
  assert.throws(() => gan.alloc(2 ** 53 + 2), (e) => e.code === 'BAD_REQUEST');
  assert.throws(() => gan.alloc(-1), (e) => e.code === 'BAD_REQUEST');
  const model = gan.create('small', { noise_dim: 65536, 'g.layers.0.units': 8 });
  // 98,304 x 65,536 floats: 24 GiB, which a 32-bit size would wrap
  assert.throws(() => model.sampleNoise(1, 98304), (e) => e.code === 'TOO_LARGE');
  assert.throws(() => model.sampleNoise(-1, 2), (e) => e.code === 'BAD_REQUEST', 'a negative seed is not wrapped');
  assert.equal(model.sampleNoise(1, 2).length, 2 * 65536);
  model.free();
});

test('step {count: 1e9} runs in slices: pause is answered within 50 ms and interrupts it', async () => {
  await fresh();
  const latencies = [];
  for (let i = 0; i < 3; i++) {
    const { step: before } = await client.save();
    const big = client.step(1e9);
    const answer = big.then(() => null, (error) => error);
    await sleep(150 + 40 * i);
    // requests in between are answered between slices, on a model that moves on
    const t1 = performance.now();
    const saved = await client.save();
    assert.ok(performance.now() - t1 < 500, 'save answered while a long step runs');
    assert.ok(saved.step > before, `the step request trains (${saved.step} after ${before})`);
    const t0 = performance.now();
    const state = await client.pause();
    latencies.push(performance.now() - t0);
    assert.equal(state.running, false);
    const error = await answer;
    assert.equal(error?.code, 'INTERRUPTED', String(error?.message));
    assert.match(error.message, /interrupted by pause at step \d+, \d+ of 1000000000 iterations done/);
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const text = `pause after step 1e9: ${latencies.map((l) => l.toFixed(1)).join(', ')} ms`;
  console.log(`# ${text}`);
  assert.ok(sorted[1] < 50, text);
  // Paused means paused: the counter stays put, and exact step counts still hold.
  const { step } = await client.save();
  await sleep(150);
  assert.equal((await client.save()).step, step);
  const [a, b] = await Promise.all([client.step(3), client.step(4)]);
  assert.equal(a.step, step + 3);
  assert.equal(b.step, step + 7);
});

test('configure during a long step answers at once and interrupts the step', async () => {
  await fresh();
  const big = client.step(1e9).then(() => null, (error) => error);
  await sleep(200);
  const t0 = performance.now();
  const configured = await client.configure('small', {}, 4);
  const latency = performance.now() - t0;
  assert.equal(configured.step, 0);
  assert.ok(latency < 50 + 60, `configure took ${latency.toFixed(1)} ms`);
  assert.equal((await big)?.code, 'INTERRUPTED');
  assert.equal((await client.save()).step, 0, 'the interrupted step does not train the new model');
});

test('a sliced step (its first iteration in parts) trains the same bits as several short steps', async () => {
  await fresh('small', {}, 8);
  await client.step(25);
  const sliced = (await client.save()).bytes;
  const other = await GanClient.create({ threads: 1 });
  try {
    await other.configure('small', {}, 8);
    await other.setData(pixels, TRAIN_COUNT, 784);
    for (let i = 0; i < 5; i++) await other.step(5);
    assert.ok(Buffer.from((await other.save()).bytes).equals(Buffer.from(sliced)));
  } finally {
    other.terminate();
  }
});

test('counts that need more memory than a request may use are refused, and the model is intact', async () => {
  await fresh('small', { noise_dim: 65536, 'g.layers.0.units': 8 }, 5);
  const before = (await client.save()).bytes;
  let error = await refused(client.noise(1, 98304), 'TOO_LARGE');
  assert.match(error.message, /noise: 98304 x 65536 floats needs 24576 MiB/);
  await refused(client.sample({ seed: 1, count: 1 << 20 }), 'TOO_LARGE');
  await refused(client.interpolate(new Float32Array(65536), new Float32Array(65536), 65536), 'TOO_LARGE');
  error = await refused(client.evaluate({ samples: 1 << 20, validation: new Uint8Array(784), test: new Uint8Array(784) }), 'TOO_LARGE');
  assert.match(error.message, /evaluate: 1048576 samples/);
  assert.ok(Buffer.from((await client.save()).bytes).equals(Buffer.from(before)), 'nothing changed');
  const stats = await client.step(2);
  assert.equal(stats.step, 2);
  assert.equal((await client.noise(1, 3)).z.length, 3 * 65536);
});

test('requests of the wrong type are refused with BAD_REQUEST, not coerced', async () => {
  await fresh('toy', {}, 2);
  const cases = [
    ['start', { until: true }], ['start', { until: '5' }], ['start', { until: -1 }], ['start', { until: 1.5 }],
    ['start', { pace: '3' }], ['start', { pace: NaN }], ['start', { pace: -1 }],
    ['step', { count: '2' }], ['step', { count: 0 }], ['step', { count: 2.5 }], ['step', { count: true }], ['step', { count: 2n }],
    ['step', { count: Infinity }],
    ['noise', { seed: -1 }], ['noise', { seed: 1.5 }], ['noise', { seed: NaN }], ['noise', { seed: 2 ** 53 }],
    ['noise', { seed: -1n }], ['noise', { seed: 2n ** 64n }], ['noise', { seed: '0x10' }], ['noise', { seed: ' 1' }],
    ['noise', { seed: '18446744073709551616' }], ['noise', { seed: true }], ['noise', { count: '3' }], ['noise', { count: 0 }],
    ['sample', { z: [0.5] }], ['sample', { z: 'zz' }], ['sample', { z: new Float64Array(1) }], ['sample', { z: new Float32Array(0) }],
    ['sample', { z: new Float32Array(1), seed: 3 }], ['sample', { count: 1.5 }],
    ['interpolate', { z0: new Float32Array(1) }], ['interpolate', { z0: [0], z1: [1] }],
    ['interpolate', { z0: new Float32Array(1), z1: new Float32Array(1), steps: 1 }],
    ['interpolate', { z0: new Float32Array(1), z1: new Float32Array(1), spherical: 'yes' }],
    ['discriminate', {}], ['discriminate', { x: [1, 2] }], ['discriminate', { x: new Float32Array(0) }],
    ['configure', { overrides: 5 }], ['configure', { overrides: [1] }], ['configure', { overrides: { d_steps: {} } }],
    ['configure', { overrides: { d_steps: NaN } }], ['configure', { seed: -1 }], ['configure', { preset: 7 }],
    ['configure', { keepRunning: 1 }], ['reset', { keepRunning: 'yes' }], ['pace', { stepsPerSecond: '2' }],
    ['data', { images: [1, 2, 3] }], ['data', { images: new Uint8Array(1176), dim: 784 }],
    ['data', { images: new Uint8Array(4), count: '4', dim: 1 }], ['load', { bytes: 'abc' }], ['load', {}],
    ['evaluate', { validation: new Uint8Array(1) }], ['evaluate', { validation: new Uint8Array(1), test: new Uint8Array(0) }],
    ['evaluate', { validation: new Uint8Array(1), test: new Uint8Array(1), samples: '10' }],
    ['step', { counts: 2 }], ['save', { extra: 1 }], ['init', {}], ['init', { helpers: 'page' }], ['bogus', {}], ['constructor', {}], ['__proto__', {}],
  ];
  for (const [type, fields] of cases) {
    const error = await refused(client.request(type, fields), 'BAD_REQUEST');
    assert.ok(error.message.length > 10, `${type}: ${error.message}`);
  }
  // Raw messages that are not request objects at all.
  const raw = [5, 'step', null, [1, 2], { type: 5 }];
  for (const message of raw) {
    const answer = client.waitFor('error', (m) => m.id === undefined);
    client.worker.postMessage(message);
    assert.equal((await answer).code, 'BAD_REQUEST', JSON.stringify(message));
  }
  // Nothing moved, and seeds in every accepted form agree.
  assert.equal((await client.save()).step, 0);
  const forms = [5, 5n, '5'];
  const noises = await Promise.all(forms.map((seed) => client.noise(seed, 4)));
  for (const { z } of noises) assert.deepEqual(z, noises[0].z);
  const top = await Promise.all([2n ** 64n - 1n, '18446744073709551615'].map((seed) => client.noise(seed, 4)));
  assert.deepEqual(top[0].z, top[1].z);
  assert.notDeepEqual(top[0].z, noises[0].z);
  assert.ok((await client.noise(Number.MAX_SAFE_INTEGER, 1)).z.length > 0);
  const started = await client.start(3);
  assert.equal(started.running, true);
});
