#!/usr/bin/env node
// TensorFlow.js 4.22 peer for `npm run bench`: trains a GAN on real MNIST
// batches the way a TF.js user writes it - tf.variable weights, ops from
// tfjs-core (tf.fused.matMul with bias, as tf.layers.dense does), tf.dropout,
// tf.losses.sigmoidCrossEntropy, and optimizer.minimize(lossFn, true, varList)
// for the D step then the G step (Algorithm 1, k = 1, non-saturating G loss).
// SGD with momentum for the paper model, Adam for the small one.
//
// A model with image layers (the conv preset) is written the way TF.js users
// write a convolutional GAN, as tfjs-examples' mnist-acgan does (after Keras's
// mnist_acgan.py): tf.sequential models of tf.layers (dense, reshape,
// conv2dTranspose, conv2d, batchNormalization, leakyReLU, dropout, flatten;
// activations as the layers' `activation`), D compiled with binaryCrossentropy and trained with
// trainOnBatch on the real batch concatenated with G.predict(noise), then a
// combined model z -> G -> D with D frozen trained with trainOnBatch on
// noise labelled real (the non-saturating G loss). Only TF.js backends that
// implement every kernel training needs can run it: the wasm backend has
// Conv2D and Conv2DBackpropInput but no Conv2DBackpropFilter (the weight
// gradient of conv2d and of conv2dTranspose), so its row reports the missing
// kernel as `skipped`, found by running the first iteration.
//
//   node bench/peers/tfjs-gan.mjs --backend wasm|cpu --model paper|mlp256|small
//        [--model-json '<model object>'] [--seconds 5] [--windows 3] [--warmup 2]
//        [--min-iters 2] [--seed 1] [--batch B] [--serve]
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
  batch: { type: 'number', default: 0 }, // 0: the model's; else this batch (bench.mjs: conv on the cpu backend)
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

// ---- image models: tf.layers, as TF.js users write a convolutional GAN ----

const IMAGE_KINDS = ['conv', 'conv_transpose', 'max_pool', 'reshape', 'batch_norm'];
const usesImageLayers = (model) => [...model.g, ...model.d].some((l) => IMAGE_KINDS.includes(l.kind));

/**
 * The tf.layers padding for a convolution (or pool) of kernel k, stride s and
 * symmetric padding p on a side of n: 'same' or 'valid' when TF.js's rule
 * gives exactly wasm-gan's windows (out = floor((n + 2p - k) / s) + 1, the
 * first window at -p), else null (zeroPadding2d by p, then 'valid').
 */
function convPadding(n, k, s, p) {
  const out = Math.floor((n + 2 * p - k) / s) + 1;
  if (p === 0) return 'valid';
  const total = Math.max((out - 1) * s + k - n, 0); // TF's 'same': out = ceil(n / s), before = floor(total / 2)
  return out === Math.ceil(n / s) && Math.floor(total / 2) === p ? 'same' : null;
}

/**
 * A tf.sequential of tf.layers for a layer list on `inShape` ([C, H, W] or a
 * width), tensors channels last as wasm-gan stores them ([H][W][C]; a dense
 * layer after an image is preceded by flatten, which reads [H][W][C] order
 * too). ReLU, sigmoid and tanh become the preceding layer's `activation`, as
 * users write them; weights uniform in +-init_range, biases zero.
 */
