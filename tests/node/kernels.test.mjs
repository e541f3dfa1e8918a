// The SIMD128 GEMM against the scalar reference in the same wasm module, and
// Parzen in wasm against a direct double loop in JS.
//
//   node --test tests/node/kernels.test.mjs
//
// The kernels are not exported from the modules that ship: those tests load
// the test build (gan-simd.wasm with src/exports-test.txt too), from
// GAN_TEST_WASM_DIR (default build/wasm-test). The SIMD-against-scalar
// training tests below use the shipped modules, from GAN_WASM_DIR (default web/wasm).
// Every kernel follows the summation order of src/gemm.h, so SIMD and scalar
// must agree bit for bit; the test checks exactly that (NaN-prefilled C shows
// any element a kernel fails to write).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import path from 'node:path';
import { loadGan } from '../../web/runtime/loader.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const wasmDir = path.resolve(process.env.GAN_WASM_DIR ?? path.join(root, 'web/wasm'));
const testWasmDir = path.resolve(process.env.GAN_TEST_WASM_DIR ?? path.join(root, 'build/wasm-test'));
const simdFile = path.join(testWasmDir, 'gan-simd.wasm');
assert.ok(existsSync(simdFile), `${simdFile} is missing: build the wasm first (npm run build)`);

// The project's loader; the test needs only the raw exports and the allocator.
const gan = await loadGan({ simd: true, wasmBase: pathToFileURL(`${testWasmDir}/`) });
const wasm = gan.exports;
const alloc = (bytes) => gan.alloc(bytes);
const release = (pointer) => gan.release(pointer);
const f32 = () => new Float32Array(wasm.memory.buffer);
const f64 = () => new Float64Array(wasm.memory.buffer);

test('the shipped modules leave the test-only exports to the test build', () => {
  const testOnly = readFileSync(path.join(root, 'src/exports-test.txt'), 'utf8')
    .split('\n').filter((line) => /^[a-z_0-9]+$/.test(line));
  assert.ok(testOnly.includes('gemm_nn'));
  const names = (file) => WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(file))).map((e) => e.name);
  for (const name of testOnly) assert.ok(names(simdFile).includes(name), `${simdFile} lacks ${name}`);
  for (const file of ['gan-simd.wasm', 'gan-scalar.wasm', 'gan-simd-threads.wasm']) {
    const shipped = path.join(wasmDir, file);
    if (!existsSync(shipped)) continue;
    const leaked = names(shipped).filter((name) => testOnly.includes(name));
    assert.deepEqual(leaked, [], `${shipped} exports test-only symbols`);
  }
});

let seed = 12345;
function random() { // xorshift32, in [-1, 1)
  seed ^= seed << 13; seed >>>= 0;
  seed ^= seed >>> 17;
  seed ^= seed << 5; seed >>>= 0;
  return seed / 2 ** 31 - 1;
}

function runCase(layout, M, N, K, { accumulate, pad }) {
  const [aRows, aCols] = layout === 'tn' ? [K, M] : [M, K];
  const [bRows, bCols] = layout === 'nt' ? [N, K] : [K, N];
  const lda = aCols + pad, ldb = bCols + pad, ldc = N + pad;
  const aLen = aRows * lda, bLen = bRows * ldb, cLen = M * ldc;
  const pa = alloc(aLen * 4 + 4), pb = alloc(bLen * 4 + 4);
  const pc1 = alloc(cLen * 4 + 4), pc2 = alloc(cLen * 4 + 4);
  try {
    const heap = f32();
    for (let i = 0; i < aLen; i++) heap[pa / 4 + i] = random();
    for (let i = 0; i < bLen; i++) heap[pb / 4 + i] = random();
    for (let i = 0; i < cLen; i++) {
      const v = accumulate ? random() : NaN;
      heap[pc1 / 4 + i] = v;
      heap[pc2 / 4 + i] = v;
    }
    wasm[`gemm_${layout}`](M, N, K, pa, lda, pb, ldb, pc1, ldc, accumulate);
    wasm[`gemm_${layout}_scalar`](M, N, K, pa, lda, pb, ldb, pc2, ldc, accumulate);
    const h = f32();
    const got = h.subarray(pc1 / 4, pc1 / 4 + cLen);
    const want = h.subarray(pc2 / 4, pc2 / 4 + cLen);
    for (let i = 0; i < M; i++) {
      for (let j = 0; j < ldc; j++) {
        const at = i * ldc + j;
        if (j >= N) { // padding columns are never written
          const before = accumulate ? 'random' : 'NaN';
          if (!accumulate) assert.ok(Number.isNaN(got[at]), `${layout} ${M}x${N}x${K}: wrote padding (${before})`);
          continue;
        }
        assert.ok(Number.isFinite(got[at]), `${layout} ${M}x${N}x${K} acc=${accumulate}: C[${i}][${j}] = ${got[at]}`);
        if (!Object.is(got[at], want[at])) {
          assert.fail(`${layout} ${M}x${N}x${K} acc=${accumulate} pad=${pad}: C[${i}][${j}] SIMD ${got[at]} != scalar ${want[at]}`);
        }
      }
    }
  } finally {
    release(pa); release(pb); release(pc1); release(pc2);
  }
}

