// What a model's examples look like as pictures, for everything that draws
// them (the page's views, the CLI's PNGs) and the neighbour search:
//
//   const format = imageFormat(config);   // {channels, height, width, dim, contrast}
//   const shown = toDisplay(samples, displayScale(samples, format), format);  // floats in [0, 1]
//
// The shape is the core's (docs/core.md, "Layers and shapes"): data_channels
// x data_height x data_width, stored channels last ([row][column][channel],
// interleaved RGB for colour). Configurations that leave it 0 x 0 x 0 (the
// MLP presets, older checkpoints) are drawn as one grey square when data_dim
// is a square number (784: MNIST's 28 x 28, as the core derives it), else as
// one row.
//
// Values: a model trains on u8 pixels as value/255, in [0, 1], and its
// samples are drawn as they are. With gcn_scale set the core contrast-
// normalises every example (docs/core.md, "The data's values") and samples
// come out in that space: they are drawn as the authors drew theirs
// (show_samples_cifar_conv_paper.py), divided by the largest absolute value
// among the samples shown together and mapped from [-1, 1] to [0, 1].

/** {channels, height, width, dim, contrast, gcnScale} of a configuration ({key: text}, as the worker sends it). */
export function imageFormat(config) {
  const dim = Number(config.data_dim);
  const channels = Number(config.data_channels ?? 0);
  const height = Number(config.data_height ?? 0);
  const width = Number(config.data_width ?? 0);
  const gcnScale = Number(config.gcn_scale ?? 0);
  const contrast = gcnScale > 0;
  if (channels > 0 && height > 0 && width > 0) return { channels, height, width, dim, contrast, gcnScale };
  const side = Math.round(Math.sqrt(dim));
  if (side * side === dim) return { channels: 1, height: side, width: side, dim, contrast, gcnScale };
  return { channels: 1, height: 1, width: dim, dim, contrast, gcnScale };
}

/** "3 x 32 x 32": channels x height x width, as the core writes shapes. */
export function shapeText({ channels, height, width }) {
  return `${channels} x ${height} x ${width}`;
}

/** Whether two formats (or {channels, height, width} of some data) have one shape. */
export function sameShape(a, b) {
  return a.channels === b.channels && a.height === b.height && a.width === b.width;
}

/**
 * The scale toDisplay divides by: the largest absolute value of `values`
 * for a contrast-normalised model (the authors' show_samples), else 1 (values
 * are drawn as they are). Never 0.
 */
export function displayScale(values, format) {
  if (!format.contrast) return 1;
  let largest = 0;
  for (let i = 0; i < values.length; i++) {
    const v = Math.abs(values[i]);
    if (v > largest) largest = v;
  }
  return largest > 0 && Number.isFinite(largest) ? largest : 1;
}

/**
 * Values as floats in [0, 1] to draw (clamped by the drawing code): as they
 * are, or for a contrast-normalised model v / scale mapped from [-1, 1].
 */
export function toDisplay(values, scale, format) {
  if (!format.contrast) return values;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = 0.5 + 0.5 * (values[i] / scale);
  return out;
}

/**
 * What the model trains on for u8 pixels (count x dim): value/255, then for
 * a contrast-normalised model pylearn2's global contrast normalisation, as
 * the core does it while drawing batches (src/train.c): each example's mean
 * subtracted, divided by its L2 norm / gcnScale (by 1 below 1e-8). Floats.
 */
export function trainingValues(pixels, count, format) {
  const { dim } = format;
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count * dim; i++) out[i] = Math.fround(pixels[i] / 255);
  if (!format.contrast) return out;
  for (let n = 0; n < count; n++) {
    const row = out.subarray(n * dim, (n + 1) * dim);
    let sum = 0;
    for (let j = 0; j < dim; j++) sum += row[j];
    const mean = sum / dim;
    let squares = 0;
    for (let j = 0; j < dim; j++) squares += (row[j] - mean) * (row[j] - mean);
    let divisor = Math.sqrt(squares) / format.gcnScale;
    if (divisor < 1e-8) divisor = 1;
    for (let j = 0; j < dim; j++) row[j] = (row[j] - mean) / divisor;
  }
  return out;
}
