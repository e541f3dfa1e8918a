// Node-only IDX file reader: raw or gzip'd (detected by the 1f 8b magic, not
// the file name), with zlib's maxOutputLength as the cap against gzip bombs.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { join } from 'node:path';
import { DEFAULT_MAX_BYTES, IdxError, isGzip, parseIdx } from './idx.js';

/**
 * @param {string} path
 * @param {{maxBytes?: number, expect?: 'images'|'labels'}} [options]
 */
export function readIdxFile(path, { maxBytes = DEFAULT_MAX_BYTES, expect } = {}) {
  let raw;
  try {
    // A FIFO would block the read forever, a device could be endless.
    const kind = fileKind(statSync(path));
    if (kind !== 'file') throw new IdxError(path, `is not a regular file (${kind}); refusing to read it`);
    if (statSync(path).size > maxBytes) throw new IdxError(path, `is larger than ${maxBytes} bytes (the cap); refusing it`);
    raw = readFileSync(path);
  } catch (error) {
    if (error instanceof IdxError) throw error;
    throw new IdxError(path, error.code === 'ENOENT' ? 'no such file' : `cannot be read (${error.message})`);
  }
  return parseIdx(decompressIfGzip(raw, path, maxBytes), { name: path, expect });
}

/** What a fs.Stats describes, in words: 'file' for a regular file. */
export function fileKind(stats) {
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

export function decompressIfGzip(raw, name, maxBytes = DEFAULT_MAX_BYTES) {
  const bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  if (!isGzip(bytes)) return bytes;
  try {
    const out = gunzipSync(bytes, { maxOutputLength: maxBytes });
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  } catch (error) {
    if (error.code === 'ERR_BUFFER_TOO_LARGE' || error instanceof RangeError) {
      throw new IdxError(name, `decompresses to more than ${maxBytes} bytes (the cap); refusing it`);
    }
    throw new IdxError(name, `is not valid gzip data (${error.message})`);
  }
}

// Where a data set's four files are in a directory, under MNIST's names,
// raw or with .gz (Fashion-MNIST and Debian's packages use the same names).
const FILE_NAMES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
};

export function findIdxFile(dir, role) {
  const stem = FILE_NAMES[role];
  for (const candidate of [stem, `${stem}.gz`, stem.replace(/-idx(\d)-/, '.idx$1-'), `${stem.replace(/-idx(\d)-/, '.idx$1-')}.gz`]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  throw new IdxError(join(dir, stem), `not found (looked for ${stem} and ${stem}.gz in ${dir})`);
}
