// The judge: an MNIST classifier that has nothing to do with wasm-gan's core,
// to score generated digits (`wasm-gan quality`). A small CNN in TensorFlow.js
// 4.22 (a devDependency), trained once, seeded, on the 60,000 MNIST training
// images and cached in build/judge/ (model.json, weights.bin, judge.json);
// trained again when the cache is missing or was made by another recipe.
//
//   conv 5x5 16 ReLU -> max pool 2 -> conv 5x5 32 ReLU -> max pool 2
//   -> dense 128 ReLU -> dense 10 softmax; Adam, batch 64, 4 epochs:
//   99.26% on the 10,000 test digits (99.12% after 3 epochs, 98.94% with
//   dense 64 and 3 epochs).
//
// It runs on TF.js's wasm backend (SIMD; one thread in Node), the fastest
// that trains here: tfjs-node, the native backend, cannot be installed on
// these machines, and the cpu backend is plain JavaScript (about 5x slower).
// The wasm backend lacks a kernel that training needs and has two slow ones;
// registerFastGradients() adds the one and replaces the others.
// `wasm-gan judge` trains it (if needed) and prints its test accuracy.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findIdxFile, readIdxFile } from '../web/runtime/idx-node.js';
import { mulberry32 } from '../web/runtime/toy-data.js';
import { defaultDataDir } from './data.js';

const require = createRequire(import.meta.url);
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

export const JUDGE_DIR = join(root, 'build', 'judge');

/**
 * The training recipe. judge.json records it; a cache made with another one is
 * retrained, so changing anything here is enough to get a new judge.
 */
export const RECIPE = Object.freeze({
  version: 1,
  seed: 1,
  epochs: 4,
  batch: 64,
  learningRates: [1e-3, 1e-3, 5e-4, 2e-4], // per epoch
  dense: 128,
  layers: 'conv5x5x16-relu-pool2-conv5x5x32-relu-pool2-dense128-relu-dense10-softmax',
});

const CLASSES = 10;
const SIDE = 28;
const PIXELS = SIDE * SIDE;

let tfPromise = null;

