// The one loader for the wasm core: the page, the Web Worker, the embed, the
// Node worker and the tests all instantiate gan-simd.wasm / gan-scalar.wasm /
// gan-simd-threads.wasm through loadGan(), which wraps the C API
// (include/gan.h) in typed helpers.
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
// The modules are standalone (`--no-entry -sSTANDALONE_WASM`): no Emscripten
// glue. Their memory can grow during any call that allocates, which detaches
// every typed array on the old buffer; so helpers copy results out, and views
// are re-created from memory.buffer after each call (see heap()).
//
// Threads: when SharedArrayBuffer exists (always in Node; in browsers only on
// cross-origin isolated pages) and more than one thread is asked for (the
// default: every core, at most DEFAULT_MAX_THREADS), the SIMD build with
// threads is instantiated on a shared memory and N-1 helper workers
// (web/runtime/gemm-thread.js) instantiate it on the same memory to run parts of
// the GEMMs (src/threads.c). Results are bit-identical to one thread.
// Otherwise, or if anything about it fails, one thread, silently
// (gan.threadsNote says why). A shared memory's buffer is never detached:
// growth gives memory.buffer a new, longer SharedArrayBuffer, so heap()
// re-creates its views when the object changes, as for the other builds.

const STATUS_NAMES = [
  'GAN_OK',
  'GAN_ERR_INVALID_ARGUMENT',
  'GAN_ERR_OUT_OF_MEMORY',
  'GAN_ERR_NO_DATA',
  'GAN_ERR_NON_FINITE',
  'GAN_ERR_BUFFER_TOO_SMALL',
  'GAN_ERR_CHECKPOINT_TRUNCATED',
  'GAN_ERR_CHECKPOINT_MALFORMED',
  'GAN_ERR_CHECKPOINT_VERSION',
  'GAN_ERR_CHECKPOINT_MISMATCH',
  'GAN_ERR_BUSY',
];

/** The fields of gan_step_stats, in struct order (all doubles). */
export const STATS_FIELDS = [
  'step', 'epoch', 'd_loss', 'g_loss', 'd_real', 'd_fake', 'd_grad_norm', 'g_grad_norm',
  'd_learning_rate', 'g_learning_rate', 'momentum', 'non_finite', 'non_finite_total',
];

export const GENERATOR = 0;
export const DISCRIMINATOR = 1;
const PARZEN_SIGMA_COUNT = 10;
// sizeof(gan_config) is 912 on wasm32; allocate generously so a field added
// to the header does not silently overflow.
const CONFIG_BYTES = 4096;
const TEXT_BYTES = 256;

export class GanError extends Error {
  /** @param {string} code  a status name (GAN_ERR_...) or a JS-side code */
  constructor(code, message, status) {
    super(message);
    this.name = 'GanError';
    this.code = code;
    this.status = status;
  }
}

const isNode = typeof process !== 'undefined' && !!process.versions?.node &&
  typeof window === 'undefined' && typeof importScripts === 'undefined';

/** True when this engine validates fixed-width SIMD128 (feature detection). */
export async function simdSupported() {
  let detect;
  try {
    // Vendored by build-scripts/prepare-data.mjs, so pages without a bundler
    // can import it by a relative path.
    detect = await import('../vendor/wasm-feature-detect.js');
  } catch (error) {
    if (!isNode) throw error;
    detect = await import('wasm-feature-detect'); // Node before a build: from node_modules
  }
  return detect.simd();
}

const THREADS_FILE = 'gan-simd-threads.wasm';
const DEFAULT_MAX_THREADS = 8;
const THREAD_START_TIMEOUT_MS = 15000;

function wasmUrl(base, simd) {
  const file = simd === THREADS_FILE ? THREADS_FILE : simd ? 'gan-simd.wasm' : 'gan-scalar.wasm';
  if (base === undefined) return new URL(`../wasm/${file}`, import.meta.url);
  const baseText = String(base);
  return new URL(file, baseText.endsWith('/') ? baseText : `${baseText}/`);
}

async function readLocal(url) {
  const { readFile } = await import('node:fs/promises');
  try {
    return await readFile(url);
  } catch (error) {
    throw new GanError('LOAD_FAILED', error.code === 'ENOENT'
      ? `${url.pathname ?? url}: not found; build the wasm modules first (npm run build)`
      : `${url.pathname ?? url}: ${error.message}`);
  }
}

async function fetchBytes(url) {
  if (isNode || url.protocol === 'file:') return readLocal(url);
  const response = await fetch(url);
  if (!response.ok) throw new GanError('LOAD_FAILED', `${url}: HTTP ${response.status}`);
  return new Uint8Array(await response.arrayBuffer());
}

