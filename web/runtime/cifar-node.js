// Node-only reading of CIFAR-10's binary files (cifar.js describes the
// format): only regular files are read (a FIFO would block, a device never
// end), each at most DEFAULT_MAX_BYTES, and every refusal names the file.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { CIFAR_TEST_FILE, CIFAR_TRAINING_FILES, CifarError, joinCifar, parseCifar } from './cifar.js';
import { DEFAULT_MAX_BYTES } from './idx.js';
import { fileKind } from './idx-node.js';

/** One CIFAR-10 binary file, checked and converted (parseCifar). */
export function readCifarFile(path, { maxBytes = DEFAULT_MAX_BYTES } = {}) {
  let bytes;
  try {
    const stats = statSync(path);
    const kind = fileKind(stats);
    if (kind !== 'file') throw new CifarError(path, `is not a regular file (${kind}); refusing to read it`);
    if (stats.size > maxBytes) throw new CifarError(path, `is larger than ${maxBytes} bytes (the cap); refusing it`);
    const raw = readFileSync(path);
    bytes = new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength);
  } catch (error) {
    if (error instanceof CifarError) throw error;
    throw new CifarError(path, error.code === 'ENOENT' ? 'no such file' : `cannot be read (${error.message})`);
  }
  return parseCifar(bytes, { name: path });
}

/**
 * The folder holding CIFAR-10's binary files: `dir` itself when it has
 * data_batch_1.bin, or the cifar-10-batches-bin folder the archive unpacks
 * to inside it; null when neither has it.
 */
export function cifarDirectory(dir) {
  for (const candidate of [dir, join(dir, 'cifar-10-batches-bin')]) {
    if (existsSync(join(candidate, CIFAR_TRAINING_FILES[0]))) return candidate;
  }
  return null;
}

/**
 * The five training files joined in order (50,000 images for the real data
 * set), or the test file: {count, channels, rows, cols, itemSize, data, labels, paths}.
 * Every file must be there: a missing one is named with the set's names.
 */
export function readCifarSet(dir, which = 'train') {
  const names = which === 'test' ? [CIFAR_TEST_FILE] : CIFAR_TRAINING_FILES;
  const paths = names.map((name) => join(dir, name));
  for (const path of paths) {
    if (!existsSync(path)) {
      throw new CifarError(path, `not found (CIFAR-10's binary version has ${CIFAR_TRAINING_FILES.join(', ')} and ${CIFAR_TEST_FILE}; ` +
        `${dir} must hold them all)`);
    }
  }
  return { ...joinCifar(paths.map((path) => readCifarFile(path))), paths };
}