/** TensorFlow.js on its wasm backend (SIMD when the engine has it), loaded once. */
export function loadTf() {
  tfPromise ??= (async () => {
    let tf;
    let wasm;
    try {
      tf = require('@tensorflow/tfjs');
      wasm = require('@tensorflow/tfjs-backend-wasm');
    } catch (error) {
      throw new Error(`the judge needs TensorFlow.js (@tensorflow/tfjs and @tensorflow/tfjs-backend-wasm 4.22, devDependencies): run npm install (${error.message.split('\n')[0]})`);
    }
    // In Node the backend reads its .wasm files from a directory path; it
    // picks tfjs-backend-wasm-simd.wasm when SIMD is available.
    wasm.setWasmPaths(join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')), 'dist') + '/');
    if (!(await tf.setBackend('wasm'))) throw new Error('TensorFlow.js: the wasm backend did not start');
    await tf.ready();
    registerFastGradients(tf);
    return tf;
  })();
  return tfPromise;
}

/** The backend the judge runs on, for reports: "wasm (SIMD)". */
export async function judgeBackend() {
  const tf = await loadTf();
  return `TF.js ${tf.version_core} ${tf.getBackend()}${tf.getBackend() === 'wasm' ? (tf.env().getBool('WASM_HAS_SIMD_SUPPORT') ? ' (SIMD)' : ' (no SIMD)') : ''}`;
}

// The wasm backend's gradient kernels for the judge's layers: its
// Conv2DBackpropFilter is missing, and its Conv2DBackpropInput and
// MaxPoolGrad are plain loops, about 5x slower than its Conv2D (XNNPACK). All
// three are rewritten here from its fast kernels, for what the judge uses
// (stride 1 'valid' convolutions in NHWC, 2x2 max pooling with stride 2);
// other shapes go to the backend's own kernels, or are refused. A training
// batch takes 2.3x less time (189 ms against 82 ms for 64 images).
//
// Filter gradient of a stride-1 convolution, itself a convolution:
//   dW[kh, kw, ci, co] = sum over n, h, w of x[n, h + kh, w + kw, ci] * dy[n, h, w, co],
// x with its channels as the batch and its batch as the channels
// ([ci, H, W, n]) convolved with dy as the filter ([Ho, Wo, n, co]), giving
// [ci, kh, kw, co], transposed to [kh, kw, ci, co].
// Input gradient: the "full" convolution of dy (padded by the kernel size - 1
// on each side) with the kernel rotated by 180 degrees, in and out swapped.
// Max pooling's gradient: dy goes to the window's first maximum.
function registerFastGradients(tf) {
  if (tf.getBackend() !== 'wasm' || registerFastGradients.done) return;
  registerFastGradients.done = true;
  const kernel = (name) => tf.getKernel(name, 'wasm').kernelFunc;
  const [transpose, conv2d, pad, reverse] = ['Transpose', 'Conv2D', 'PadV2', 'Reverse'].map(kernel);
  // Runs kernels, then frees every intermediate but the result.
  const composed = (backend, build) => {
    const made = [];
    const run = (func, inputs, attrs) => { const out = func({ inputs, backend, attrs }); made.push(out); return out; };
    const result = build(run);
    for (const t of made) if (t !== result) backend.disposeData(t.dataId);
    return result;
  };
  const ones = (v) => (Array.isArray(v) ? v : [v, v]).every((n) => n === 1);
  const plainConv = ({ strides, pad: padding, dataFormat, dilations = 1 }) =>
    ones(strides) && ones(dilations) && padding === 'valid' && (dataFormat ?? 'NHWC') === 'NHWC';
  const convAttrs = { strides: 1, pad: 'valid', dataFormat: 'NHWC', dilations: 1 };
  const replace = (kernelName, kernelFunc) => {
    const original = tf.getKernel(kernelName, 'wasm');
    if (original) tf.unregisterKernel(kernelName, 'wasm');
    tf.registerKernel({ kernelName, backendName: 'wasm', setupFunc: original?.setupFunc, kernelFunc: (args) => kernelFunc(args, original?.kernelFunc) });
  };

  replace('Conv2DBackpropFilter', ({ inputs: { x, dy }, backend, attrs }) => {
    if (!plainConv(attrs)) throw new Error(`the judge's Conv2DBackpropFilter takes stride 1, no dilation, NHWC and 'valid' padding, not ${JSON.stringify(attrs)}`);
    return composed(backend, (run) => {
      const input = run(transpose, { x }, { perm: [3, 1, 2, 0] });
      const filter = run(transpose, { x: dy }, { perm: [1, 2, 0, 3] });
      return run(transpose, { x: run(conv2d, { x: input, filter }, convAttrs) }, { perm: [1, 2, 0, 3] });
    });
  });

  replace('Conv2DBackpropInput', (args, original) => {
    const { inputs: { dy, filter }, backend, attrs } = args;
    if (!plainConv(attrs)) return original(args);
    const [kh, kw] = filter.shape;
    return composed(backend, (run) => {
      const padded = run(pad, { x: dy }, { paddings: [[0, 0], [kh - 1, kh - 1], [kw - 1, kw - 1], [0, 0]], constantValue: 0 });
      const rotated = run(transpose, { x: run(reverse, { x: filter }, { dims: [0, 1] }) }, { perm: [0, 1, 3, 2] });
      return run(conv2d, { x: padded, filter: rotated }, convAttrs);
    });
  });

  // A loop over the backend's memory: its broadcasting kernels take longer.
  replace('MaxPoolGrad', (args, original) => {
    const { inputs: { dy, input }, backend, attrs } = args;
    const [n, h, w, c] = input.shape;
    const two = (v) => (Array.isArray(v) ? v : [v, v]).every((k) => k === 2);
    if (!two(attrs.filterSize) || !two(attrs.strides) || attrs.pad !== 'valid' || h % 2 || w % 2) return original(args);
    const out = backend.makeOutput(input.shape, 'float32');
    const dx = backend.typedArrayFromHeap(out);
    const x = backend.typedArrayFromHeap(input);
    const g = backend.typedArrayFromHeap(dy);
    dx.fill(0);
    const row = w * c;
    let o = 0;
    for (let image = 0; image < n; image++) {
      for (let i = 0; i < h; i += 2) {
        for (let j = 0; j < w; j += 2) {
          const corner = ((image * h + i) * w + j) * c;
          for (let channel = 0; channel < c; channel++, o++) {
            // the window's first maximum, in TF's order
            const a = corner + channel;
            let best = a;
            if (x[a + c] > x[best]) best = a + c;
            if (x[a + row] > x[best]) best = a + row;
            if (x[a + row + c] > x[best]) best = a + row + c;
            dx[best] += g[o];
          }
        }
      }
    }
    return out;
  });
}

function buildModel(tf, { seed, dense }) {
  let n = 0;
  const init = () => tf.initializers.glorotUniform({ seed: seed * 100 + n++ });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [SIDE, SIDE, 1], filters: 16, kernelSize: 5, activation: 'relu', kernelInitializer: init() }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.conv2d({ filters: 32, kernelSize: 5, activation: 'relu', kernelInitializer: init() }),
      tf.layers.maxPooling2d({ poolSize: 2 }),
      tf.layers.flatten(),
      tf.layers.dense({ units: dense, activation: 'relu', kernelInitializer: init() }),
      tf.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: init() }),
    ],
  });
}