function buildLayersNetwork(tf, layers, inShape, name) {
  const net = tf.sequential({ name });
  let [c, h, w] = Array.isArray(inShape) ? inShape : [inShape, 1, 1];
  let image = Array.isArray(inShape) && (h > 1 || w > 1); // tensors [B, H, W, C], else [B, width]
  let first = true;
  const input = () => (first ? (first = false, { inputShape: image ? [h, w, c] : [c * h * w] }) : {});
  const init = (r) => ({ kernelInitializer: tf.initializers.randomUniform({ minval: -r, maxval: r }), biasInitializer: 'zeros' });
  const activationAfter = (i) => (['relu', 'sigmoid', 'tanh'].includes(layers[i + 1]?.kind) ? layers[i + 1].kind : 'linear');
  const unsupported = (l, why) => { throw new Error(`TF.js peer: ${name} layer ${l.kind} ${why}`); };
  for (let i = 0; i < layers.length; i++) {
    const l = layers[i];
    switch (l.kind) {
      case 'dense': {
        if (image) { net.add(tf.layers.flatten(input())); image = false; }
        const activation = activationAfter(i);
        net.add(tf.layers.dense({ ...input(), units: l.units, activation, ...init(l.init ?? 0.05) }));
        if (activation !== 'linear') i++;
        [c, h, w] = [l.units, 1, 1];
        break;
      }
      case 'reshape':
        net.add(tf.layers.reshape({ ...input(), targetShape: [l.height, l.width, l.channels] }));
        [c, h, w, image] = [l.channels, l.height, l.width, true];
        break;
      case 'conv': {
        if (!image) unsupported(l, 'on a flat input');
        if (l.untiedBias) unsupported(l, 'with untied biases (tf.layers has none)');
        const [k, s, p] = [l.kernel, l.stride, l.padding];
        const ph = convPadding(h, k, s, p), pw = convPadding(w, k, s, p);
        const padding = ph === pw && ph ? ph : 'valid';
        if (padding === 'valid' && p > 0) net.add(tf.layers.zeroPadding2d({ ...input(), padding: [[p, p], [p, p]] }));
        const activation = activationAfter(i);
        net.add(tf.layers.conv2d({ ...input(), filters: l.channels, kernelSize: k, strides: s, padding, activation, ...init(l.init ?? 0.05) }));
        if (activation !== 'linear') i++;
        [c, h, w] = [l.channels, Math.floor((h + 2 * p - k) / s) + 1, Math.floor((w + 2 * p - k) / s) + 1];
        break;
      }
      case 'conv_transpose': {
        if (!image) unsupported(l, 'on a flat input');
        if (l.untiedBias) unsupported(l, 'with untied biases (tf.layers has none)');
        const [k, s, p] = [l.kernel, l.stride, l.padding];
        const [oh, ow] = [(h - 1) * s + k - 2 * p, (w - 1) * s + k - 2 * p];
        // 'same' gives side * stride with the first p rows cropped: wasm-gan's when k - 2p = s.
        // Else 'valid', side * stride + max(k - s, 0), cropped by p before and the rest after.
        const same = k - 2 * p === s;
        const after = (n, o) => n * s + Math.max(k - s, 0) - o - p;
        const crop = !same && (p > 0 || after(h, oh) > 0 || after(w, ow) > 0);
        const activation = activationAfter(i);
        net.add(tf.layers.conv2dTranspose({ ...input(), filters: l.channels, kernelSize: k, strides: s, padding: same ? 'same' : 'valid',
          activation: crop ? 'linear' : activation, ...init(l.init ?? 0.05) }));
        if (crop) {
          net.add(tf.layers.cropping2D({ cropping: [[p, after(h, oh)], [p, after(w, ow)]] }));
          if (activation !== 'linear') net.add(tf.layers.activation({ activation }));
        }
        if (activation !== 'linear') i++;
        [c, h, w] = [l.channels, oh, ow];
        break;
      }
      case 'max_pool': {
        const [k, s, p] = [l.kernel, l.stride, l.padding];
        const padding = l.ceilMode ? null : convPadding(h, k, s, p) === convPadding(w, k, s, p) ? convPadding(h, k, s, p) : null;
        if (!padding) unsupported(l, `kernel ${k} stride ${s} padding ${p}${l.ceilMode ? ' ceil_mode' : ''} (no tf.layers pooling has these windows)`);
        net.add(tf.layers.maxPooling2d({ ...input(), poolSize: k, strides: s, padding }));
        [h, w] = [Math.floor((h + 2 * p - k) / s) + 1, Math.floor((w + 2 * p - k) / s) + 1];
        break;
      }
      case 'relu': case 'sigmoid': case 'tanh':
        net.add(tf.layers.activation({ ...input(), activation: l.kind }));
        break;
      case 'leaky_relu':
        net.add(tf.layers.leakyReLU({ ...input(), alpha: l.slope ?? 0.2 }));
        break;
      case 'dropout':
        net.add(tf.layers.dropout({ ...input(), rate: 1 - l.keep }));
        break;
      case 'batch_norm': // per channel (the last axis), over the batch in training, as wasm-gan's
        net.add(tf.layers.batchNormalization({ ...input(), axis: -1, epsilon: 1e-5 }));
        break;
      default:
        unsupported(l, 'has no tf.layers equivalent here');
    }
    // The same shape as wasm-gan's layer gives, or the FLOPs would differ too.
    const want = image ? [h, w, c] : [c * h * w];
    const got = net.outputs[0].shape.slice(1);
    if (got.join() !== want.join()) throw new Error(`TF.js peer: ${name} layer ${i} (${l.kind}) gives [${got}], wasm-gan [${want}]`);
  }
  return net;
}