async function compileModule(url) {
  if (isNode || url.protocol === 'file:') return WebAssembly.compile(await readLocal(url));
  const response = await fetch(url);
  if (!response.ok) throw new GanError('LOAD_FAILED', `${url}: HTTP ${response.status}`);
  if (WebAssembly.compileStreaming) {
    try {
      return await WebAssembly.compileStreaming(response.clone());
    } catch (error) {
      // Servers that send the wrong content type: compile from the bytes.
      if (!(error instanceof TypeError)) throw error;
    }
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/**
 * Import object for a standalone Emscripten module: the WASI calls and the
 * few env hooks it may import. Built from WebAssembly.Module.imports(), so an
 * import nobody provided still links, and throws by name if ever called.
 */
function buildImports(module, state) {
  const WASI_EBADF = 8;
  const WASI_ENOSYS = 52;
  const view = () => new DataView(state.memory.buffer);
  const provided = {
    wasi_snapshot_preview1: {
      fd_write(fd, iovs, iovsLength, writtenPtr) {
        const dv = view();
        let written = 0;
        let text = '';
        for (let i = 0; i < iovsLength; i++) {
          const ptr = dv.getUint32(iovs + 8 * i, true);
          const len = dv.getUint32(iovs + 8 * i + 4, true);
          text += new TextDecoder().decode(new Uint8Array(state.memory.buffer, ptr, len).slice());
          written += len;
        }
        if (fd === 1 || fd === 2) (fd === 2 ? console.error : console.log)(text.replace(/\n$/, ''));
        dv.setUint32(writtenPtr, written, true);
        return 0;
      },
      fd_close: () => WASI_EBADF,
      fd_seek: () => WASI_EBADF,
      fd_read: () => WASI_EBADF,
      fd_fdstat_get: () => WASI_EBADF,
      proc_exit(code) { throw new GanError('WASM_EXIT', `wasm core called exit(${code})`); },
      environ_sizes_get(countPtr, sizePtr) { view().setUint32(countPtr, 0, true); view().setUint32(sizePtr, 0, true); return 0; },
      environ_get: () => 0,
      args_sizes_get(countPtr, sizePtr) { view().setUint32(countPtr, 0, true); view().setUint32(sizePtr, 0, true); return 0; },
      args_get: () => 0,
      clock_time_get(clockId, precision, timePtr) {
        const nanoseconds = BigInt(Math.round((clockId === 0 ? Date.now() : performance.now()) * 1e6));
        view().setBigUint64(timePtr, nanoseconds, true);
        return 0;
      },
      random_get(ptr, length) {
        // Browsers refuse views of a SharedArrayBuffer here: fill a copy.
        const bytes = new Uint8Array(length);
        for (let i = 0; i < length; i += 65536) crypto.getRandomValues(bytes.subarray(i, Math.min(length, i + 65536)));
        new Uint8Array(state.memory.buffer).set(bytes, ptr);
        return 0;
      },
      sched_yield: () => 0,
    },
    env: {
      // Views are re-created lazily from memory.buffer; nothing to do here.
      emscripten_notify_memory_growth() {},
      emscripten_memcpy_big(dest, src, count) {
        new Uint8Array(state.memory.buffer).copyWithin(dest, src, src + count);
        return dest;
      },
      emscripten_resize_heap(requested) {
        const pages = Math.ceil((requested - state.memory.buffer.byteLength) / 65536);
        try { state.memory.grow(pages); return 1; } catch { return 0; }
      },
    },
  };
  const imports = {};
  for (const { module: moduleName, name, kind } of WebAssembly.Module.imports(module)) {
    imports[moduleName] ??= {};
    if (kind === 'memory' && state.importedMemory) { imports[moduleName][name] = state.importedMemory; continue; }
    const value = provided[moduleName]?.[name];
    if (kind === 'function') {
      imports[moduleName][name] = value ?? ((...args) => {
        if (moduleName === 'wasi_snapshot_preview1') return WASI_ENOSYS;
        throw new GanError('MISSING_IMPORT', `wasm import ${moduleName}.${name} is not provided by the loader (called with ${args.length} arguments)`);
      });
    } else if (value !== undefined) {
      imports[moduleName][name] = value;
    }
  }
  return imports;
}

/** Minimum and maximum pages of the module's imported memory (the threads build imports it). */
export function memoryImportLimits(bytes) {
  const u8 = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let p = 8;
  const leb = () => {
    let result = 0, shift = 0, byte;
    do { byte = u8[p++]; result |= (byte & 0x7f) << shift; shift += 7; } while (byte & 0x80);
    return result >>> 0;
  };
  while (p < u8.length) {
    const id = u8[p++];
    const size = leb();
    const end = p + size;
    if (id === 2) {
      for (let count = leb(); count > 0; count--) {
        for (let names = 0; names < 2; names++) { const length = leb(); p += length; } // module, field
        const kind = u8[p++];
        if (kind === 0) leb();
        else if (kind === 1) { p++; if (leb() & 1) leb(); leb(); }
        else if (kind === 2) {
          const flags = leb();
          const initial = leb();
          return { initial, maximum: flags & 1 ? leb() : undefined, shared: !!(flags & 2) };
        } else if (kind === 3) p += 2;
        else break;
      }
    }
    p = end;
  }
  return null;
}

/** Threads this engine can run, the training thread included (1 when it cannot share memory). */
export async function defaultThreads() {
  let cores = 1;
  if (isNode) {
    const os = await import('node:os');
    cores = os.availableParallelism?.() ?? os.cpus().length;
  } else {
    cores = globalThis.navigator?.hardwareConcurrency ?? 1;
  }
  return Math.max(1, Math.min(DEFAULT_MAX_THREADS, cores | 0));
}

/** Why this context cannot run the threads build, or null when it can. */
export function threadsUnavailableReason() {
  if (typeof SharedArrayBuffer !== 'function') {
    return isNode ? 'no SharedArrayBuffer' : 'no SharedArrayBuffer (the page is not cross-origin isolated: COOP/COEP headers)';
  }
  if (!isNode && globalThis.crossOriginIsolated !== true) return 'not cross-origin isolated (COOP/COEP headers)';
  // The training thread blocks while helpers finish; a page's main thread may not.
  if (!isNode && typeof window !== 'undefined') return "the page's main thread cannot wait for helpers (load the core in a worker)";
  if (!isNode && typeof Worker !== 'function') return 'no Worker in this context';
  return null;
}

function parseThreads(value) {
  if (value === undefined || value === null || value === 'auto') return 'auto';
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new GanError('BAD_OPTION', `loadGan: threads must be 'auto' or an integer >= 1, not ${JSON.stringify(value)}`);
  return n;
}

/**
 * Loads and instantiates the core.
 * @param {object} [options]
 * @param {'auto'|boolean} [options.simd='auto']  force the SIMD (true) or scalar (false) build
 * @param {'auto'|number} [options.threads='auto']  threads for the GEMMs, the calling one
 *   included ('auto': every core up to 8). More than 1 needs SIMD and SharedArrayBuffer;
 *   otherwise 1, silently (see gan.threadsNote)
 * @param {string|URL} [options.wasmBase]  folder holding gan-simd.wasm, gan-scalar.wasm
 *   and gan-simd-threads.wasm (default: ../wasm/ next to this file)
 * @param {WebAssembly.Module} [options.module]  an already compiled module (skips fetching; one thread)
 * @returns {Promise<Gan>}
 */
export async function loadGan(options = {}) {
  const threadsOption = parseThreads(options.threads);
  const simdOption = options.simd ?? 'auto';
  let simd;
  if (simdOption === 'auto') simd = await simdSupported();
  else if (simdOption === true || simdOption === 'true' || simdOption === 'simd') simd = true;
  else if (simdOption === false || simdOption === 'false' || simdOption === 'scalar') simd = false;
  else throw new GanError('BAD_OPTION', `loadGan: simd must be 'auto', true or false, not ${JSON.stringify(simdOption)}`);
  if (simd && simdOption !== 'auto' && !(await simdSupported())) {
    throw new GanError('NO_SIMD', 'this engine does not support WebAssembly SIMD; use the scalar build');
  }
  const threads = threadsOption === 'auto' ? await defaultThreads() : threadsOption;
  let threadsNote = null;
  if (threads > 1) {
    threadsNote = !simd ? 'the scalar build has no threads'
      : options.module ? 'a precompiled module was given'
        : threadsUnavailableReason();
    if (!threadsNote) {
      try {
        return await loadThreaded(options, threads);
      } catch (error) {
        threadsNote = `the threads build failed: ${error?.message ?? error}`;
      }
    }
  }
  const module = options.module ?? await compileModule(wasmUrl(options.wasmBase, simd));
  const state = { memory: null, importedMemory: options.memory };
  const instance = await WebAssembly.instantiate(module, buildImports(module, state));
  state.memory = instance.exports.memory ?? options.memory;
  if (instance.exports._initialize) instance.exports._initialize();
  const gan = new Gan(instance, state, simd, module);
  gan.threadsNote = threadsNote;
  return gan;
}

async function loadThreaded(options, threads) {
  const bytes = await fetchBytes(wasmUrl(options.wasmBase, THREADS_FILE));
  const limits = memoryImportLimits(bytes);
  if (!limits?.shared || limits.maximum === undefined) throw new Error(`${THREADS_FILE} does not import a shared memory`);
  const module = await WebAssembly.compile(bytes);
  const memory = new WebAssembly.Memory({ initial: limits.initial, maximum: limits.maximum, shared: true });
  const state = { memory, importedMemory: memory };
  const instance = await WebAssembly.instantiate(module, buildImports(module, state));
  if (instance.exports._initialize) instance.exports._initialize();
  const gan = new Gan(instance, state, true, module);
  gan._helpers = [];
  try {
    await gan.setThreads(threads);
  } catch (error) {
    gan.close();
    throw error;
  }
  return gan;
}

function spawnHelper(index) {
  const url = new URL('./gemm-thread.js', import.meta.url);
  if (isNode) {
    return import('node:worker_threads').then(({ Worker: NodeWorker }) => {
      // execArgv: [] as the parent's (e.g. --input-type) may not suit a worker file.
      return new NodeWorker(url, { name: `wasm-gan gemm ${index}`, execArgv: [] });
    });
  }
  // Workers start only from the context's own origin: from another one (a
  // CDN), start from a same-origin blob that imports the real file.
  const here = globalThis.location;
  if (here && url.origin !== new URL(here.href).origin) {
    const blobUrl = URL.createObjectURL(new Blob([`import ${JSON.stringify(url.href)};\n`], { type: 'text/javascript' }));
    const worker = new Worker(blobUrl, { type: 'module', name: `wasm-gan gemm ${index}` });
    setTimeout(() => URL.revokeObjectURL(blobUrl), 10_000);
    return Promise.resolve(worker);
  }
  return Promise.resolve(new Worker(url, { type: 'module', name: `wasm-gan gemm ${index}` }));
}

/** Starts helper `index` on the module and memory; resolves with its worker once it runs. */
async function startHelper(gan, index) {
  const stackTop = gan.exports.gan_thread_stack(index);
  if (!stackTop) throw new Error(`no stack for gemm thread ${index}`);
  const worker = await spawnHelper(index);
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`gemm thread ${index} did not start within ${THREAD_START_TIMEOUT_MS} ms`)), THREAD_START_TIMEOUT_MS);
      const onMessage = (message) => {
        clearTimeout(timer);
        if (message?.type === 'started') resolve();
        else reject(new Error(message?.message ?? `gemm thread ${index} failed`));
      };
      const onError = (error) => { clearTimeout(timer); reject(new Error(`gemm thread ${index}: ${error?.message ?? 'failed to start'}`)); };
      if (isNode) {
        worker.on('message', onMessage);
        worker.on('error', onError); // stays: an 'error' event without a listener would throw
        worker.unref(); // after the listeners, which would ref its port again: helpers never keep Node alive
      } else {
        worker.onmessage = (event) => onMessage(event.data);
        worker.onerror = (event) => { event.preventDefault?.(); onError(event); };
      }
      worker.postMessage({ module: gan.module, memory: gan.memory, index, stackTop });
    });
  } catch (error) {
    worker.terminate();
    throw error;
  }
  return worker;
}

