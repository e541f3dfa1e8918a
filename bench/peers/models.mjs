// The models the bench trains, read from wasm-gan's core so that every system
// trains the same networks: `paper` and `small` are the core's presets
// (src/config.c); `mlp256` is the issue's own small model (a 784-256 MLP GAN),
// which wasm-gan has no preset for and builds through its public configuration
// API (gan_config_set keys on top of the `small` preset, ganSetup below).
// modelFromCore reads a model's configuration back from the core and turns it
// into plain data (the layout of bench/flops.mjs, mirroring gan.h's layer
// lists), which the peers build.

import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const adam = (lr) => ({ kind: 'adam', lr, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 });

// The small model: "a small 784-256 MLP GAN" (TF.js wasm-SIMD trains it
// at about 6.4 it/s on these machines; wasm-gan's target is >= 90 it/s, >= 10x).
// G 100 -> 256 ReLU -> 784 sigmoid, D 784 -> 256 LeakyReLU(0.2) -> 1, Adam
// (2e-4, beta1 0.5), batch 100.
const MLP256 = Object.freeze({
  noiseDim: 100,
  prior: 'uniform',
  dataDim: 784,
  generatorLoss: 'non_saturating',
  g: [
    { kind: 'dense', units: 256, init: 0.05 }, { kind: 'relu' },
    { kind: 'dense', units: 784, init: 0.05 }, { kind: 'sigmoid' },
  ],
  d: [
    { kind: 'dense', units: 256, init: 0.05 }, { kind: 'leaky_relu', slope: 0.2 },
    { kind: 'dense', units: 1, init: 0.05 },
  ],
  gOptimizer: adam(2e-4),
  dOptimizer: adam(2e-4),
});

/** The bench's models: heading, and for one that is not a preset, its base preset and definition. */
export const MODELS = {
  paper: { title: 'paper' },
  mlp256: { title: "small (issue's 784-256 MLP)", ganBase: 'small', spec: MLP256 },
  small: { title: 'small preset' },
  // TF.js trains the conv preset on its cpu backend only (its wasm backend has
  // no Conv2DBackpropFilter kernel), whose conv2DBackpropFilter is a loop of
  // TensorBuffer.get calls: about 0.04-0.05 GFLOP/s for a whole iteration,
  // minutes of CPU time for one at batch 100 (the first conv preset, 16.2
  // GFLOP: some 6 minutes). Its cost per example stops falling at a small
  // batch (the quarter-width preset, by CPU time: 3.5 examples/s at batch 2,
  // 4.25 at 8, 4.20 at 32; the first one: 0.25-0.27 at 1, 2 and 4), so the
  // TF.js rows train the same architecture at `peerBatch` and are compared
  // per example (GFLOP/s), not per iteration.
  conv: { title: 'conv preset', peerBatch: 8 },
};

/** The bench's heading for a model: "small (issue's 784-256 MLP)", "small preset", "paper". */
export const title = (name) => MODELS[name]?.title ?? name;

/**
 * How wasm-gan builds model `name`: a preset and gan_config_set overrides. With
 * batch > 0, the bench's common ground (issue 5): that batch, k = 1 and
 * Algorithm 1's alternating order (the FLOP count of bench/flops.mjs, and what
 * TF.js runs), whatever the preset says (the paper preset trains in the
 * authors' simultaneous order by default); batch 0 keeps the preset's.
 */
export function ganSetup(name, batch = 100) {
  const model = MODELS[name] ?? {};
  return {
    preset: model.ganBase ?? name,
    overrides: {
      ...(model.spec ? ganOverrides(model.spec) : {}),
      ...(batch > 0 ? { batch_size: String(batch), d_steps: '1', update_order: 'alternating' } : {}),
    },
  };
}

/** wasm-gan's core through the runtime's loader, from DIR (default web/wasm). */
export async function loadCore({ simd = true, threads = 1, wasmDir = null } = {}) {
  const { loadGan } = await import(pathToFileURL(path.join(root, 'web/runtime/loader.js')).href);
  return loadGan({ simd, threads, wasmBase: pathToFileURL(path.resolve(wasmDir ?? path.join(root, 'web/wasm')) + path.sep) });
}

/**
 * Model `name` as the core builds it (ganSetup): its preset, overrides, the
 * configuration read back ({key: text}) and the bench's plain-data model.
 */
export function modelFromCore(gan, name, { batch = 100, seed = 1 } = {}) {
  const { preset, overrides } = ganSetup(name, batch);
  const config = gan.presetConfig(preset, overrides, seed);
  return { preset, overrides, config, model: modelFromGanConfig(config, name) };
}

