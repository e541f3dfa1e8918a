// IDX files (the MNIST format): parse from bytes, in any JS environment.
//
// Layout: two zero bytes, a data-type byte (0x08 = unsigned byte, the only
// one MNIST uses), a dimension count, then that many big-endian u32 sizes,
// then the data. Images are 0x00000803 (count x rows x cols, grey) or
// 0x00000804 (count x rows x cols x channels: colour, channels last, as the
// core stores images), labels 0x00000801 (count). Images may have any
// number of rows and columns. Files may be gzip'd; decompression is capped
// so that a small hostile file cannot expand into gigabytes.
//
// Browser and Node share parseIdx() and readIdxFromResponse(); the Node file
// reader (fs + zlib) lives in idx-node.js so pages never import node: modules.

export const IDX_IMAGES_MAGIC = 0x00000803;
export const IDX_COLOUR_IMAGES_MAGIC = 0x00000804;
export const IDX_LABELS_MAGIC = 0x00000801;
/** Channels an IDX image may have: grey, or RGB. */
export const IDX_CHANNELS = [1, 3];

// MNIST's biggest file is 47 MB; 256 MiB leaves room for larger data sets of
// the same shape while rejecting a gzip bomb long before it hurts.
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;

export class IdxError extends Error {
  constructor(name, problem) {
    super(`${name}: ${problem}`);
    this.name = 'IdxError';
    this.file = name;
    this.problem = problem;
  }
}

export function isGzip(bytes) {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Parses an uncompressed IDX file of unsigned bytes.
 * @param {Uint8Array} bytes
 * @param {{name?: string, expect?: 'images'|'labels'}} [options]
 * @returns {{kind: 'images'|'labels', dims: number[], count: number,
 *            rows: number, cols: number, channels: number, itemSize: number, data: Uint8Array}}
 *   `data` is a view into `bytes` (no copy); itemSize = rows * cols * channels (1 for labels).
 */
export function parseIdx(bytes, { name = 'IDX data', expect } = {}) {
  if (!(bytes instanceof Uint8Array)) throw new IdxError(name, 'expected bytes (Uint8Array)');
  if (isGzip(bytes)) throw new IdxError(name, 'is gzip-compressed; decompress it first (readIdxFile / readIdxFromResponse do)');
  if (bytes.length < 4) throw new IdxError(name, `too short for an IDX header (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0, false);
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== 0x08 || ![1, 3, 4].includes(bytes[3])) {
    throw new IdxError(name, `wrong magic number 0x${magic.toString(16).padStart(8, '0')} ` +
      '(expected 0x00000803 or 0x00000804 for images, 0x00000801 for labels, unsigned bytes)');
  }
  const kind = magic === IDX_LABELS_MAGIC ? 'labels' : 'images';
  if (expect && expect !== kind) throw new IdxError(name, `holds ${kind}, expected ${expect}`);
  const ndims = bytes[3];
  const headerLength = 4 + 4 * ndims;
  if (bytes.length < headerLength) {
    throw new IdxError(name, `truncated header: ${bytes.length} bytes, the header needs ${headerLength}`);
  }
  const dims = [];
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false));
  if (dims.some((d) => d === 0)) throw new IdxError(name, `has a zero dimension (${dims.join(' x ')})`);
  if (ndims === 4 && !IDX_CHANNELS.includes(dims[3])) {
    throw new IdxError(name, `has images of ${dims[3]} channels (${dims.join(' x ')}); 1 (grey) or 3 (RGB, channels last) are drawn`);
  }
  const itemSize = dims.slice(1).reduce((a, b) => a * b, 1);
  const expected = headerLength + dims[0] * itemSize;
  const actual = bytes.length;
  if (actual < expected) {
    throw new IdxError(name, `truncated: the header says ${dims.join(' x ')} (${expected} bytes) but the file has ${actual}`);
  }
  if (actual > expected) {
    throw new IdxError(name, `dimensions ${dims.join(' x ')} disagree with the size: ${expected} bytes expected, ${actual} found`);
  }
  return {
    kind,
    dims,
    count: dims[0],
    rows: ndims >= 3 ? dims[1] : 1,
    cols: ndims >= 3 ? dims[2] : 1,
    channels: ndims === 4 ? dims[3] : 1,
    itemSize,
    data: bytes.subarray(headerLength),
  };
}

/**
 * Builds an IDX u8 images file from pixel bytes: count x rows x cols (IDX3,
 * MNIST's format) for one channel, count x rows x cols x channels (magic
 * 0x00000804, channels last) for more.
 */
export function encodeIdxImages(pixels, count, rows, cols, channels = 1) {
  if (pixels.length !== count * rows * cols * channels) {
    throw new RangeError(`encodeIdxImages: ${pixels.length} pixels for ${count} x ${rows} x ${cols} x ${channels}`);
  }
  const dims = channels === 1 ? [count, rows, cols] : [count, rows, cols, channels];
  const header = 4 + 4 * dims.length;
  const out = new Uint8Array(header + pixels.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, channels === 1 ? IDX_IMAGES_MAGIC : IDX_COLOUR_IMAGES_MAGIC, false);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  out.set(pixels, header);
  return out;
}

/** Builds an IDX1 u8 file of labels. */
export function encodeIdxLabels(labels) {
  const out = new Uint8Array(8 + labels.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, IDX_LABELS_MAGIC, false);
  view.setUint32(4, labels.length, false);
  out.set(labels, 8);
  return out;
}

/**
 * Reads a ReadableStream of bytes into one Uint8Array, failing once more
 * than maxBytes arrive (the stream is cancelled, so a bomb stops early).
 */
export async function readStreamCapped(stream, maxBytes, name, onProgress) {
  const reader = stream.getReader();
  const chunks = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) {
      await reader.cancel().catch(() => {});
      throw new IdxError(name, `decompresses to more than ${maxBytes} bytes (the cap); refusing it`);
    }
    chunks.push(value);
    if (onProgress) onProgress(total);
  }
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) { out.set(chunk, offset); offset += chunk.length; }
  return out;
}

/**
 * Decompresses gzip bytes with the platform's DecompressionStream (browsers,
 * Node >= 18), capped at maxBytes of output.
 */
export async function gunzipCapped(bytes, { name = 'IDX data', maxBytes = DEFAULT_MAX_BYTES } = {}) {
  const input = new Blob([bytes]).stream();
  let output;
  try {
    output = input.pipeThrough(new DecompressionStream('gzip'));
    return await readStreamCapped(output, maxBytes, name);
  } catch (error) {
    if (error instanceof IdxError) throw error;
    throw new IdxError(name, `is not valid gzip data (${error.message})`);
  }
}

/**
 * Parses an IDX file from a fetch() Response, raw or gzip'd (by magic bytes),
 * streaming the decompression with a cap. onProgress(bytesSoFar) is called as
 * compressed bytes arrive (for a progress indicator).
 */
export async function readIdxFromResponse(response, { name = response.url || 'IDX data', maxBytes = DEFAULT_MAX_BYTES, expect, onProgress } = {}) {
  if (!response.ok) throw new IdxError(name, `could not be fetched (HTTP ${response.status})`);
  const compressed = await readStreamCapped(response.body, maxBytes, name, onProgress);
  const bytes = isGzip(compressed) ? await gunzipCapped(compressed, { name, maxBytes }) : compressed;
  return parseIdx(bytes, { name, expect });
}