/** The instantiated core: memory helpers, config helpers, free functions. */
export class Gan {
  constructor(instance, state, simd, module) {
    this.instance = instance;
    // The threads build imports its memory; put it among the exports too.
    this.exports = instance.exports.memory || !state.memory ? instance.exports
      : Object.freeze({ ...instance.exports, memory: state.memory });
    this.module = module;
    this.simd = simd;
    this.threads = 1;
    this.threadsNote = null; // why 1 thread when more were asked for
    this._helpers = null;    // threads build: helper workers by index (0: this thread)
    this._state = state;
    this._encoder = new TextEncoder();
    this._decoder = new TextDecoder();
  }

  get memory() { return this._state.memory; }

  /**
   * Threads build only: uses `count` threads (this one included) from now on,
   * starting or ending helper workers. Resolves with the count in use, which
   * is smaller if helpers could not start. Other builds stay at 1.
   */
  async setThreads(count) {
    if (!this._helpers) return this.threads;
    const max = this.exports.gan_threads_max();
    const want = Math.max(1, Math.min(max, Math.floor(Number(count)) || 1));
    if (!this.exports.gan_threads_set_count(want)) throw new GanError('GAN_ERR_OUT_OF_MEMORY', 'could not allocate the gemm threads\' stacks');
    for (let i = want; i < this._helpers.length; i++) this._helpers[i]?.terminate();
    this._helpers.length = Math.min(this._helpers.length, want);
    const starting = [];
    for (let i = 1; i < want; i++) {
      if (!this._helpers[i]) starting.push(startHelper(this, i).then((worker) => { this._helpers[i] = worker; }));
    }
    const failures = (await Promise.allSettled(starting)).filter((r) => r.status === 'rejected');
    // A helper marks itself ready right after saying 'started'; wait for that.
    const deadline = Date.now() + THREAD_START_TIMEOUT_MS;
    let ready = 1;
    while ((ready = this.exports.gan_threads_count()) < want && !failures.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    if (ready < want) {
      // Keep helpers 1..ready-1, which the pool uses; end the others.
      this.exports.gan_threads_set_count(ready);
      for (let i = ready; i < this._helpers.length; i++) this._helpers[i]?.terminate();
      this._helpers.length = Math.min(this._helpers.length, ready);
      this.threadsNote = failures.length ? failures[0].reason.message : `only ${ready} of ${want} threads started`;
    }
    this.threads = this.exports.gan_threads_count();
    return this.threads;
  }

  /** Ends the helper workers (threads build); the core keeps working on one thread. */
  close() {
    if (!this._helpers) return;
    this.exports.gan_threads_set_count(1);
    for (const worker of this._helpers) worker?.terminate();
    this._helpers = [];
    this.threads = 1;
  }

  /** Fresh views of the whole memory (call again after anything that may allocate). */
  heap() {
    const buffer = this._state.memory.buffer;
    if (this._heapBuffer !== buffer) {
      this._heapBuffer = buffer;
      this._heap = {
        u8: new Uint8Array(buffer), u32: new Uint32Array(buffer),
        f32: new Float32Array(buffer), f64: new Float64Array(buffer),
      };
    }
    return this._heap;
  }

  statusName(status) { return STATUS_NAMES[status] ?? `GAN_STATUS_${status}`; }

  statusString(status) { return this.readCString(this.exports.gan_status_string(status)); }

  /** Throws a GanError for a non-zero status, with `what` as context. */
  check(status, what) {
    if (status !== 0) throw new GanError(this.statusName(status), `${what}: ${this.statusString(status)}`, status);
  }

  alloc(bytes) {
    const pointer = this.exports.gan_alloc(Math.max(1, bytes));
    if (!pointer) throw new GanError('GAN_ERR_OUT_OF_MEMORY', `could not allocate ${bytes} bytes in wasm memory`);
    return pointer;
  }

  release(pointer) { if (pointer) this.exports.gan_release(pointer); }

  /** Runs fn(pointers...) with temporary buffers of the given byte sizes, always released. */
  withBuffers(sizes, fn) {
    const pointers = [];
    try {
      for (const size of sizes) pointers.push(this.alloc(size));
      return fn(...pointers);
    } finally {
      for (const pointer of pointers) this.release(pointer);
    }
  }

  /** Copies a typed array into a fresh wasm allocation; returns the pointer. */
  copyIn(array) {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    const pointer = this.alloc(bytes.length);
    this.heap().u8.set(bytes, pointer);
    return pointer;
  }

  readCString(pointer) {
    const u8 = this.heap().u8;
    let end = pointer;
    while (u8[end] !== 0) end++;
    // slice(): browsers' TextDecoder refuses views of a SharedArrayBuffer.
    return this._decoder.decode(u8.slice(pointer, end));
  }

  cString(text) {
    const bytes = this._encoder.encode(String(text));
    const pointer = this.alloc(bytes.length + 1);
    const u8 = this.heap().u8;
    u8.set(bytes, pointer);
    u8[pointer + bytes.length] = 0;
    return pointer;
  }

  /** The core's description of itself (gan_describe): keys, ranges, statuses, sizes. */
  describe() {
    if (!this._description) {
      this._description = this.withBuffers([4], (lengthPointer) => {
        this.exports.gan_describe(0, 0, lengthPointer);
        const length = this.heap().u32[lengthPointer >> 2];
        return this.withBuffers([length + 1], (buffer) => {
          this.check(this.exports.gan_describe(buffer, length + 1, lengthPointer), 'gan_describe');
          return JSON.parse(this.readCString(buffer));
        });
      });
    }
    return this._description;
  }

  /** Every key gan_config_set accepts for the layer-independent fields. */
  configKeys() {
    return this.describe().keys.map((entry) => entry.key);
  }

  /** Fills a config struct in wasm memory from a preset plus overrides; returns its pointer. */
  _configPointer(preset, overrides = {}, seed) {
    const pointer = this.alloc(CONFIG_BYTES);
    try {
      const name = this.cString(preset);
      const status = this.exports.gan_preset(name, pointer);
      this.release(name);
      if (status !== 0) throw new GanError('GAN_ERR_INVALID_ARGUMENT', `unknown preset ${JSON.stringify(preset)} (use small, paper or toy)`, status);
      const entries = Object.entries(overrides ?? {});
      if (seed !== undefined && seed !== null) entries.push(['seed', seed]);
      for (const [key, value] of entries) this._set(pointer, key, value);
      return pointer;
    } catch (error) {
      this.release(pointer);
      throw error;
    }
  }

  _set(configPointer, key, value) {
    const keyPointer = this.cString(key);
    const valuePointer = this.cString(typeof value === 'boolean' ? (value ? '1' : '0') : value);
    const status = this.exports.gan_config_set(configPointer, keyPointer, valuePointer);
    this.release(keyPointer);
    this.release(valuePointer);
    if (status !== 0) {
      const why = status === 1 ? ' (an unknown key, or a value of the wrong form or out of range)' : '';
      throw new GanError(this.statusName(status), `config ${key}=${JSON.stringify(String(value))}: ${this.statusString(status)}${why}`, status);
    }
  }

  _get(configPointer, key) {
    return this.withBuffers([TEXT_BYTES], (buffer) => {
      const keyPointer = this.cString(key);
      const status = this.exports.gan_config_get(configPointer, keyPointer, buffer, TEXT_BYTES);
      this.release(keyPointer);
      return status === 0 ? this.readCString(buffer) : undefined;
    });
  }

  /** Plain object {key: text} of every field, layer fields included. */
  _configObject(configPointer) {
    const config = {};
    for (const key of this.configKeys()) {
      const value = this._get(configPointer, key);
      if (value !== undefined) config[key] = value;
    }
    for (const net of ['g', 'd']) {
      const count = Number(config[`${net}.layer_count`] ?? this._get(configPointer, `${net}.layer_count`) ?? 0);
      for (let i = 0; i < count; i++) {
        for (const { key: field } of this.describe().layer_fields) {
          const key = `${net}.layers.${i}.${field}`;
          if (key in config) continue;
          const value = this._get(configPointer, key);
          if (value !== undefined) config[key] = value;
        }
      }
    }
    return config;
  }

  _configJson(configPointer) {
    return this.withBuffers([4], (lengthPointer) => {
      this.exports.gan_config_to_json(configPointer, 0, 0, lengthPointer);
      const length = this.heap().u32[lengthPointer >> 2];
      return this.withBuffers([length + 1], (buffer) => {
        this.check(this.exports.gan_config_to_json(configPointer, buffer, length + 1, lengthPointer), 'gan_config_to_json');
        return JSON.parse(this.readCString(buffer));
      });
    });
  }

  /** The configuration a preset plus overrides gives, validated, as {key: text}. */
  presetConfig(preset, overrides = {}, seed) {
    const pointer = this._configPointer(preset, overrides, seed);
    try {
      this.check(this.exports.gan_config_validate(pointer), 'invalid configuration');
      return this._configObject(pointer);
    } finally {
      this.release(pointer);
    }
  }

  /** Creates a model from a preset, overrides {key: value} and an optional seed. */
  create(preset, overrides = {}, seed) {
    const pointer = this._configPointer(preset, overrides, seed);
    try {
      return this.withBuffers([4], (out) => {
        this.check(this.exports.gan_create(pointer, out), `gan_create(${preset})`);
        return new GanModel(this, this.heap().u32[out >> 2]);
      });
    } finally {
      this.release(pointer);
    }
  }

  /** Creates a model of whatever architecture a checkpoint holds. */
  createFromCheckpoint(bytes) {
    const data = this.copyIn(bytes);
    try {
      return this.withBuffers([4], (out) => {
        this.check(this.exports.gan_create_from_checkpoint(data, bytes.length, out), 'checkpoint');
        return new GanModel(this, this.heap().u32[out >> 2]);
      });
    } finally {
      this.release(data);
    }
  }

  /** `steps` points from z0 to z1 inclusive, linear or spherical. */
  interpolate(z0, z1, steps, spherical = false) {
    if (z0.length !== z1.length) throw new GanError('BAD_REQUEST', `interpolate: z0 has ${z0.length} values, z1 ${z1.length}`);
    const dim = z0.length;
    return this.withBuffers([dim * 4, dim * 4, steps * dim * 4], (a, b, out) => {
      const f32 = this.heap().f32;
      f32.set(z0, a >> 2);
      f32.set(z1, b >> 2);
      this.check(this.exports.gan_interpolate(a, b, dim, steps, spherical ? 1 : 0, out), 'gan_interpolate');
      return this.heap().f32.slice(out >> 2, (out >> 2) + steps * dim);
    });
  }

  /** log p(x) of each point under Parzen windows of width sigma on the samples. */
  parzenLogDensity(samples, nSamples, points, nPoints, dim, sigma) {
    const s = this.copyIn(samples);
    try {
      const p = this.copyIn(points);
      try {
        return this.withBuffers([nPoints * 8], (out) => {
          this.check(this.exports.gan_parzen_log_density(s, nSamples, p, nPoints, dim, sigma, out), 'gan_parzen_log_density');
          return this.heap().f64.slice(out >> 3, (out >> 3) + nPoints);
        });
      } finally { this.release(p); }
    } finally { this.release(s); }
  }

  /**
   * The paper's Parzen protocol. Inputs are Float32Arrays of n x dim (floats
   * in [0,1]) or Uint8Arrays of pixels (converted to value/255).
   * @returns {{sigma, mean, std_error, sigmas: number[], validation_mean: number[]}}
   */
  parzenEvaluate(samples, nSamples, validation, nValidation, test, nTest, dim) {
    const toFloat = (a) => (a instanceof Float32Array ? a : Float32Array.from(a, (v) => v / 255));
    const pointers = [];
    try {
      for (const array of [samples, validation, test]) pointers.push(this.copyIn(toFloat(array)));
      const doubles = 3 + 2 * PARZEN_SIGMA_COUNT;
      return this.withBuffers([doubles * 8], (out) => {
        this.check(this.exports.gan_parzen_evaluate(pointers[0], nSamples, pointers[1], nValidation,
          pointers[2], nTest, dim, out), 'gan_parzen_evaluate');
        const r = this.heap().f64.slice(out >> 3, (out >> 3) + doubles);
        return {
          sigma: r[0], mean: r[1], std_error: r[2],
          sigmas: Array.from(r.subarray(3, 3 + PARZEN_SIGMA_COUNT)),
          validation_mean: Array.from(r.subarray(3 + PARZEN_SIGMA_COUNT)),
        };
      });
    } finally {
      for (const pointer of pointers) this.release(pointer);
    }
  }
}

/** One model (a gan* in wasm memory) and the buffers it owns on the JS side. */
export class GanModel {
  constructor(gan, pointer) {
    this.gan = gan;
    this.pointer = pointer;
    // the stats struct, then gan_train_part's `done` flag
    this._statsPointer = gan.alloc(STATS_FIELDS.length * 8 + 8);
    this._donePointer = this._statsPointer + STATS_FIELDS.length * 8;
    this._dataPointer = 0;
    this.dataCount = 0;
    const config = this.config();
    this.noiseDim = Number(config.noise_dim);
    this.dataDim = Number(config.data_dim);
    this.batchSize = Number(config.batch_size);
    this.dSteps = Number(config.d_steps);
  }

