// `wasm-gan sample`: generated images from a checkpoint as an IDX3 u8 file
// (MNIST's image format), so that any MNIST tool can judge them.
import { GanClient } from '../web/runtime/client.js';
import { encodeIdxImages } from '../web/runtime/idx.js';
import { readInputFile, loadCheckpoint } from './files.js';
import { imageShape, tileGrid, tilesOf, toBytes, writeFileAtomically, writePng } from './images.js';

const CHUNK = 1000; // images per request: bounded messages, steady memory

/**
 * Generates `count` images from noise seed `seed` with the model `client`
 * holds, calling visit(images, start, n) for each chunk of n images (floats in
 * [0, 1], n x data_dim). One noise block from the seed, then generated chunk
 * by chunk: the images do not depend on the chunk size, and are the ones
 * `eval` scores for the same seed.
 */
export async function forEachSampleChunk(client, { seed, count, noiseDim }, visit) {
  const { z } = await client.noise(seed, count);
  for (let start = 0; start < count; start += CHUNK) {
    const n = Math.min(CHUNK, count - start);
    const { images } = await client.sample({ z: z.slice(start * noiseDim, (start + n) * noiseDim) });
    visit(images, start, n);
  }
}

export async function runSample(options, { stdout = process.stdout } = {}) {
  const bytes = readInputFile(options.checkpoint, 'checkpoint');
  const client = await GanClient.create({ simd: options.simd });
  try {
    const loaded = await loadCheckpoint(client, bytes, options.checkpoint);
    const dim = Number(loaded.config.data_dim);
    const noiseDim = Number(loaded.config.noise_dim);
    const [rows, cols] = imageShape(dim);
    const pixels = new Uint8Array(options.count * dim);
    const floats = options.png ? new Float32Array(options.count * dim) : null;
    await forEachSampleChunk(client, { seed: options.seed, count: options.count, noiseDim }, (images, start) => {
      pixels.set(toBytes(images), start * dim);
      floats?.set(images, start * dim);
    });
    writeFileAtomically(options.out, encodeIdxImages(pixels, options.count, rows, cols));
    if (options.png) writePng(options.png, tileGrid(tilesOf(floats, dim), Math.ceil(Math.sqrt(options.count)), { height: rows, width: cols }));
    stdout.write(`wrote ${options.count} images (${rows}x${cols}, step ${loaded.step}) to ${options.out}${options.png ? ` and ${options.png}` : ''}\n`);
    return 0;
  } finally {
    client.terminate();
  }
}
