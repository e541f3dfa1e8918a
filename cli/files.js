// Reading the CLI's input files so that every failure names the file:
// "wasm-gan: checkpoint runs/x.safetensors: checkpoint malformed".
// Only regular files are read: a FIFO would block, a device never end.
import { readFileSync, statSync } from 'node:fs';
import { fileKind } from '../web/runtime/idx-node.js';

// Far above any checkpoint the core can create (the paper model's is ~20 MB).
const MAX_CHECKPOINT_BYTES = 1024 * 1024 * 1024;

export class FileError extends Error {
  constructor(role, path, problem) {
    super(`${role} ${path}: ${problem}`);
    this.name = 'FileError';
  }
}

/** The bytes of a regular file, or a FileError naming `role` and `path`. */
export function readInputFile(path, role, maxBytes = MAX_CHECKPOINT_BYTES) {
  try {
    const stats = statSync(path);
    const kind = fileKind(stats);
    if (kind !== 'file') throw new FileError(role, path, `is not a regular file (${kind})`);
    if (stats.size > maxBytes) throw new FileError(role, path, `is ${stats.size} bytes, more than a checkpoint can be (${maxBytes})`);
    return readFileSync(path);
  } catch (error) {
    if (error instanceof FileError) throw error;
    throw new FileError(role, path, error.code === 'ENOENT' ? 'no such file' : error.code === 'EACCES' ? 'permission denied' : error.message);
  }
}

/**
 * Loads checkpoint bytes into the worker; a refusal names the file (the
 * core's message is "checkpoint: <status text>").
 */
export async function loadCheckpoint(client, bytes, path) {
  try {
    return await client.load(bytes, path);
  } catch (error) {
    throw new FileError('checkpoint', path, String(error.message).replace(/^checkpoint: /, ''));
  }
}

/** Runs write(), naming `path` if it fails (a folder that is a file, a full disk, no permission). */
export function writingTo(path, write) {
  try {
    return write();
  } catch (error) {
    throw new FileError('cannot write', path, error.code ? `${error.code} (${error.message.replace(/^[A-Z]+: /, '')})` : error.message);
  }
}
