// The two models the bench trains, as plain data (the layout of bench/flops.mjs,
// mirroring gan.h's layer lists), so that every system trains the same networks.
//
// `paper` is fixed by ../shared/paper.md. `small` must match wasm-gan's "small"
// preset exactly: bench.mjs reads the preset from the wasm core when it can
// (modelFromConfigJson below) and passes it to the peers; SMALL_FALLBACK is only
// used when the core cannot be loaded.

export const PAPER = Object.freeze({
  name: 'paper',
  noiseDim: 100,
  prior: 'uniform',
  priorScale: Math.sqrt(3),
  dataDim: 784,
  batch: 100,
  dSteps: 1,
  generatorLoss: 'non_saturating',
  g: [
    { kind: 'dense', units: 1200, init: 0.05 }, { kind: 'relu' },
    { kind: 'dense', units: 1200, init: 0.05 }, { kind: 'relu' },
    { kind: 'dense', units: 784, init: 0.05 }, { kind: 'sigmoid' },
  ],
  d: [
    { kind: 'dropout', keep: 0.8 },
    { kind: 'dense', units: 1200, init: 0.005 }, { kind: 'maxout', pieces: 5 },
    { kind: 'dropout', keep: 0.5 },
    { kind: 'dense', units: 1200, init: 0.005 }, { kind: 'maxout', pieces: 5 },
    { kind: 'dropout', keep: 0.5 },
    { kind: 'dense', units: 1, init: 0.005 },
  ],
  gOptimizer: { kind: 'sgd', lr: 0.1, decay: 1.000004, lrMin: 1e-6, momentumStart: 0.5, momentumEnd: 0.7, momentumStartEpoch: 1, momentumEndEpoch: 250 },
  dOptimizer: { kind: 'sgd', lr: 0.1, decay: 1.000004, lrMin: 1e-6, momentumStart: 0.5, momentumEnd: 0.7, momentumStartEpoch: 1, momentumEndEpoch: 250 },
  examplesPerEpoch: 50000,
});

// Placeholder until wasm-gan's "small" preset can be read from the core:
// the "small 784-256 MLP GAN".
export const SMALL_FALLBACK = Object.freeze({
  name: 'small',
  noiseDim: 100,
  prior: 'uniform',
  priorScale: Math.sqrt(3),
  dataDim: 784,
  batch: 100,
  dSteps: 1,
  generatorLoss: 'non_saturating',
  g: [
    { kind: 'dense', units: 256, init: 0.05 }, { kind: 'relu' },
    { kind: 'dense', units: 784, init: 0.05 }, { kind: 'sigmoid' },
  ],
  d: [
    { kind: 'dense', units: 256, init: 0.05 }, { kind: 'leaky_relu', slope: 0.2 },
    { kind: 'dense', units: 1, init: 0.05 },
  ],
  gOptimizer: { kind: 'adam', lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 },
  dOptimizer: { kind: 'adam', lr: 2e-4, beta1: 0.5, beta2: 0.999, epsilon: 1e-8 },
  examplesPerEpoch: 50000,
});

export const MODELS = { paper: PAPER, small: SMALL_FALLBACK };

/** One-line description such as "G 100-1200r-1200r-784s / D 784-d.8-1200m5-d.5-1200m5-d.5-1". */
export function describe(model) {
  const net = (layers, inDim) => {
    const parts = [String(inDim)];
    for (const l of layers) {
      if (l.kind === 'dense') parts.push(String(l.units));
      else if (l.kind === 'maxout') parts[parts.length - 1] += `/maxout${l.pieces}`;
      else if (l.kind === 'dropout') parts[parts.length - 1] += `(keep ${l.keep})`;
      else parts[parts.length - 1] += ` ${l.kind}`;
    }
    return parts.join(' -> ');
  };
  return `G ${net(model.g, model.noiseDim)}; D ${net(model.d, model.dataDim)}; batch ${model.batch}, k ${model.dSteps}, ` +
    `${model.gOptimizer.kind}/${model.dOptimizer.kind}`;
}