// The microkernel tile is 4 rows x 8 columns with k blocks of up to 256.
const rowSizes = [1, 3, 4, 5, 8, 13, 100];
const colSizes = [1, 4, 7, 8, 9, 16, 17, 33];
const kSizes = [1, 2, 5, 8, 256, 257, 300];

for (const layout of ['nn', 'nt', 'tn']) {
  test(`gemm_${layout}: SIMD equals the scalar reference at tile edges`, () => {
    for (const M of rowSizes)
      for (const N of colSizes)
        for (const K of kSizes)
          for (const accumulate of [0, 1])
            runCase(layout, M, N, K, { accumulate, pad: (M + N + K) % 3 === 0 ? 0 : 3 });
  });
  test(`gemm_${layout}: SIMD equals the scalar reference at a paper shape`, () => {
    runCase(layout, 100, 1200, 1200, { accumulate: 0, pad: 0 });
    runCase(layout, 100, 123, 777, { accumulate: 1, pad: 5 });
  });
  test(`gemm_${layout}: K = 0 zeroes or keeps C`, () => {
    runCase(layout, 5, 9, 0, { accumulate: 0, pad: 1 });
    runCase(layout, 5, 9, 0, { accumulate: 1, pad: 1 });
  });
}

// Threads split C by rows or columns with pointer offsets (src/gemm.h); each
// part must give the same bits as the whole.
function partitionCase(layout, M, N, K) {
  const [aRows, aCols] = layout === 'tn' ? [K, M] : [M, K];
  const [bRows, bCols] = layout === 'nt' ? [N, K] : [K, N];
  const pa = alloc(aRows * aCols * 4), pb = alloc(bRows * bCols * 4);
  const whole = alloc(M * N * 4), split = alloc(M * N * 4);
  try {
    const heap = f32();
    for (let i = 0; i < aRows * aCols; i++) heap[pa / 4 + i] = random();
    for (let i = 0; i < bRows * bCols; i++) heap[pb / 4 + i] = random();
    const gemm = wasm[`gemm_${layout}`];
    gemm(M, N, K, pa, aCols, pb, bCols, whole, N, 0);
    const same = (what) => {
      const h = f32();
      const a = h.subarray(whole / 4, whole / 4 + M * N), b = h.subarray(split / 4, split / 4 + M * N);
      for (let i = 0; i < M * N; i++) {
        if (!Object.is(a[i], b[i])) assert.fail(`${layout} ${M}x${N}x${K} ${what}: element ${i} ${b[i]} != ${a[i]}`);
      }
    };
    const rows = [0, 3, (M >> 1) + 1, M];
    f32().fill(NaN, split / 4, split / 4 + M * N);
    for (let p = 0; p < 3; p++) {
      const i0 = rows[p], count = rows[p + 1] - i0;
      const a = layout === 'tn' ? pa + 4 * i0 : pa + 4 * i0 * aCols;
      gemm(count, N, K, a, aCols, pb, bCols, split + 4 * i0 * N, N, 0);
    }
    same('row split');
    const cols = [0, 5, (N >> 1) + 3, N];
    f32().fill(NaN, split / 4, split / 4 + M * N);
    for (let p = 0; p < 3; p++) {
      const j0 = cols[p], count = cols[p + 1] - j0;
      const b = layout === 'nt' ? pb + 4 * j0 * bCols : pb + 4 * j0;
      gemm(M, count, K, pa, aCols, b, bCols, split + 4 * j0, N, 0);
    }
    same('column split');
  } finally {
    release(pa); release(pb); release(whole); release(split);
  }
}

