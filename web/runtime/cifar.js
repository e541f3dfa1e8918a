// CIFAR-10's binary version (the files of cifar-10-binary.tar.gz):
// data_batch_1.bin ... data_batch_5.bin (10,000 images each) and
// test_batch.bin. Each is a run of 3,073-byte records: one label byte (0-9),
// then the 32 x 32 image's 1,024 red values row by row, its 1,024 green,
// then its 1,024 blue. There is no header and no magic number, so a file is
// checked by its size and its labels.
//
// The core stores images channels last ([row][column][channel], interleaved
// RGB: docs/core.md), so parseCifar() turns each record's three planes into
// that order. Browser and Node share this file; reading files in Node is
// cifar-node.js.

export const CIFAR_CHANNELS = 3;
export const CIFAR_SIDE = 32;
export const CIFAR_PIXELS = CIFAR_CHANNELS * CIFAR_SIDE * CIFAR_SIDE; // 3,072
export const CIFAR_RECORD_BYTES = 1 + CIFAR_PIXELS;                  // 3,073
export const CIFAR_CLASSES = 10;
export const CIFAR_TRAINING_FILES = [1, 2, 3, 4, 5].map((n) => `data_batch_${n}.bin`);
export const CIFAR_TEST_FILE = 'test_batch.bin';
// The authors' split (cifar10_convolutional.yaml: start 0, stop 40000 of the
// 50,000 training images; 40,000-49,999 were their validation set).
export const CIFAR_TRAINING_ROWS = 40000;

export class CifarError extends Error {
  constructor(name, problem) {
    super(`${name}: ${problem}`);
    this.name = 'CifarError';
    this.file = name;
    this.problem = problem;
  }
}

/** Whether a file name looks like one of CIFAR-10's binary files (`.bin`). */
export const isCifarName = (name) => /\.bin$/i.test(String(name));

/**
 * Checks a CIFAR-10 binary file and converts it to the core's layout.
 * @param {Uint8Array} bytes  the whole file
 * @param {{name?: string}} [options]
 * @returns {{count: number, channels: 3, rows: 32, cols: 32, itemSize: 3072,
 *            data: Uint8Array, labels: Uint8Array}}  data: count x 32 x 32 x 3, channels last
 */
export function parseCifar(bytes, { name = 'CIFAR-10 data' } = {}) {
  if (!(bytes instanceof Uint8Array)) throw new CifarError(name, 'expected bytes (Uint8Array)');
  if (bytes.length === 0) throw new CifarError(name, 'is empty');
  if (bytes.length % CIFAR_RECORD_BYTES !== 0) {
    const whole = Math.floor(bytes.length / CIFAR_RECORD_BYTES);
    throw new CifarError(name, `is ${bytes.length.toLocaleString('en')} bytes, not a whole number of ` +
      `${CIFAR_RECORD_BYTES.toLocaleString('en')}-byte records (a label byte and 3,072 pixel bytes): ` +
      `${whole.toLocaleString('en')} record${whole === 1 ? '' : 's'} and ${(bytes.length - whole * CIFAR_RECORD_BYTES).toLocaleString('en')} bytes over. ` +
      'It is truncated, or not CIFAR-10\'s binary version');
  }
  const count = bytes.length / CIFAR_RECORD_BYTES;
  const labels = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const label = bytes[i * CIFAR_RECORD_BYTES];
    if (label >= CIFAR_CLASSES) {
      throw new CifarError(name, `record ${i} has label ${label}; CIFAR-10's labels are 0 to 9 ` +
        '(CIFAR-100\'s binary files have two label bytes and 3,074-byte records)');
    }
    labels[i] = label;
  }
  return { count, channels: CIFAR_CHANNELS, rows: CIFAR_SIDE, cols: CIFAR_SIDE, itemSize: CIFAR_PIXELS,
    data: planesToChannelsLast(bytes, count), labels };
}

/** The records' red, green and blue planes as interleaved RGB rows: count x 3,072 bytes. */
function planesToChannelsLast(bytes, count) {
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  const out = new Uint8Array(count * CIFAR_PIXELS);
  for (let i = 0; i < count; i++) {
    const from = i * CIFAR_RECORD_BYTES + 1;
    const to = i * CIFAR_PIXELS;
    for (let p = 0; p < plane; p++) {
      out[to + 3 * p] = bytes[from + p];
      out[to + 3 * p + 1] = bytes[from + plane + p];
      out[to + 3 * p + 2] = bytes[from + 2 * plane + p];
    }
  }
  return out;
}

/**
 * Builds a CIFAR-10 binary file from images in the core's layout (count x
 * 32 x 32 x 3, channels last) and their labels: the inverse of parseCifar.
 */
export function encodeCifar(images, labels) {
  const count = labels.length;
  if (images.length !== count * CIFAR_PIXELS) {
    throw new RangeError(`encodeCifar: ${images.length} bytes for ${count} images of ${CIFAR_PIXELS}`);
  }
  const plane = CIFAR_SIDE * CIFAR_SIDE;
  const out = new Uint8Array(count * CIFAR_RECORD_BYTES);
  for (let i = 0; i < count; i++) {
    const to = i * CIFAR_RECORD_BYTES;
    const from = i * CIFAR_PIXELS;
    out[to] = labels[i];
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < CIFAR_CHANNELS; c++) out[to + 1 + c * plane + p] = images[from + 3 * p + c];
    }
  }
  return out;
}

/**
 * Joins parsed files into one set, in the order given, keeping at most
 * `maxRows` images: {count, channels, rows, cols, itemSize, data, labels}.
 */
export function joinCifar(parts, maxRows = Infinity) {
  const total = Math.min(maxRows, parts.reduce((n, part) => n + part.count, 0));
  const data = new Uint8Array(total * CIFAR_PIXELS);
  const labels = new Uint8Array(total);
  let at = 0;
  for (const part of parts) {
    const n = Math.min(part.count, total - at);
    if (n <= 0) break;
    data.set(part.data.subarray(0, n * CIFAR_PIXELS), at * CIFAR_PIXELS);
    labels.set(part.labels.subarray(0, n), at);
    at += n;
  }
  return { count: total, channels: CIFAR_CHANNELS, rows: CIFAR_SIDE, cols: CIFAR_SIDE, itemSize: CIFAR_PIXELS, data, labels };
}
