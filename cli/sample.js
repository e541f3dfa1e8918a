// `wasm-gan sample`: generated images from a checkpoint as an IDX u8 file
// (MNIST's image format, count x rows x columns; colour images as count x
// rows x columns x 3, channels last), so that any MNIST tool can judge them.
// A contrast-normalised model's samples (paper-cifar-conv) are written as
// they are drawn: divided by the largest absolute value among them and
// mapped from [-1, 1] to 0-255 (web/runtime/image-format.js).
import { GanClient } from '../web/runtime/client.js';
import { encodeIdxImages } from '../web/runtime/idx.js';
import { displayScale, imageFormat, toDisplay } from '../web/runtime/image-format.js';
import { readInputFile, loadCheckpoint } from './files.js';
import { tileGrid, tilesOf, toBytes, writeFileAtomically, writePng } from './images.js';
import { UsageError } from './options.js';

const CHUNK = 1000; // images per request: bounded messages, steady memory

/**
 * Generates `count` images from noise seed `seed` with the model `client`
 * holds, calling visit(images, start, n) for each chunk of n images (floats in
 * [0, 1], n x data_dim). One noise block from the seed, then generated chunk
 * by chunk: the images do not depend on the chunk size, and are the ones
 * `eval` scores for the same seed.
 */
export async function forEachSampleChunk(client, { seed, count, noiseDim, classes = 0, only }, visit) {
  const { z } = await client.noise(seed, count);
  for (let start = 0; start < count; start += CHUNK) {
    const n = Math.min(CHUNK, count - start);
    const request = { z: z.slice(start * noiseDim, (start + n) * noiseDim) };
    if (only !== undefined) request.class = only;
    else if (classes) request.classes = cyclicClasses(start, n, classes);
    const { images } = await client.sample(request);
    visit(images, start, n);
  }
}

/** One-hot rows for samples start .. start + n - 1 of a conditional model: sample i of class i mod classes. */
function cyclicClasses(start, n, classes) {
  const rows = new Float32Array(n * classes);
  for (let i = 0; i < n; i++) rows[i * classes + ((start + i) % classes)] = 1;
  return rows;
}

/** A conditional model's number of classes (0 for none), from its configuration. */
export const classCount = (config) => (config.conditional && config.conditional !== 'none' ? Number(config.classes) : 0);

export async function runSample(options, { stdout = process.stdout } = {}) {
  const bytes = readInputFile(options.checkpoint, 'checkpoint');
  const client = await GanClient.create({ simd: options.simd });
  try {
    const loaded = await loadCheckpoint(client, bytes, options.checkpoint);
    const format = imageFormat(loaded.config);
    const { dim, height, width, channels } = format;
    const noiseDim = Number(loaded.config.noise_dim);
    const classes = classCount(loaded.config);
    if (options.class !== undefined && !classes) {
      throw new UsageError(`--class ${options.class}: the checkpoint's model is not conditional (conditional none)`, 'sample');
    }
    if (options.class !== undefined && options.class >= classes) {
      throw new UsageError(`--class ${options.class}: the checkpoint's model has classes 0 to ${classes - 1}`, 'sample');
    }
    const values = new Float32Array(options.count * dim);
    await forEachSampleChunk(client, { seed: options.seed, count: options.count, noiseDim, classes, only: options.class }, (images, start) => {
      values.set(images, start * dim);
    });
    const shown = toDisplay(values, displayScale(values, format), format);
    writeFileAtomically(options.out, encodeIdxImages(toBytes(shown), options.count, height, width, channels));
    if (options.png) {
      writePng(options.png, tileGrid(tilesOf(shown, dim), Math.ceil(Math.sqrt(options.count)), { height, width, channels }));
    }
    const shape = channels === 1 ? `${height}x${width}` : `${height}x${width}x${channels}`;
    stdout.write(`wrote ${options.count} images (${shape}, step ${loaded.step}) to ${options.out}${options.png ? ` and ${options.png}` : ''}\n`);
    return 0;
  } finally {
    client.terminate();
  }
}