test('gemm: splitting C by rows or columns gives the same bits (threading)', () => {
  for (const layout of ['nn', 'nt', 'tn']) {
    partitionCase(layout, 37, 43, 300);
    partitionCase(layout, 100, 240, 1200);
  }
});

// log p(x) = logmeanexp_i(-|x - s_i|^2 / (2 sigma^2)) - d log(sigma sqrt(2 pi)), in doubles.
function parzenReference(samples, nSamples, points, nPoints, dim, sigma) {
  const out = new Float64Array(nPoints);
  for (let p = 0; p < nPoints; p++) {
    const e = new Float64Array(nSamples);
    let max = -Infinity;
    for (let s = 0; s < nSamples; s++) {
      let d2 = 0;
      for (let k = 0; k < dim; k++) {
        const diff = points[p * dim + k] - samples[s * dim + k];
        d2 += diff * diff;
      }
      e[s] = -d2 / (2 * sigma * sigma);
      max = Math.max(max, e[s]);
    }
    let sum = 0;
    for (let s = 0; s < nSamples; s++) sum += Math.exp(e[s] - max);
    out[p] = max + Math.log(sum / nSamples) - dim * Math.log(sigma * Math.sqrt(2 * Math.PI));
  }
  return out;
}

test('gan_parzen_log_density in wasm matches a JS double loop', () => {
  assert.equal(typeof wasm.gan_parzen_log_density, 'function', `${simdFile} lacks gan_parzen_log_density`);
  const nSamples = 37, nPoints = 11, dim = 50;
  const samples = Float32Array.from({ length: nSamples * dim }, () => (random() + 1) / 2);
  const points = Float32Array.from({ length: nPoints * dim }, () => (random() + 1) / 2);
  const ps = alloc(samples.length * 4), pp = alloc(points.length * 4), po = alloc(nPoints * 8);
  try {
    f32().set(samples, ps / 4);
    f32().set(points, pp / 4);
    for (const sigma of [0.1, 0.3, 1]) {
      const status = wasm.gan_parzen_log_density(ps, nSamples, pp, nPoints, dim, sigma, po);
      assert.equal(status, 0);
      const got = f64().slice(po / 8, po / 8 + nPoints);
      const want = parzenReference(samples, nSamples, points, nPoints, dim, sigma);
      for (let p = 0; p < nPoints; p++) {
        // Float32 dot products in the GEMM identity: error ~1e-6 |x|^2 / sigma^2.
        const tolerance = 1e-4 * Math.abs(want[p]) + 2e-5 * dim / (sigma * sigma);
        assert.ok(Math.abs(got[p] - want[p]) <= tolerance,
          `sigma ${sigma} point ${p}: wasm ${got[p]} vs reference ${want[p]}`);
      }
    }
    assert.notEqual(wasm.gan_parzen_log_density(ps, nSamples, pp, nPoints, dim, 0, po), 0, 'sigma 0 is rejected');
  } finally {
    release(ps); release(pp); release(po);
  }
});

// ---- elementwise layers and optimizers: SIMD build against scalar build ----
//
// The SIMD build runs activations, dropout, bias, the optimizer steps and the
// gradient norm four values at a time (src/network.c, src/optimizer.c,
// detmath.h's det_expf_f32x4), the scalar build one at a time. Training the
// same model in both must give the same bytes: the widths and batch sizes
// below are odd so every loop has a scalar tail, and every layer kind and
// both optimizers take part.

const scalarFile = path.join(wasmDir, 'gan-scalar.wasm');