/**
 * gan_config_set keys and values ({key: text}) that turn a base preset into
 * `model`: the architecture, prior, loss and optimizers. Every field of every
 * layer is set (0 where the kind ignores it), so nothing of the base preset's
 * layers is left over. Batch size and d_steps are the bench's (ganSetup).
 */
function ganOverrides(model) {
  const out = {
    noise_dim: model.noiseDim,
    prior: model.prior === 'gaussian' ? 'gaussian' : 'uniform',
    prior_scale: model.priorScale ?? Math.sqrt(3),
    data_dim: model.dataDim,
    generator_loss: model.generatorLoss === 'minimax' ? 'minimax' : 'non-saturating',
    update_order: 'alternating',
    examples_per_epoch: model.examplesPerEpoch ?? 50000,
  };
  for (const [net, layers, opt] of [['g', model.g, model.gOptimizer], ['d', model.d, model.dOptimizer]]) {
    out[`${net}.layer_count`] = layers.length;
    layers.forEach((l, i) => {
      const p = `${net}.layers.${i}.`;
      out[`${p}kind`] = l.kind;
      out[`${p}units`] = l.kind === 'dense' ? l.units : 0;
      out[`${p}pieces`] = l.kind === 'maxout' ? l.pieces : 0;
      out[`${p}keep_prob`] = l.kind === 'dropout' ? l.keep : 0;
      out[`${p}slope`] = l.kind === 'leaky_relu' ? l.slope : 0;
      out[`${p}init_range`] = l.kind === 'dense' ? l.init : 0;
    });
    out[`${net}.optimizer`] = opt.kind;
    out[`${net}.learning_rate`] = opt.lr;
    out[`${net}.learning_rate_decay`] = opt.decay ?? 1;
    out[`${net}.learning_rate_min`] = opt.lrMin ?? 0;
    if (opt.kind === 'adam') {
      Object.assign(out, { [`${net}.beta1`]: opt.beta1, [`${net}.beta2`]: opt.beta2, [`${net}.epsilon`]: opt.epsilon });
    } else {
      Object.assign(out, {
        [`${net}.momentum_start`]: opt.momentumStart, [`${net}.momentum_end`]: opt.momentumEnd,
        [`${net}.momentum_start_epoch`]: opt.momentumStartEpoch, [`${net}.momentum_end_epoch`]: opt.momentumEndEpoch,
      });
    }
  }
  for (const key of Object.keys(out)) out[key] = String(out[key]);
  return out;
}

/** One-line description such as "G 100-1200r-1200r-784s / D 784-d.8-1200m5-d.5-1200m5-d.5-1". */
export function describe(model) {
  const net = (layers, inDim) => {
    const parts = [String(inDim)];
    for (const l of layers) {
      if (l.kind === 'dense') parts.push(String(l.units));
      else if (l.kind === 'maxout') parts[parts.length - 1] += `/maxout${l.pieces}`;
      else if (l.kind === 'dropout') parts[parts.length - 1] += `(keep ${l.keep})`;
      else if (l.kind === 'conv' || l.kind === 'conv_transpose') parts.push(`${l.kind === 'conv' ? 'conv' : 'convT'}${l.channels}k${l.kernel}s${l.stride}p${l.padding}`);
      else if (l.kind === 'max_pool') parts[parts.length - 1] += ` pool${l.kernel}s${l.stride}`;
      else if (l.kind === 'reshape') parts.push(`${l.channels}x${l.height}x${l.width}`);
      else if (l.kind === 'batch_norm') parts[parts.length - 1] += ' bn';
      else parts[parts.length - 1] += ` ${l.kind}`;
    }
    return parts.join(' -> ');
  };
  return `G ${net(model.g, model.noiseDim)}; D ${net(model.d, model.dataDim)}; batch ${model.batch}, k ${model.dSteps}, ` +
    `${model.gOptimizer.kind}/${model.dOptimizer.kind}`;
}

const LAYER_KINDS = ['dense', 'relu', 'leaky_relu', 'sigmoid', 'tanh', 'maxout', 'dropout',
  'conv', 'conv_transpose', 'max_pool', 'reshape', 'batch_norm']; // gan_layer_kind order

function layerKind(text) {
  const t = String(text).trim().toLowerCase();
  if (/^\d+$/.test(t)) return LAYER_KINDS[Number(t)];
  const key = t.replace(/^gan_layer_/, '').replace(/[^a-z]/g, '');
  const found = LAYER_KINDS.find((k) => k.replace(/_/g, '') === key);
  if (!found) throw new Error(`unknown layer kind ${JSON.stringify(text)}`);
  return found;
}