  _alive() {
    if (!this.pointer) throw new GanError('FREED', 'this model was freed');
    return this.pointer;
  }

  /** {key: text} of every configuration field. */
  config() { return this.gan._configObject(this.gan.exports.gan_get_config(this._alive())); }

  /** The configuration as the JSON object stored in checkpoints. */
  configJson() { return this.gan._configJson(this.gan.exports.gan_get_config(this._alive())); }

  /** Number of parameters of G and D. */
  parameterCount() {
    return this.parametersInfo(GENERATOR).count + this.parametersInfo(DISCRIMINATOR).count;
  }

  parametersInfo(network) {
    return this.gan.withBuffers([4, 4], (paramsOut, countOut) => {
      this.gan.check(this.gan.exports.gan_parameters(this._alive(), network, paramsOut, countOut), 'gan_parameters');
      const u32 = this.gan.heap().u32;
      return { pointer: u32[paramsOut >> 2], count: u32[countOut >> 2] };
    });
  }

  /**
   * A zero-copy Float32Array over G's (0) or D's (1) whole parameter block.
   * Valid until the next call that may grow memory; re-take it after.
   */
  parameters(network = GENERATOR) {
    const { pointer, count } = this.parametersInfo(network);
    return new Float32Array(this.gan.memory.buffer, pointer, count);
  }