/** A model on top of the small preset: {key: value} for gan_config_set. */
function layersOverrides(net, layers) {
  const out = { [`${net}.layer_count`]: layers.length };
  layers.forEach(([kind, value], i) => {
    const p = `${net}.layers.${i}.`;
    Object.assign(out, { [`${p}kind`]: kind, [`${p}units`]: 0, [`${p}pieces`]: 0, [`${p}keep_prob`]: 0, [`${p}slope`]: 0, [`${p}init_range`]: 0 });
    if (kind === 'dense') Object.assign(out, { [`${p}units`]: value, [`${p}init_range`]: 0.4 });
    if (kind === 'maxout') out[`${p}pieces`] = value;
    if (kind === 'dropout') out[`${p}keep_prob`] = value;
    if (kind === 'leaky_relu') out[`${p}slope`] = value;
  });
  return out;
}

const awkward = {
  noise_dim: 7, data_dim: 29, batch_size: 7, examples_per_epoch: 0,
  ...layersOverrides('g', [['dense', 13], ['tanh'], ['dense', 21], ['maxout', 3], ['leaky_relu', 0.2],
    ['dense', 29], ['sigmoid']]),
  ...layersOverrides('d', [['dropout', 0.8], ['dense', 30], ['maxout', 5], ['dropout', 0.5], ['dense', 11],
    ['leaky_relu', 0.2], ['dense', 9], ['relu'], ['dropout', 0.7], ['dense', 1]]),
};
const sgd = {
  'g.optimizer': 'sgd', 'd.optimizer': 'sgd', 'g.learning_rate': 0.1, 'd.learning_rate': 0.1,
  'g.momentum_start': 0.5, 'd.momentum_start': 0.5, 'g.momentum_end': 0.7, 'd.momentum_end': 0.7,
  'g.learning_rate_decay': 1.000004, 'd.learning_rate_decay': 1.000004,
};

async function trainIn(simd, preset, overrides, steps, dataDim, prepare) {
  const gan = await loadGan({ simd, threads: 1, wasmBase: pathToFileURL(`${wasmDir}/`) });
  try {
    assert.equal(gan.simd, simd);
    const model = gan.create(preset, overrides, 3);
    const count = 64;
    let s = 99;
    const pixels = Uint8Array.from({ length: count * dataDim }, () => { s = (s * 1103515245 + 12345) >>> 0; return (s >>> 24) < 80 ? s >>> 16 & 255 : 0; });
    model.attachData(pixels, count);
    model.initGeneratorBias();
    prepare?.(model);
    const stats = model.train(steps);
    const images = model.generate(model.sampleNoise(5, 9), 9);
    const bytes = model.checkpointSave();
    model.free();
    return { stats, images, bytes };
  } finally {
    gan.close();
  }
}

/* Maxout ties: in D's first maxout (30 units = 6 groups of 5 pieces) pieces
 * 1 and 2 of every group get the same weights, so their outputs tie exactly
 * on every row. Only the winner gets a gradient, so they stay equal for the
 * whole run, and whenever they lead, the first of them must win in the SIMD
 * kernels (selects, four groups at a time) as in the scalar loop. */
function tiePieces(model) {
  const d = model.parameters(1), inputs = 29, outputs = 30, pieces = 5;
  for (let r = 0; r <= inputs; r++) { // the bias row follows W's rows
    const row = r * outputs;
    for (let u = 0; u < outputs / pieces; u++) d[row + u * pieces + 2] = d[row + u * pieces + 1];
  }
}

/* Every image layer kind at odd sizes (data 2 x 5 x 5, the core's
 * tests/c/test_gradients.c model): col2im's SIMD adds, max pooling and
 * channel maxout on images, untied biases, reshape. */
const conv = (net, i, kind, fields) => Object.fromEntries([[`${net}.layers.${i}.kind`, kind],
  ...Object.entries(fields).map(([k, v]) => [`${net}.layers.${i}.${k}`, v])]);
