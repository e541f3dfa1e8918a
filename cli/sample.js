// `wasm-gan sample`: generated images from a checkpoint as an IDX3 u8 file
// (MNIST's image format), so that any MNIST tool can judge them.
import { GanClient } from '../web/runtime/client.js';
import { encodeIdxImages } from '../web/runtime/idx.js';
import { readInputFile, loadCheckpoint } from './files.js';
import { imageShape, tileGrid, tilesOf, toBytes, writeFileAtomically, writePng } from './images.js';

const CHUNK = 1000; // images per request: bounded messages, steady memory

export async function runSample(options, { stdout = process.stdout } = {}) {
  const bytes = readInputFile(options.checkpoint, 'checkpoint');
  const client = await GanClient.create({ simd: options.simd });
  try {
    const loaded = await loadCheckpoint(client, bytes, options.checkpoint);
    const dim = Number(loaded.config.data_dim);
    const noiseDim = Number(loaded.config.noise_dim);
    const [rows, cols] = imageShape(dim);
    // One noise block from the seed, then generated chunk by chunk: the
    // images do not depend on the chunk size.
    const { z } = await client.noise(options.seed, options.count);
    const pixels = new Uint8Array(options.count * dim);
    const floats = options.png ? new Float32Array(options.count * dim) : null;
    for (let start = 0; start < options.count; start += CHUNK) {
      const n = Math.min(CHUNK, options.count - start);
      const { images } = await client.sample({ z: z.slice(start * noiseDim, (start + n) * noiseDim) });
      pixels.set(toBytes(images), start * dim);
      floats?.set(images, start * dim);
    }
    writeFileAtomically(options.out, encodeIdxImages(pixels, options.count, rows, cols));
    if (options.png) writePng(options.png, tileGrid(tilesOf(floats, dim), Math.ceil(Math.sqrt(options.count)), { height: rows, width: cols }));
    stdout.write(`wrote ${options.count} images (${rows}x${cols}, step ${loaded.step}) to ${options.out}${options.png ? ` and ${options.png}` : ''}\n`);
    return 0;
  } finally {
    client.terminate();
  }
}