  /** Copies count images of dataDim u8 pixels into wasm memory and attaches them. */
  attachData(pixels, count = pixels.length / this.dataDim) {
    return this._attach(pixels, count, false);
  }

  /** Same with float pixels (used by the toy preset's 1-D data). */
  attachDataF32(values, count = values.length / this.dataDim) {
    return this._attach(values, count, true);
  }

  /**
   * Attaches data already in wasm memory (from gan.copyIn), borrowed: the
   * caller keeps it alive and releases it, so several models can share one
   * copy of the data set.
   */
  attachDataAt(pointer, count, { float = false } = {}) {
    const status = float
      ? this.gan.exports.gan_attach_data_f32(this._alive(), pointer, count)
      : this.gan.exports.gan_attach_data(this._alive(), pointer, count);
    this.gan.check(status, 'gan_attach_data');
    this.gan.release(this._dataPointer);
    this._dataPointer = 0;
    this.dataCount = count;
  }

  _attach(array, count, float) {
    if (!Number.isInteger(count) || count <= 0 || array.length !== count * this.dataDim) {
      throw new GanError('BAD_REQUEST', `data: ${array.length} values is not a whole number of ${this.dataDim}-value examples (count ${count})`);
    }
    const pointer = this.gan.copyIn(array);
    const status = float
      ? this.gan.exports.gan_attach_data_f32(this._alive(), pointer, count)
      : this.gan.exports.gan_attach_data(this._alive(), pointer, count);
    if (status !== 0) {
      this.gan.release(pointer);
      this.gan.check(status, 'gan_attach_data');
    }
    this.gan.release(this._dataPointer);
    this._dataPointer = pointer;
    this.dataCount = count;
    return count;
  }