/**
 * The bench's model description from wasm-gan's configuration as the loader
 * gives it ({key: text}, keys of gan_config_set: "noise_dim", "g.layers.0.units", ...),
 * so that the peers train exactly the preset's architecture.
 */
export function modelFromGanConfig(config, name) {
  // Values are float32 in the core: keep 7 significant digits (0.7, not 0.699999988).
  const num = (key, fallback) => (config[key] !== undefined && config[key] !== '' ? Number(Number(config[key]).toPrecision(7)) : fallback);
  const str = (key, fallback) => (config[key] !== undefined ? String(config[key]).toLowerCase() : fallback);
  const network = (net) => {
    const count = num(`${net}.layer_count`, 0);
    const layers = [];
    for (let i = 0; i < count; i++) {
      const p = `${net}.layers.${i}.`;
      const kind = layerKind(config[`${p}kind`]);
      const layer = { kind };
      if (kind === 'dense') { layer.units = num(`${p}units`); layer.init = num(`${p}init_range`, 0.05); }
      if (kind === 'maxout') layer.pieces = num(`${p}pieces`);
      if (kind === 'dropout') layer.keep = num(`${p}keep_prob`, 1);
      if (kind === 'leaky_relu') layer.slope = num(`${p}slope`, 0.2);
      if (kind === 'conv' || kind === 'conv_transpose' || kind === 'max_pool') {
        Object.assign(layer, { kernel: num(`${p}kernel`), stride: num(`${p}stride`), padding: num(`${p}padding`, 0) });
        if (kind === 'max_pool') layer.ceilMode = num(`${p}ceil_mode`, 0) === 1;
        else Object.assign(layer, { channels: num(`${p}channels`), untiedBias: num(`${p}untied_bias`, 0) === 1, init: num(`${p}init_range`, 0.05) });
      }
      if (kind === 'reshape') Object.assign(layer, { channels: num(`${p}channels`), height: num(`${p}height`), width: num(`${p}width`) });
      layers.push(layer);
    }
    return layers;
  };
  const optimizer = (net) => {
    const kind = str(`${net}.optimizer`, 'sgd').includes('adam') || str(`${net}.optimizer`) === '1' ? 'adam' : 'sgd';
    const o = { kind, lr: num(`${net}.learning_rate`, kind === 'adam' ? 2e-4 : 0.1) };
    if (kind === 'adam') Object.assign(o, { beta1: num(`${net}.beta1`, 0.9), beta2: num(`${net}.beta2`, 0.999), epsilon: num(`${net}.epsilon`, 1e-8) });
    else Object.assign(o, {
      decay: num(`${net}.learning_rate_decay`, 1), lrMin: num(`${net}.learning_rate_min`, 0),
      momentumStart: num(`${net}.momentum_start`, 0), momentumEnd: num(`${net}.momentum_end`, num(`${net}.momentum_start`, 0)),
      momentumStartEpoch: num(`${net}.momentum_start_epoch`, 0), momentumEndEpoch: num(`${net}.momentum_end_epoch`, 1),
    });
    if (kind === 'adam' && num(`${net}.learning_rate_decay`, 1) !== 1) o.decay = num(`${net}.learning_rate_decay`);
    return o;
  };
  const model = {
    name: name ?? 'wasm-gan',
    noiseDim: num('noise_dim'),
    prior: str('prior', 'uniform').includes('gauss') || str('prior') === '1' ? 'gaussian' : 'uniform',
    priorScale: num('prior_scale', Math.sqrt(3)),
    dataDim: num('data_dim', 784),
    ...(num('data_channels', 0) ? { dataShape: [num('data_channels'), num('data_height'), num('data_width')] } : {}),
    batch: num('batch_size', 100),
    dSteps: num('d_steps', 1),
    generatorLoss: str('generator_loss', 'non_saturating').includes('minimax') || str('generator_loss') === '1' ? 'minimax' : 'non_saturating',
    realTarget: num('real_target', 1), // D's label for real data (below 1: one-sided label smoothing)
    g: network('g'),
    d: network('d'),
    gOptimizer: optimizer('g'),
    dOptimizer: optimizer('d'),
    examplesPerEpoch: num('examples_per_epoch', 0) || 50000,
  };
  if (!model.noiseDim || !model.g.length || !model.d.length) {
    throw new Error(`could not read the architecture from the wasm-gan config (keys: ${Object.keys(config).slice(0, 20).join(', ')} ...)`);
  }
  return model;
}
