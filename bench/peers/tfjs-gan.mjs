#!/usr/bin/env node
// TensorFlow.js 4.22 peer for `npm run bench`: trains a GAN on real MNIST
// batches the way a TF.js user writes it - tf.variable weights, ops from
// tfjs-core (tf.fused.matMul with bias, as tf.layers.dense does), tf.dropout,
// tf.losses.sigmoidCrossEntropy, and optimizer.minimize(lossFn, true, varList)
// for the D step then the G step (Algorithm 1, k = 1, non-saturating G loss).
// SGD with momentum for the paper model, Adam for the small one.
//
//   node bench/peers/tfjs-gan.mjs --backend wasm|cpu --model paper|mlp256|small
//        [--model-json '<model object>'] [--seconds 5] [--windows 3] [--warmup 2]
//        [--min-iters 2] [--seed 1] [--serve]
//
// The model is --model-json's (bench.mjs passes what it read from the core),
// or else --model as wasm-gan's core builds it (bench/peers/models.mjs).
// Prints one JSON line on stdout. Run one backend per process (bench.mjs does),
// so memory figures and backends do not interfere. --serve: set up, then time
// one window per "window SECONDS" line on stdin and print the same result line
// on "end" (bench/serve.mjs; --windows is ignored).

import { createRequire } from 'node:module';
import path from 'node:path';
import { mulberry32 } from '../../web/runtime/toy-data.js';
import { CHILD_OPTIONS, benchArgs } from '../args.mjs';
import { iterationFlops } from '../flops.mjs';
import { loadMnist, serve, timing, windowTimer } from '../serve.mjs';
import { describe, loadCore, modelFromCore } from './models.mjs';

const require = createRequire(import.meta.url);

const OPTIONS = {
  ...CHILD_OPTIONS,
  backend: { type: 'string', default: 'wasm', choices: ['wasm', 'cpu'] },
  'model-json': { type: 'string' }, // the model as bench.mjs read it from the core
  warmup: { type: 'number', default: 2 },
};