/** Images (u8 bytes, or floats in [0, 1]) first..first+count-1 as a [count, 28, 28, 1] tensor. */
function imageTensor(tf, images, first, count) {
  const slice = images.subarray(first * PIXELS, (first + count) * PIXELS);
  const floats = slice instanceof Uint8Array ? Float32Array.from(slice, (v) => v / 255) : Float32Array.from(slice);
  return tf.tensor4d(floats, [count, SIDE, SIDE, 1]);
}

function readMnist(dataDir) {
  const read = (role, expect) => readIdxFile(findIdxFile(dataDir, role), { expect }).data;
  return {
    trainImages: read('trainImages', 'images'),
    trainLabels: read('trainLabels', 'labels'),
    testImages: read('testImages', 'images'),
    testLabels: read('testLabels', 'labels'),
  };
}

/**
 * Trains the judge on the 60,000 training images with `recipe` and saves it
 * in `dir`. Resolves the Judge, whose `info` holds its test accuracy and
 * training time; `log` gets progress lines.
 */
export async function trainJudge({ dir = JUDGE_DIR, dataDir = defaultDataDir(), recipe = RECIPE, log = () => {} } = {}) {
  const tf = await loadTf();
  const data = readMnist(dataDir);
  const count = data.trainLabels.length;
  const model = buildModel(tf, recipe);
  const optimizer = tf.train.adam(recipe.learningRates[0]);
  model.compile({ optimizer, loss: 'categoricalCrossentropy' });
  const judge = new Judge(tf, model, {});
  const random = mulberry32(recipe.seed);
  const order = Int32Array.from({ length: count }, (_, i) => i);
  const started = Date.now();
  const batchImages = new Uint8Array(recipe.batch * PIXELS);
  for (let epoch = 0; epoch < recipe.epochs; epoch++) {
    optimizer.learningRate = recipe.learningRates[epoch];
    for (let i = count - 1; i > 0; i--) { // Fisher-Yates, seeded
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0;
    let batches = 0;
    for (let start = 0; start + recipe.batch <= count; start += recipe.batch) {
      const labels = new Int32Array(recipe.batch);
      for (let b = 0; b < recipe.batch; b++) {
        const row = order[start + b];
        batchImages.set(data.trainImages.subarray(row * PIXELS, (row + 1) * PIXELS), b * PIXELS);
        labels[b] = data.trainLabels[row];
      }
      const x = imageTensor(tf, batchImages, 0, recipe.batch);
      const y = tf.tidy(() => tf.oneHot(tf.tensor1d(labels, 'int32'), CLASSES));
      lossSum += await model.trainOnBatch(x, y);
      batches++;
      tf.dispose([x, y]);
      if (batches % 200 === 0) log(`judge: epoch ${epoch + 1}/${recipe.epochs}, batch ${batches}, loss ${(lossSum / batches).toFixed(4)}, ${((Date.now() - started) / 1000).toFixed(0)} s`);
    }
    if (epoch < recipe.epochs - 1) log(`judge: after epoch ${epoch + 1}, ${(100 * judge.accuracy(data.testImages, data.testLabels)).toFixed(2)}% on the test images`);
  }
  const seconds = (Date.now() - started) / 1000;
  const accuracy = judge.accuracy(data.testImages, data.testLabels);
  judge.info = { recipe, accuracy, testImages: data.testLabels.length, trainSeconds: seconds, backend: await judgeBackend(), trainedAt: new Date().toISOString() };
  await saveModel(tf, model, dir, judge.info);
  log(`judge: ${(100 * accuracy).toFixed(2)}% on the ${data.testLabels.length} test images after ${seconds.toFixed(0)} s of training; saved in ${dir}`);
  return judge;
}

async function saveModel(tf, model, dir, info) {
  mkdirSync(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const { weightData, ...topology } = artifacts;
    const weights = Buffer.from(weightData);
    writeAtomically(join(dir, 'weights.bin'), weights);
    writeAtomically(join(dir, 'model.json'), JSON.stringify({
      modelTopology: topology.modelTopology,
      format: topology.format,
      generatedBy: topology.generatedBy,
      convertedBy: topology.convertedBy,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    }));
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON', weightDataBytes: weights.length } };
  }));
  // judge.json last: it marks the cache complete.
  writeAtomically(join(dir, 'judge.json'), `${JSON.stringify(info, null, 2)}\n`);
}