  initGeneratorBias() {
    this.gan.check(this.gan.exports.gan_init_generator_bias(this._alive()), 'gan_init_generator_bias');
  }

  _readStats() {
    const f64 = this.gan.heap().f64;
    const base = this._statsPointer >> 3;
    const stats = {};
    STATS_FIELDS.forEach((field, i) => { stats[field] = f64[base + i]; });
    return stats;
  }

  /**
   * Runs `steps` iterations on the attached data. Returns the last step's
   * stats plus `status` ('GAN_OK', or 'GAN_ERR_NON_FINITE' when a step was
   * rolled back and training stopped there). Other errors throw.
   */
  train(steps = 1) {
    const status = this.gan.exports.gan_train(this._alive(), steps, this._statsPointer);
    if (status !== 0 && status !== 4) this.gan.check(status, 'gan_train');
    return { ...this._readStats(), status: this.gan.statusName(status) };
  }

  /**
   * Runs the next part of an iteration on the attached data (gan_train_part:
   * two parts per D-update, two for the G-update). Returns null while the
   * iteration is unfinished; when this part ended it, the iteration's stats
   * plus `status`, as train(). Parts give the same bits as train().
   */
  trainPart() {
    const status = this.gan.exports.gan_train_part(this._alive(), this._statsPointer, this._donePointer);
    if (status !== 0 && status !== 4) this.gan.check(status, 'gan_train_part');
    if (this.gan.heap().u32[this._donePointer >> 2] !== 1) return null;
    return { ...this._readStats(), status: this.gan.statusName(status) };
  }