async function loadTf(backend) {
  // The union package, as TF.js users import it: tfjs-core's Node bundle alone
  // registers no gradients (optimizer.minimize fails), @tensorflow/tfjs does.
  // It also registers the cpu backend; the wasm one is added below.
  const tf = require('@tensorflow/tfjs');
  if (backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    // In Node the backend reads its .wasm with fs from a file-path prefix
    // (a directory ending in '/'); it picks tfjs-backend-wasm-simd.wasm when
    // SIMD is available. Node has no cross-origin-isolation story for the
    // threaded build here (WASM_HAS_MULTITHREAD_SUPPORT is false), so it runs
    // one thread, like wasm-gan's 1-thread row.
    const dist = path.join(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + path.sep;
    wasm.setWasmPaths(dist);
  } else if (backend !== 'cpu') {
    throw new Error(`unknown backend ${backend}`);
  }
  if (!(await tf.setBackend(backend))) throw new Error(`could not initialise the ${backend} backend`);
  await tf.ready();
  return tf;
}

// Batches in a seeded order (mulberry32; weights, noise and dropout come from TF.js's own RNG).
class Batches {
  constructor(data, batch, seed) {
    this.data = data; this.batch = batch; this.rand = mulberry32(seed);
    this.order = new Uint32Array(data.count).map((_, i) => i);
    this.pos = data.count; // shuffle on first use
    this.buf = new Float32Array(batch * data.dim);
    this.epochs = 0;
  }
  next(tf) {
    const { images, dim, count } = this.data;
    for (let r = 0; r < this.batch; r++) {
      if (this.pos >= count) {
        for (let i = count - 1; i > 0; i--) { const j = Math.floor(this.rand() * (i + 1)); [this.order[i], this.order[j]] = [this.order[j], this.order[i]]; }
        this.pos = 0;
      }
      const src = this.order[this.pos++] * dim;
      for (let p = 0; p < dim; p++) this.buf[r * dim + p] = images[src + p] / 255;
    }
    this.epochs += this.batch / count;
    return tf.tensor2d(this.buf, [this.batch, dim]);
  }
}

// An MLP from a layer list: tf.variable weights and a forward function.
function buildNetwork(tf, layers, inDim, name) {
  const vars = [];
  const ops = [];
  let width = inDim;
  layers.forEach((l, i) => {
    switch (l.kind) {
      case 'dense': {
        const r = l.init ?? 0.05;
        const W = tf.variable(tf.randomUniform([width, l.units], -r, r), true, `${name}.${i}.weight`);
        const b = tf.variable(tf.zeros([l.units]), true, `${name}.${i}.bias`);
        vars.push(W, b);
        // Fuse a following ReLU into the matMul, as tf.layers.dense({activation: 'relu'}) does.
        const fuseRelu = layers[i + 1]?.kind === 'relu';
        ops.push((x) => tf.fused.matMul({ a: x, b: W, bias: b, activation: fuseRelu ? 'relu' : 'linear' }));
        if (fuseRelu) layers[i + 1] = { ...layers[i + 1], fused: true };
        width = l.units;
        break;
      }
      case 'relu': if (!l.fused) ops.push((x) => tf.relu(x)); break;
      case 'leaky_relu': ops.push((x) => tf.leakyRelu(x, l.slope ?? 0.2)); break;
      case 'sigmoid': ops.push((x) => tf.sigmoid(x)); break;
      case 'tanh': ops.push((x) => tf.tanh(x)); break;
      case 'maxout': {
        const units = width / l.pieces, pieces = l.pieces;
        // Maxout in TF.js: reshape the dense output to [batch, units, pieces], max over pieces.
        ops.push((x) => tf.max(tf.reshape(x, [-1, units, pieces]), 2));
        width = units;
        break;
      }
      case 'dropout': {
        const rate = 1 - l.keep;
        ops.push((x, training) => (training && rate > 0 ? tf.dropout(x, rate) : x));
        break;
      }
      default: throw new Error(`unsupported layer kind ${l.kind}`);
    }
  });
  return {
    vars,
    outDim: width,
    apply(x, training = true) { return ops.reduce((h, op) => op(h, training), x); },
  };
}

function makeOptimizer(tf, o) {
  if (o.kind === 'sgd') return tf.train.momentum(o.lr, o.momentumStart ?? 0, false);
  if (o.kind === 'adam') return tf.train.adam(o.lr, o.beta1 ?? 0.9, o.beta2 ?? 0.999, o.epsilon ?? 1e-8);
  throw new Error(`unsupported optimizer ${o.kind}`);
}

// Per-update learning-rate decay and the momentum ramp of the paper's setup,
// through the optimizers' public setters (cheap scalar updates).
function scheduleSgd(opt, o, updates, epoch) {
  if (o.kind !== 'sgd') return;
  if (o.decay && o.decay !== 1) opt.setLearningRate(Math.max(o.lr / Math.pow(o.decay, updates), o.lrMin ?? 0));
  if (o.momentumEnd != null) {
    const t = Math.min(1, Math.max(0, (epoch - o.momentumStartEpoch) / Math.max(1, o.momentumEndEpoch - o.momentumStartEpoch)));
    // (In 4.22 MomentumOptimizer.setMomentum stores the value but keeps using the
    // scalar made in its constructor; a user's code calls it anyway. Speed is unaffected.)
    opt.setMomentum(o.momentumStart + t * (o.momentumEnd - o.momentumStart));
  }
}

function rssBytes() { return process.memoryUsage().rss; }
function peakRssBytes() { return process.resourceUsage().maxRSS * 1024; }

async function main() {
  const opts = benchArgs(import.meta.url, OPTIONS);
  const model = opts.modelJson ? JSON.parse(opts.modelJson) : await modelOf(opts.model, opts.seed);
  const tf = await loadTf(opts.backend);
  tf.setSeed?.(opts.seed);

  const data = loadMnist(model.examplesPerEpoch ?? 50000);
  const batches = new Batches(data, model.batch, opts.seed);
  const G = buildNetwork(tf, structuredClone(model.g), model.noiseDim, 'generator');
  const D = buildNetwork(tf, structuredClone(model.d), model.dataDim, 'discriminator');

  // The paper's output bias: logit of the data's mean pixel values (for a sigmoid output).
  const lastDense = G.vars[G.vars.length - 1];
  if (model.g[model.g.length - 1]?.kind === 'sigmoid') {
    const mean = new Float64Array(data.dim);
    for (let i = 0; i < data.count; i++) for (let p = 0; p < data.dim; p++) mean[p] += data.images[i * data.dim + p];
    const bias = Float32Array.from(mean, (s) => { const m = Math.min(Math.max(s / data.count / 255, 1e-3), 1 - 1e-3); return Math.log(m / (1 - m)); });
    lastDense.assign(tf.tensor1d(bias));
  }

  const gOpt = makeOptimizer(tf, model.gOptimizer);
  const dOpt = makeOptimizer(tf, model.dOptimizer);
  const B = model.batch;
  const k = model.dSteps ?? 1;
  const lo = model.prior === 'gaussian' ? null : -(model.priorScale ?? Math.sqrt(3));
  const noise = () => (lo === null ? tf.randomNormal([B, model.noiseDim], 0, model.priorScale ?? 1)
    : tf.randomUniform([B, model.noiseDim], lo, -lo));
  const bce = (labels, logits) => tf.losses.sigmoidCrossEntropy(labels, logits);
  const ones = tf.ones([B, 1]);
  const zeros = tf.zeros([B, 1]);
  let updates = 0;
  let last = { dLoss: NaN, gLoss: NaN };

  // One iteration of Algorithm 1: k D-updates on real batches, then one G-update on fresh noise.
  function iteration() {
    let dCost, gCost;
    for (let s = 0; s < k; s++) {
      const real = batches.next(tf);
      dCost = dOpt.minimize(() => {
        const fake = G.apply(noise());
        const dReal = D.apply(real, true);
        const dFake = D.apply(fake, true);
        return tf.mul(0.5, tf.add(bce(ones, dReal), bce(zeros, dFake)));
      }, true, D.vars);
      real.dispose();
    }
    gCost = gOpt.minimize(() => {
      const dFake = D.apply(G.apply(noise()), true);
      return model.generatorLoss === 'minimax'
        ? tf.neg(bce(zeros, dFake)) // minimise log(1 - D(G(z))) = -BCE(0, D(G(z)))
        : bce(ones, dFake);         // non-saturating: -log D(G(z))
    }, true, G.vars);
    updates++;
    scheduleSgd(dOpt, model.dOptimizer, updates, batches.epochs);
    scheduleSgd(gOpt, model.gOptimizer, updates, batches.epochs);
    // Reading the losses each step, as a training loop that shows them does; it also syncs.
    last = { dLoss: dCost.dataSync()[0], gLoss: gCost.dataSync()[0] };
    dCost.dispose(); gCost.dispose();
  }

  const rssStart = rssBytes();
  const warmStart = performance.now();
  for (let i = 0; i < opts.warmup; i++) iteration();
  const warmupSeconds = (performance.now() - warmStart) / 1000;
  const tensorsAfterWarmup = tf.memory().numTensors;

  const timer = windowTimer({ clock: opts.clock, minIters: opts.minIters, step: iteration });
  timer.iterations = opts.warmup;

  // The result line, from the windows run so far.
  const result = () => {
    const flops = iterationFlops(model).total;
    const mem = tf.memory();
    let wasmMemoryBytes = null;
    if (opts.backend === 'wasm') wasmMemoryBytes = tf.backend().wasm?.HEAPU8?.buffer?.byteLength ?? null;
    const simd = opts.backend === 'wasm' && tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    return {
      system: `tfjs-${opts.backend}`,
      label: `TF.js ${tf.version_core} ${opts.backend === 'wasm' ? (simd ? 'wasm (SIMD)' : 'wasm (NO SIMD)') : 'cpu'}`,
      model: model.name,
      architecture: describe(model),
      backend: tf.getBackend(),
      tfjsVersion: tf.version_core,
      simd,
      threads: 1,
      ...timing({ windows: timer.windows, clock: opts.clock, iterations: timer.iterations, warmupSeconds, flopsPerIt: flops }),
      peakRssBytes: peakRssBytes(),
      rssStartBytes: rssStart,
      rssEndBytes: rssBytes(),
      wasmMemoryBytes,
      tfTensorBytes: mem.numBytes,
      tfTensorsLeaked: mem.numTensors - tensorsAfterWarmup,
      dLoss: last.dLoss,
      gLoss: last.gLoss,
      node: process.version,
    };
  };

  if (opts.serve) {
    // bench.mjs's interleaved rounds: one window per request, the result on "end".
    await serve({ ready: { system: `tfjs-${opts.backend}`, model: model.name, warmupSeconds }, runWindow: timer.run, finish: result });
    return;
  }
  for (let w = 0; w < opts.windows; w++) timer.run(opts.seconds);
  process.stdout.write(JSON.stringify(result()) + '\n');
}

// Without --model-json: the model as wasm-gan's core builds it (bench/peers/models.mjs).
async function modelOf(name, seed) {
  const gan = await loadCore();
  try {
    return modelFromCore(gan, name, { seed }).model;
  } finally {
    gan.close?.();
  }
}

// Exits when done: the serve loop's stdin would otherwise keep the process alive.
main().then(() => process.exit(0), (err) => {
  process.stdout.write(JSON.stringify({ system: 'tfjs', error: String(err?.stack ?? err) }) + '\n');
  process.exit(1);
});