/**
 * The conv GAN as tfjs-examples' mnist-acgan trains one: D compiled with
 * binaryCrossentropy (a sigmoid on its last dense layer), a combined model
 * noise -> G -> frozen D. Returns {iteration(): Promise<{dLoss, gLoss}>}.
 */
function layersGan(tf, model, batches) {
  const B = model.batch;
  const G = buildLayersNetwork(tf, structuredClone(model.g), model.noiseDim, 'generator');
  const dLayers = structuredClone(model.d);
  if (dLayers[dLayers.length - 1]?.kind !== 'dense' || dLayers[dLayers.length - 1].units !== 1) throw new Error('TF.js peer: D must end in dense(1)');
  dLayers.push({ kind: 'sigmoid' }); // D(x) as a probability, for binaryCrossentropy
  const D = buildLayersNetwork(tf, dLayers, model.dataShape ?? model.dataDim, 'discriminator');
  D.compile({ optimizer: makeOptimizer(tf, model.dOptimizer), loss: 'binaryCrossentropy' });
  const z = tf.input({ shape: [model.noiseDim] });
  // Frozen in the combined model (compiled with G's weights only). TF.js marks
  // the variables themselves, so D is unfrozen again for its own step.
  D.trainable = false;
  const combined = tf.model({ inputs: z, outputs: D.apply(G.apply(z)) });
  const gOpt = makeOptimizer(tf, model.gOptimizer);
  combined.compile({ optimizer: gOpt, loss: model.generatorLoss === 'minimax' ? minimaxLoss(tf) : 'binaryCrossentropy' });
  const imageShape = model.dataShape ? [B, model.dataShape[1], model.dataShape[2], model.dataShape[0]] : [B, model.dataDim];
  const lo = model.prior === 'gaussian' ? null : -(model.priorScale ?? Math.sqrt(3));
  const noise = () => (lo === null ? tf.randomNormal([B, model.noiseDim], 0, model.priorScale ?? 1) : tf.randomUniform([B, model.noiseDim], lo, -lo));
  const realTarget = model.realTarget ?? 1;
  const labels = tf.concat([tf.fill([B, 1], realTarget), tf.zeros([B, 1])]);
  const fooled = tf.ones([B, 1]);
  const k = model.dSteps ?? 1;
  return {
    optimizers: { d: D.optimizer, g: gOpt },
    async iteration() {
      let dLoss;
      for (let s = 0; s < k; s++) {
        const x = tf.tidy(() => tf.concat([batches.next(tf).reshape(imageShape), G.predict(noise(), { batchSize: B })]));
        D.trainable = true;
        dLoss = await D.trainOnBatch(x, labels);
        x.dispose();
      }
      D.trainable = false;
      const zBatch = noise();
      const gLoss = await combined.trainOnBatch(zBatch, fooled);
      zBatch.dispose();
      return { dLoss, gLoss };
    },
  };
}

// The minimax G loss as a Keras loss on D's probability: mean log(1 - D(G(z))).
const minimaxLoss = (tf) => (yTrue, yPred) => tf.mean(tf.log(tf.sub(1, tf.clipByValue(yPred, 1e-7, 1 - 1e-7))));

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

// The MLP models: tf.variable weights and tfjs-core ops, optimizer.minimize
// for D then for G. Returns {iteration(): {dLoss, gLoss}, optimizers}.
function variablesGan(tf, model, batches, data) {
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
  const realLabels = tf.fill([B, 1], model.realTarget ?? 1);
  const ones = tf.ones([B, 1]);
  const zeros = tf.zeros([B, 1]);

  // One iteration of Algorithm 1: k D-updates on real batches, then one G-update on fresh noise.
  function iteration() {
    let dCost, gCost;
    for (let s = 0; s < k; s++) {
      const real = batches.next(tf);
      dCost = dOpt.minimize(() => {
        const fake = G.apply(noise());
        const dReal = D.apply(real, true);
        const dFake = D.apply(fake, true);
        return tf.mul(0.5, tf.add(bce(realLabels, dReal), bce(zeros, dFake)));
      }, true, D.vars);
      real.dispose();
    }
    gCost = gOpt.minimize(() => {
      const dFake = D.apply(G.apply(noise()), true);
      return model.generatorLoss === 'minimax'
        ? tf.neg(bce(zeros, dFake)) // minimise log(1 - D(G(z))) = -BCE(0, D(G(z)))
        : bce(ones, dFake);         // non-saturating: -log D(G(z))
    }, true, G.vars);
    // Reading the losses each step, as a training loop that shows them does; it also syncs.
    const losses = { dLoss: dCost.dataSync()[0], gLoss: gCost.dataSync()[0] };
    dCost.dispose(); gCost.dispose();
    return losses;
  }
  return { iteration, optimizers: { d: dOpt, g: gOpt } };
}