function writeAtomically(path, data) {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, data);
  renameSync(temporary, path);
}

/** The cached judge's record (judge.json) if it is complete and made by RECIPE, else null. */
export function cachedJudgeInfo(dir = JUDGE_DIR) {
  try {
    const info = JSON.parse(readFileSync(join(dir, 'judge.json'), 'utf8'));
    if (JSON.stringify(info.recipe) !== JSON.stringify(RECIPE)) return null;
    if (!existsSync(join(dir, 'model.json')) || !existsSync(join(dir, 'weights.bin'))) return null;
    return info;
  } catch {
    return null;
  }
}

/**
 * The judge from `dir`, trained first (a few minutes) when the cache is
 * missing, incomplete or from another recipe, or when `retrain` is set.
 */
export async function loadJudge({ dir = JUDGE_DIR, dataDir, retrain = false, log = () => {} } = {}) {
  const info = retrain ? null : cachedJudgeInfo(dir);
  if (!info) {
    log(`judge: training the MNIST classifier into ${dir} (once; a few minutes)`);
    return trainJudge({ dir, dataDir, log });
  }
  const tf = await loadTf();
  const manifest = JSON.parse(readFileSync(join(dir, 'model.json'), 'utf8'));
  const weights = readFileSync(join(dir, 'weights.bin'));
  const model = await tf.loadLayersModel(tf.io.fromMemory({
    modelTopology: manifest.modelTopology,
    weightSpecs: manifest.weightsManifest[0].weights,
    weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
  }));
  return new Judge(tf, model, info);
}

const PREDICT_CHUNK = 1000;

export class Judge {
  constructor(tf, model, info) {
    this.tf = tf;
    this.model = model;
    this.info = info;
  }

  /** Class probabilities p(y|x) of `count` images (u8 bytes or floats in [0, 1]): count x 10 floats. */
  predict(images, count = images.length / PIXELS) {
    const { tf, model } = this;
    if (!Number.isInteger(count) || images.length < count * PIXELS) throw new Error(`judge: ${images.length} values are not ${count} images of 28x28`);
    const out = new Float32Array(count * CLASSES);
    for (let start = 0; start < count; start += PREDICT_CHUNK) {
      const n = Math.min(PREDICT_CHUNK, count - start);
      const probabilities = tf.tidy(() => model.predict(imageTensor(tf, images, start, n)));
      out.set(probabilities.dataSync(), start * CLASSES);
      probabilities.dispose();
    }
    return out;
  }

  /** Share of images whose most probable class is their label. */
  accuracy(images, labels) {
    const p = this.predict(images, labels.length);
    let correct = 0;
    for (let i = 0; i < labels.length; i++) if (argmax(p, i * CLASSES, CLASSES) === labels[i]) correct++;
    return correct / labels.length;
  }
}

export function argmax(values, offset, length) {
  let best = 0;
  for (let c = 1; c < length; c++) if (values[offset + c] > values[offset + best]) best = c;
  return best;
}

/** `wasm-gan judge`: trains the judge if needed (or asked), prints its record. */
export async function runJudge(options, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const judge = await loadJudge({ retrain: options.retrain, log: (line) => stderr.write(`${line}\n`) });
  const { info } = judge;
  if (options.json) {
    stdout.write(`${JSON.stringify({ dir: JUDGE_DIR, ...info })}\n`);
  } else {
    stdout.write(`judge: ${info.recipe.layers}, seed ${info.recipe.seed}, ${info.recipe.epochs} epochs of Adam (batch ${info.recipe.batch})\n` +
      `${(100 * info.accuracy).toFixed(2)}% on the ${info.testImages} MNIST test digits; trained in ${info.trainSeconds.toFixed(0)} s on ${info.backend}, ${info.trainedAt}\n` +
      `cached in ${JUDGE_DIR}\n`);
  }
  return 0;
}
