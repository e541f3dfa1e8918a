// The one entry to the wasm core: the training worker, the CLI's tools, the
// bench and the tests all instantiate it through loadGan().
//
//   const gan = await loadGan();                    // SIMD if the engine has it, all threads if allowed
//   const model = gan.create('small', { d_steps: 2 }, 1234);
//   model.attachData(trainPixels, 50000);           // u8, copied into wasm memory
//   model.initGeneratorBias();
//   const stats = model.train(100);                 // {step, epoch, d_loss, ...}
//   const images = model.generate(model.sampleNoise(7, 64), 64);
//   const bytes = model.checkpointSave();           // Uint8Array, safetensors
//   model.free();
//
// The runtime's modules, each with one job:
//   loading.js      Node or browser: feature detection, reading and compiling
//                   files, the WASI shim, starting workers from any URL
//   thread-pool.js  the GEMM helper workers of the threads build
//   core.js         the instantiated core: memory, its self-description,
//                   statuses, configurations, interpolation, Parzen (Gan)
//   model.js        one model: training, sampling, checkpoints (GanModel)
//   worker.js, worker-client.js, client.js: the training worker and its client
//
// Threads: when this context can create a shared WebAssembly.Memory and wait
// on it, and send it to a worker (always in Node; in browsers only on
// cross-origin isolated pages, inside a worker: threadsUnavailableReason()
// in loading.js tries each) and
// more than one thread is asked for (the default: every core, at most
// DEFAULT_MAX_THREADS), the SIMD build with threads is instantiated on a shared memory with the limits
// the build wrote to gan-build.json, and helpers run parts of the GEMMs on
// it (thread-pool.js); results are bit-identical to one thread. Otherwise,
// or if anything about it fails, one thread, silently (gan.threadsNote says
// why).

import { Gan } from './core.js';
import { GanError } from './errors.js';
import { ThreadPool } from './thread-pool.js';
import {
  compileModule, coreCount, fetchBytes, fetchJson, fileInFolder, simdSupported, threadsUnavailableReason, wasmImports,
} from './loading.js';

export { Gan } from './core.js';
export { GanModel, GENERATOR, DISCRIMINATOR, seedValue } from './model.js';
export { MAX_ALLOCATION_BYTES } from './core.js';
export { GanError } from './errors.js';
export { simdSupported } from './loading.js';

const DEFAULT_MAX_THREADS = 8;
const BUILD_INFO_FILE = 'gan-build.json';

/** The folder of the .wasm files: `base`, or ../wasm/ next to this file. */
function wasmFolder(base) {
  return base === undefined || base === null ? new URL('../wasm/', import.meta.url) : base;
}

/** Threads this engine can run, the training thread included (every core, at most DEFAULT_MAX_THREADS). */
export function defaultThreads() {
  return Math.min(DEFAULT_MAX_THREADS, coreCount());
}

function parseThreads(value) {
  if (value === undefined || value === null || value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new GanError('BAD_OPTION', `loadGan: threads must be 'auto' or an integer >= 1, not ${JSON.stringify(value)}`);
  return n;
}

async function parseSimd(value = 'auto') {
  if (value === 'auto') return simdSupported();
  let simd;
  if (value === true || value === 'true' || value === 'simd') simd = true;
  else if (value === false || value === 'false' || value === 'scalar') simd = false;
  else throw new GanError('BAD_OPTION', `loadGan: simd must be 'auto', true or false, not ${JSON.stringify(value)}`);
  if (simd && !(await simdSupported())) {
    throw new GanError('NO_SIMD', 'this engine does not support WebAssembly SIMD; use the scalar build');
  }
  return simd;
}

/**
 * Loads and instantiates the core.
 * @param {object} [options]
 * @param {'auto'|boolean} [options.simd='auto']  force the SIMD (true) or scalar (false) build
 * @param {'auto'|number} [options.threads='auto']  threads for the GEMMs, the calling one
 *   included ('auto': every core up to 8). More than 1 needs SIMD, a shared memory and Atomics.wait;
 *   otherwise 1, silently (see gan.threadsNote)
 * @param {string|URL} [options.wasmBase]  folder holding gan-simd.wasm, gan-scalar.wasm,
 *   gan-simd-threads.wasm and gan-build.json (default: ../wasm/ next to this file)
 * @param {WebAssembly.Module} [options.module]  an already compiled module (skips fetching; one thread)
 * @param {(stage: string) => void} [options.onStage]  told what it does next ('detecting SIMD', ...)
 * @param {Function} [options.startHelper]  how the threads build's GEMM helpers start
 *   (thread-pool.js; default: as workers of this thread)
 * @returns {Promise<Gan>}
 */
export async function loadGan(options = {}) {
  const onStage = options.onStage ?? (() => {});
  const threadsOption = parseThreads(options.threads);
  onStage('detecting SIMD');
  const simd = await parseSimd(options.simd);
  const threads = threadsOption === 'auto' ? defaultThreads() : threadsOption;
  let threadsNote = null;
  if (threads > 1) {
    threadsNote = !simd ? 'the scalar build has no threads'
      : options.module ? 'a precompiled module was given'
        : threadsUnavailableReason();
    if (!threadsNote) {
      try {
        return await loadThreaded(wasmFolder(options.wasmBase), threads, onStage, options.startHelper);
      } catch (error) {
        threadsNote = `the threads build failed: ${error?.message ?? error}`;
      }
    }
  }
  const file = simd ? 'gan-simd.wasm' : 'gan-scalar.wasm';
  onStage(`fetching and compiling ${file}`);
  const module = options.module ?? await compileModule(fileInFolder(wasmFolder(options.wasmBase), file));
  let memory = null;
  onStage('instantiating the core');
  const instance = await WebAssembly.instantiate(module, wasmImports(module, () => memory));
  memory = instance.exports.memory;
  instance.exports._initialize?.();
  const gan = new Gan({ instance, memory, module, simd });
  gan.threadsNote = threadsNote;
  return gan;
}

/** The threads build on a shared memory of the build's limits, with `threads` threads. */
async function loadThreaded(folder, threads, onStage, startHelper) {
  // The module first: a folder without the threads build says so by its name.
  onStage('fetching gan-simd-threads.wasm');
  const bytes = await fetchBytes(fileInFolder(folder, 'gan-simd-threads.wasm'));
  onStage(`fetching ${BUILD_INFO_FILE}`);
  const build = await fetchJson(fileInFolder(folder, BUILD_INFO_FILE));
  const limits = build.threads;
  if (!limits?.shared_memory || !(limits.maximum_memory_bytes >= limits.initial_memory_bytes)) {
    throw new Error(`${BUILD_INFO_FILE} gives no shared memory limits for the threads build`);
  }
  const PAGE = 65536; // the wasm page, fixed by the wasm spec
  const memory = new WebAssembly.Memory({
    initial: limits.initial_memory_bytes / PAGE, maximum: limits.maximum_memory_bytes / PAGE, shared: true,
  });
  onStage('compiling gan-simd-threads.wasm');
  const module = await WebAssembly.compile(bytes);
  onStage('instantiating the core');
  const instance = await WebAssembly.instantiate(module, wasmImports(module, () => memory, memory));
  instance.exports._initialize?.();
  const pool = new ThreadPool(instance.exports, module, memory, { startHelper });
  const gan = new Gan({ instance, memory, module, simd: true, pool });
  try {
    onStage(`starting ${threads - 1} helper thread${threads === 2 ? '' : 's'}`);
    await gan.setThreads(threads);
  } catch (error) {
    gan.close();
    throw error;
  }
  return gan;
}