// "Kernel 'Conv2DBackpropFilter' not registered for backend 'wasm'": a backend
// that cannot train this model, reported as a skipped row.
function missingKernel(err, backend) {
  const m = /Kernel '(\w+)' not registered for backend '(\w+)'/.exec(String(err?.message ?? err));
  if (!m) return null;
  return `TF.js's ${m[2]} backend cannot train this model: it has no ${m[1]} kernel` +
    (m[1] === 'Conv2DBackpropFilter' ? ' (the weight gradient of conv2d and conv2dTranspose)' : '') +
    (backend === 'wasm' ? '; the cpu backend has every kernel' : '');
}

async function main() {
  const opts = benchArgs(import.meta.url, OPTIONS);
  const model = opts.modelJson ? JSON.parse(opts.modelJson) : await modelOf(opts.model, opts.seed);
  if (opts.batch > 0) model.batch = opts.batch;
  const tf = await loadTf(opts.backend);
  tf.setSeed?.(opts.seed);
  const system = `tfjs-${opts.backend}`;

  const data = loadMnist(model.examplesPerEpoch ?? 50000);
  const batches = new Batches(data, model.batch, opts.seed);
  const layers = usesImageLayers(model);
  let updates = 0;
  let last = { dLoss: NaN, gLoss: NaN };
  const rssStart = rssBytes();
  const warmStart = performance.now();
  let gan, step;
  try {
    gan = layers ? layersGan(tf, model, batches) : variablesGan(tf, model, batches, data);
    step = async () => {
      last = await gan.iteration();
      updates++;
      scheduleSgd(gan.optimizers.d, model.dOptimizer, updates, batches.epochs);
      scheduleSgd(gan.optimizers.g, model.gOptimizer, updates, batches.epochs);
    };
    for (let i = 0; i < Math.max(1, opts.warmup); i++) await step();
  } catch (err) {
    const skipped = missingKernel(err, opts.backend);
    if (!skipped) throw err;
    process.stdout.write(JSON.stringify({ system, label: `TF.js ${tf.version_core} ${opts.backend}`, model: model.name, skipped }) + '\n');
    return;
  }
  const warmupSeconds = (performance.now() - warmStart) / 1000;
  const tensorsAfterWarmup = tf.memory().numTensors;

  const timer = windowTimer({ clock: opts.clock, minIters: opts.minIters, step });
  timer.iterations = Math.max(1, opts.warmup);

  // The result line, from the windows run so far.
  const result = () => {
    const flops = iterationFlops(model).total;
    const mem = tf.memory();
    let wasmMemoryBytes = null;
    if (opts.backend === 'wasm') wasmMemoryBytes = tf.backend().wasm?.HEAPU8?.buffer?.byteLength ?? null;
    const simd = opts.backend === 'wasm' && tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
    return {
      system,
      label: `TF.js ${tf.version_core} ${opts.backend === 'wasm' ? (simd ? 'wasm (SIMD)' : 'wasm (NO SIMD)') : 'cpu'}`,
      model: model.name,
      architecture: describe(model),
      style: layers ? 'tf.layers models, trainOnBatch (as tfjs-examples mnist-acgan)' : 'tf.variable weights, optimizer.minimize',
      backend: tf.getBackend(),
      tfjsVersion: tf.version_core,
      simd,
      threads: 1,
      batch: model.batch,
      ...timing({ windows: timer.windows, wallWindows: timer.wallWindows, clock: opts.clock, iterations: timer.iterations, warmupSeconds, flopsPerIt: flops }),
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
    await serve({ ready: { system, model: model.name, warmupSeconds }, runWindow: timer.runAsync, finish: result });
    return;
  }
  for (let w = 0; w < opts.windows; w++) await timer.runAsync(opts.seconds);
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