  /** Ends the iteration trainPart began, if any: its stats, or null if there was none. */
  finishIteration() {
    if (!this.inProgress) return null;
    const status = this.gan.exports.gan_train_finish(this._alive(), this._statsPointer);
    if (status !== 0 && status !== 4) this.gan.check(status, 'gan_train_finish');
    return { ...this._readStats(), status: this.gan.statusName(status) };
  }

  /** Whether an iteration begun by trainPart is unfinished (sampling and saving wait for it). */
  get inProgress() { return this.gan.exports.gan_train_in_progress(this._alive()) === 1; }

  /** One iteration on caller-provided real batches (d_steps * batch_size rows). */
  trainStep(real) {
    const pointer = this.gan.copyIn(real);
    try {
      const status = this.gan.exports.gan_train_step(this._alive(), pointer, this._statsPointer);
      if (status !== 0 && status !== 4) this.gan.check(status, 'gan_train_step');
      return { ...this._readStats(), status: this.gan.statusName(status) };
    } finally {
      this.gan.release(pointer);
    }
  }

  /** n noise vectors from the prior, from `seed` alone (training PRNG untouched). */
  sampleNoise(seed, n) {
    const size = n * this.noiseDim;
    return this.gan.withBuffers([size * 4], (out) => {
      this.gan.check(this.gan.exports.gan_sample_noise(this._alive(), BigInt.asUintN(64, BigInt(seed)), n, out), 'gan_sample_noise');
      return this.gan.heap().f32.slice(out >> 2, (out >> 2) + size);
    });
  }

