// Analytic FLOP count of one training iteration of Algorithm 1 (Goodfellow et
// al., 2014), shared by every row of `npm run bench` (wasm-gan, native,
// TensorFlow.js), so that GFLOP/s figures are comparable: each system is
// credited with the same useful work, whatever it actually executes.
//
// A model is described by plain data that mirrors gan.h's layer lists:
//
//   { noiseDim, dataDim, batch, dSteps,
//     g: [{kind: 'dense', units}, {kind: 'relu'}, ...],
//     d: [{kind: 'dropout', keep}, {kind: 'dense', units}, {kind: 'maxout', pieces}, ...] }
//
// Counted: the matrix products of the dense layers, 2 FLOPs per multiply-add
// (the GEMMs; everything else - bias, activations, maxout, dropout, losses,
// optimizer updates - is O(batch x width) and about 1% for these shapes (0.7% paper, 1.3% small); it is
// reported separately as `elementwise` estimates, not in `total`).
//
// Per iteration, with B = batch:
//   k D-updates, each:  G forward (B)                      [fake batch, no G gradient]
//                       D forward on real (B) and fake (B)
//                       D backward on both: dW for every dense layer, dX for every
//                       dense layer except D's first (its input is data, needing no gradient)
//   one G-update:       G forward (B) on fresh noise, D forward (B)
//                       D backward: dX through every dense layer (down to G's output),
//                       no dW (D is not updated)
//                       G backward: dW for every dense layer, dX for all but G's first
//                       (its input is noise)
// A dense layer in -> out costs 2*B*in*out per forward, per dX and per dW.

/**
 * Walks a layer list from `inDim` (a number: a flat vector, or [C, H, W]);
 * returns its matrix products as {in, out, positions, params}: per example,
 * `positions` rows of `in` x `out` (a dense layer: 1 row; a convolution:
 * one row per output position, in = kernel^2 x C, out = channels; a
 * transposed convolution: one per input position, in = C, out = kernel^2 x
 * channels), each costing the same in forward, dX and dW (gan.h's im2col
 * GEMMs).
 */
export function denseShapes(layers, inDim) {
  let [c, h, w] = Array.isArray(inDim) ? inDim : [inDim, 1, 1];
  const shapes = [];
  for (const layer of layers) {
    switch (layer.kind) {
      case 'dense':
        shapes.push({ in: c * h * w, out: layer.units, positions: 1, params: c * h * w * layer.units + layer.units });
        [c, h, w] = [layer.units, 1, 1];
        break;
      case 'maxout':
        if (c % layer.pieces !== 0) throw new Error(`maxout: ${c} channels not a multiple of ${layer.pieces} pieces`);
        c = c / layer.pieces;
        break;
      case 'conv': case 'conv_transpose': case 'max_pool': {
        const { kernel: k, stride: s, padding: p } = layer;
        const side = (x) => layer.kind === 'conv_transpose' ? (x - 1) * s + k - 2 * p
          : (layer.ceilMode ? Math.ceil((x + 2 * p - k) / s) : Math.floor((x + 2 * p - k) / s)) + 1;
        const [oh, ow] = [side(h), side(w)];
        if (layer.kind === 'max_pool') { [h, w] = [oh, ow]; break; }
        const oc = layer.channels, weights = k * k * c * oc;
        const bias = layer.untiedBias ? oc * oh * ow : oc;
        shapes.push(layer.kind === 'conv'
          ? { in: k * k * c, out: oc, positions: oh * ow, params: weights + bias }
          : { in: c, out: k * k * oc, positions: h * w, params: weights + bias });
        [c, h, w] = [oc, oh, ow];
        break;
      }
      case 'reshape':
        [c, h, w] = [layer.channels, layer.height, layer.width];
        break;
      case 'batch_norm': // elementwise, like the activations; gamma and beta per channel
        shapes.push({ in: 0, out: 0, positions: 0, params: 2 * c });
        break;
      default: // activations and dropout keep the shape
        break;
    }
  }
  return { shapes, outDim: c * h * w };
}

/** Parameter count (weights + biases) of a layer list. */
export function parameterCount(layers, inDim) {
  return denseShapes(layers, inDim).shapes.reduce((n, s) => n + s.params, 0);
}

function forward(shapes, rows) {
  return shapes.reduce((f, s) => f + 2 * rows * s.positions * s.in * s.out, 0);
}

function backward(shapes, rows, { inputGradient, weightGradient }) {
  let f = 0;
  shapes.forEach((s, i) => {
    const mac = 2 * rows * s.positions * s.in * s.out;
    if (weightGradient) f += mac;
    if (i > 0 || inputGradient) f += mac;
  });
  return f;
}

/**
 * FLOPs of one iteration (k D-updates + one G-update), with a breakdown.
 * @returns {{total:number, dStep:number, gStep:number, perStep:object, elementwise:number,
 *            gParams:number, dParams:number}}
 */
export function iterationFlops(model) {
  const B = model.batch;
  const k = model.dSteps ?? 1;
  const g = denseShapes(model.g, model.noiseDim);
  const d = denseShapes(model.d, model.dataShape ?? model.dataDim);
  if (g.outDim !== model.dataDim) throw new Error(`G ends at ${g.outDim}, data is ${model.dataDim}`);
  if (d.outDim !== 1) throw new Error(`D ends at ${d.outDim} outputs, expected 1`);

  const dStepParts = {
    gForward: forward(g.shapes, B),
    dForward: forward(d.shapes, 2 * B),
    dBackward: backward(d.shapes, 2 * B, { inputGradient: false, weightGradient: true }),
  };
  const gStepParts = {
    gForward: forward(g.shapes, B),
    dForward: forward(d.shapes, B),
    dBackward: backward(d.shapes, B, { inputGradient: true, weightGradient: false }),
    gBackward: backward(g.shapes, B, { inputGradient: false, weightGradient: true }),
  };
  const sum = (o) => Object.values(o).reduce((a, b) => a + b, 0);
  const dStep = sum(dStepParts);
  const gStep = sum(gStepParts);

  // Rough elementwise work (not in total): ~10 FLOPs per activation value per
  // pass through a layer, over every layer output touched in the iteration.
  const widths = (layers, inDim) => {
    let w = inDim, n = 0;
    for (const l of layers) { if (l.kind === 'dense') w = l.units; else if (l.kind === 'maxout') w /= l.pieces; n += w; }
    return n;
  };
  const elementwise = 10 * B * (k * (widths(model.g, model.noiseDim) + 2 * widths(model.d, model.dataDim)) +
    widths(model.g, model.noiseDim) + widths(model.d, model.dataDim)); // (flat widths: a rough figure for images)

  return {
    total: k * dStep + gStep,
    dStep,
    gStep,
    perStep: { d: dStepParts, g: gStepParts },
    elementwise,
    gParams: parameterCount(model.g, model.noiseDim),
    dParams: parameterCount(model.d, model.dataShape ?? model.dataDim),
  };
}

/** GFLOP/s for a measured rate. */
export function gflops(model, iterationsPerSecond) {
  return (iterationFlops(model).total * iterationsPerSecond) / 1e9;
}