const awkwardConv = {
  // the first conv preset's training, which the pinned digest was made with
  'g.learning_rate': 5e-4, real_target: 0.9, generator_average: 0,
  noise_dim: 3, data_dim: 50, data_channels: 2, data_height: 5, data_width: 5, batch_size: 7, examples_per_epoch: 0,
  'g.layer_count': 7,
  ...conv('g', 0, 'dense', { units: 18, init_range: 0.8 }), ...conv('g', 1, 'tanh', {}),
  ...conv('g', 2, 'reshape', { channels: 2, height: 3, width: 3 }),
  ...conv('g', 3, 'conv_transpose', { channels: 4, kernel: 3, stride: 2, padding: 1, untied_bias: 1, init_range: 0.6 }),
  ...conv('g', 4, 'leaky_relu', { slope: 0.3 }),
  ...conv('g', 5, 'conv', { channels: 2, kernel: 3, stride: 1, padding: 1, init_range: 0.6 }),
  ...conv('g', 6, 'sigmoid', {}),
  'd.layer_count': 7,
  ...conv('d', 0, 'conv', { channels: 6, kernel: 2, stride: 1, padding: 1, init_range: 0.9 }),
  ...conv('d', 1, 'maxout', { pieces: 3 }), ...conv('d', 2, 'dropout', { keep_prob: 0.8 }),
  ...conv('d', 3, 'max_pool', { kernel: 3, stride: 2, padding: 0, ceil_mode: 1 }),
  ...conv('d', 4, 'conv', { channels: 3, kernel: 2, stride: 3, padding: 1, untied_bias: 1, init_range: 0.9 }),
  ...conv('d', 5, 'relu', {}), ...conv('d', 6, 'dense', { units: 1, init_range: 0.9 }),
};

/** FNV-1a 64 of a byte array, as a hex string (tests/c/test_conv.c pins the same). */
function fnv1a64(bytes) {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}
// The checkpoint after 20 steps of awkwardConv, native (tests/c/test_conv.c) and wasm alike.
const CONV_CHECKPOINT_DIGEST = '4fb0749c19a7c138';

const elementwiseCases = [
  ['awkward widths, Adam', 'small', awkward, 25, 29],
  ['awkward widths, SGD with momentum', 'small', { ...awkward, ...sgd }, 25, 29],
  ['awkward widths, minimax loss, Gaussian prior, k = 2', 'small', { ...awkward, generator_loss: 'minimax', prior: 'gaussian', d_steps: 2 }, 10, 29],
  ['the small preset', 'small', { batch_size: 33 }, 4, 784],
  ['maxout pieces that tie', 'small', awkward, 25, 29, tiePieces],
  ['every image layer at odd sizes', 'conv', awkwardConv, 20, 50],
  ['the conv preset', 'conv', { batch_size: 9 }, 2, 784],
];
for (const [name, preset, overrides, steps, dataDim, prepare] of elementwiseCases) {
  test(`elementwise and optimizer kernels: SIMD build gives the scalar build's bits (${name})`, { skip: !existsSync(scalarFile) && 'no gan-scalar.wasm' }, async () => {
    const simd = await trainIn(true, preset, overrides, steps, dataDim, prepare);
    const scalar = await trainIn(false, preset, overrides, steps, dataDim, prepare);
    assert.equal(simd.stats.status, 'GAN_OK');
    for (const key of ['d_loss', 'g_loss', 'd_real', 'd_fake', 'd_grad_norm', 'g_grad_norm']) {
      assert.ok(Object.is(simd.stats[key], scalar.stats[key]), `${key}: SIMD ${simd.stats[key]} != scalar ${scalar.stats[key]}`);
    }
    const a = new Uint8Array(simd.images.buffer), b = new Uint8Array(scalar.images.buffer);
    assert.equal(a.findIndex((v, i) => v !== b[i]), -1, 'samples differ');
    assert.equal(simd.bytes.length, scalar.bytes.length);
    assert.equal(simd.bytes.findIndex((v, i) => v !== scalar.bytes[i]), -1, 'checkpoints differ');
    if (overrides === awkwardConv && steps === 20) {
      assert.equal(fnv1a64(simd.bytes), CONV_CHECKPOINT_DIGEST, 'the native build (tests/c/test_conv.c) wrote another checkpoint');
    }
  });
}