  /** G(z) for n noise vectors: n * dataDim floats. */
  generate(z, n = z.length / this.noiseDim) {
    if (!Number.isInteger(n) || z.length !== n * this.noiseDim) {
      throw new GanError('BAD_REQUEST', `generate: z has ${z.length} values, not a multiple of noise_dim ${this.noiseDim}`);
    }
    const size = n * this.dataDim;
    return this.gan.withBuffers([z.length * 4, size * 4], (input, out) => {
      this.gan.heap().f32.set(z, input >> 2);
      this.gan.check(this.gan.exports.gan_generate(this._alive(), input, n, out), 'gan_generate');
      return this.gan.heap().f32.slice(out >> 2, (out >> 2) + size);
    });
  }

  /** D(x) as probabilities (dropout off) for n inputs of dataDim floats. */
  discriminate(x, n = x.length / this.dataDim) {
    if (!Number.isInteger(n) || x.length !== n * this.dataDim) {
      throw new GanError('BAD_REQUEST', `discriminate: x has ${x.length} values, not a multiple of data_dim ${this.dataDim}`);
    }
    return this.gan.withBuffers([x.length * 4, n * 4], (input, out) => {
      this.gan.heap().f32.set(x, input >> 2);
      this.gan.check(this.gan.exports.gan_discriminate(this._alive(), input, n, out), 'gan_discriminate');
      return this.gan.heap().f32.slice(out >> 2, (out >> 2) + n);
    });
  }

  /** The complete training state as safetensors bytes (a copy). */
  checkpointSave() {
    const size = this.gan.withBuffers([4], (sizeOut) => {
      this.gan.check(this.gan.exports.gan_checkpoint_size(this._alive(), sizeOut), 'gan_checkpoint_size');
      return this.gan.heap().u32[sizeOut >> 2];
    });
    return this.gan.withBuffers([size, 4], (buffer, sizeOut) => {
      this.gan.check(this.gan.exports.gan_checkpoint_save(this._alive(), buffer, size, sizeOut), 'gan_checkpoint_save');
      const written = this.gan.heap().u32[sizeOut >> 2];
      return this.gan.heap().u8.slice(buffer, buffer + written);
    });
  }

  /** Loads a checkpoint of the same architecture; on error throws and the model is unchanged. */
  checkpointLoad(bytes) {
    const pointer = this.gan.copyIn(bytes);
    try {
      this.gan.check(this.gan.exports.gan_checkpoint_load(this._alive(), pointer, bytes.length), 'checkpoint');
    } finally {
      this.gan.release(pointer);
    }
  }

  free() {
    if (!this.pointer) return;
    this.gan.exports.gan_free(this.pointer);
    this.gan.release(this._statsPointer);
    this.gan.release(this._dataPointer);
    this.pointer = 0;
    this._statsPointer = 0;
    this._donePointer = 0;
    this._dataPointer = 0;
  }
}
