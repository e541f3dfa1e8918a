// Everything that differs between Node and browsers, in one place: which of
// the two this is, what the engine can do (SIMD, shared memory, cores),
// reading files and compiling wasm, the imports a standalone Emscripten
// module needs (a small WASI shim), and starting and talking to workers.
// Every other runtime module is the same code in both.

import { GanError } from './errors.js';

/** True under Node (main thread or worker_threads), false in browsers and their workers. */
export const isNode = typeof process !== 'undefined' && !!process.versions?.node &&
  typeof window === 'undefined' && typeof importScripts === 'undefined';

// Node's modules, once; browsers never reach the import.
const node = isNode ? await (async () => {
  const [workers, url, fs, os, v8] = await Promise.all([
    import('node:worker_threads'), import('node:url'), import('node:fs/promises'), import('node:os'), import('node:v8'),
  ]);
  return { workers, url, fs, os, v8 };
})() : null;

// Node (20 at least) takes a worker's isolate off its platform before it
// disposes of it. A TurboFan job still compiling that worker's JavaScript on
// a background thread then asks the platform for the isolate and aborts the
// whole process ("NodePlatform::ForIsolate ... Assertion failed", from
// OptimizingCompileDispatcher::CompileTask); v8/node#208 reorders the two
// calls. A CI run died of it, and 1 of 6 Node processes that started and
// ended 300 trainers did. Without concurrent recompilation TurboFan compiles
// on the isolate's own thread, so no job outlives it. The flag is
// process-wide and read when an isolate is created: set before any worker.
let workersSafe = false;
function makeWorkerEndsSafe() {
  if (workersSafe) return;
  node.v8.setFlagsFromString('--no-concurrent-recompilation');
  workersSafe = true;
}

// --- what the engine can do --------------------------------------------------

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

/** The engine's cores, the calling thread included. */
export function coreCount() {
  const cores = isNode
    ? node.os.availableParallelism?.() ?? node.os.cpus().length
    : globalThis.navigator?.hardwareConcurrency ?? 1;
  return Math.max(1, cores | 0);
}

/**
 * Why this context cannot run helper workers on a shared memory, or null when
 * it can. Decided by what the engine does, not by the names of its globals
 * (WebKit on a cross-origin isolated page has no global `SharedArrayBuffer`,
 * yet creates shared memories): it creates a shared WebAssembly.Memory, sends
 * it through a MessageChannel as it would to a helper, and waits on it. Call
 * it where the core will run (the training worker): waiting is allowed in
 * workers, not on a page's main thread.
 */
export function threadsUnavailableReason() {
  // Browsers let only cross-origin isolated pages send a shared memory to a
  // worker (some create one anyway), so this comes first and is the reason.
  if (!isNode && globalThis.crossOriginIsolated !== true) return 'not cross-origin isolated (no COOP/COEP headers)';
  let memory;
  try {
    memory = new WebAssembly.Memory({ initial: 1, maximum: 1, shared: true });
  } catch {
    memory = null;
  }
  if (!memory || memory.buffer instanceof ArrayBuffer) return 'this engine cannot create a shared WebAssembly.Memory';
  // WebKitGTK 2.50 on an isolated page creates one but cannot send it (nor
  // its buffer) to any worker: DataCloneError. The helpers need that memory.
  try {
    const channel = new MessageChannel();
    try {
      channel.port1.postMessage(memory);
    } finally {
      channel.port1.close();
      channel.port2.close();
    }
  } catch {
    return 'this engine cannot send a shared WebAssembly.Memory to a worker';
  }
  if (typeof globalThis.Atomics?.wait !== 'function') return 'no Atomics.wait';
  try {
    // The value is not 1, so a context that may wait returns at once.
    Atomics.wait(new Int32Array(memory.buffer), 0, 1, 0);
  } catch {
    // The training thread blocks while helpers finish; a page's main thread may not.
    return typeof window !== 'undefined'
      ? "the page's main thread cannot wait for helper threads (load the core in a worker)"
      : 'this context cannot wait (Atomics.wait)';
  }
  if (!isNode && typeof Worker !== 'function') return 'no Worker in this context (helper threads start as workers)';
  return null;
}

// --- files -------------------------------------------------------------------

/** An absolute URL: relative ones against the page (browsers) or the working directory (Node). */
export function resolveUrl(url) {
  if (url instanceof URL) return url;
  const base = isNode ? node.url.pathToFileURL(`${process.cwd()}/`) : globalThis.location?.href;
  return new URL(String(url), base);
}

/** `file` inside the folder `base` (a trailing slash is added when missing). */
export function fileInFolder(base, file) {
  const text = String(resolveUrl(base));
  return new URL(file, text.endsWith('/') ? text : `${text}/`);
}

const readsLocally = (url) => isNode || url.protocol === 'file:';

async function readLocal(url) {
  try {
    return await node.fs.readFile(url);
  } catch (error) {
    throw new GanError('LOAD_FAILED', error.code === 'ENOENT'
      ? `${url.pathname ?? url}: not found; build the wasm modules first (npm run build)`
      : `${url.pathname ?? url}: ${error.message}`);
  }
}

async function fetchOk(url) {
  const response = await fetch(url);
  if (!response.ok) throw new GanError('LOAD_FAILED', `${url}: HTTP ${response.status}`);
  return response;
}

/** The bytes of a file (Node, file: URLs) or of an HTTP response. */
export async function fetchBytes(url) {
  if (readsLocally(url)) return readLocal(url);
  return new Uint8Array(await (await fetchOk(url)).arrayBuffer());
}

export async function fetchJson(url) {
  const text = readsLocally(url) ? new TextDecoder().decode(await readLocal(url)) : await (await fetchOk(url)).text();
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new GanError('LOAD_FAILED', `${url}: ${error.message}`);
  }
}

/** Compiles a wasm file, streaming over HTTP when the server sends application/wasm. */
export async function compileModule(url) {
  if (readsLocally(url)) return WebAssembly.compile(await readLocal(url));
  const response = await fetchOk(url);
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

// --- the imports of a standalone module ----------------------------------------

/**
 * Import object for a standalone Emscripten module: the WASI calls and the
 * few env hooks it may import, on the memory `memory()` returns (the
 * module's own, known only after instantiation, or the shared one it
 * imports, given as `imported`). Built from WebAssembly.Module.imports(), so
 * an import nobody provided still links, and throws by name if ever called.
 */
export function wasmImports(module, memory, imported = null) {
  const WASI_EBADF = 8;
  const WASI_ENOSYS = 52;
  const view = () => new DataView(memory().buffer);
  const decoder = new TextDecoder();
  const provided = {
    wasi_snapshot_preview1: {
      fd_write(fd, iovs, iovsLength, writtenPtr) {
        const dv = view();
        let written = 0;
        let text = '';
        for (let i = 0; i < iovsLength; i++) {
          const ptr = dv.getUint32(iovs + 8 * i, true);
          const len = dv.getUint32(iovs + 8 * i + 4, true);
          text += decoder.decode(new Uint8Array(memory().buffer, ptr, len).slice());
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
        new Uint8Array(memory().buffer).set(bytes, ptr);
        return 0;
      },
      sched_yield: () => 0,
    },
    env: {
      // Views are re-created lazily from memory.buffer; nothing to do here.
      emscripten_notify_memory_growth() {},
      emscripten_memcpy_big(dest, src, count) {
        new Uint8Array(memory().buffer).copyWithin(dest, src, src + count);
        return dest;
      },
      emscripten_resize_heap(requested) {
        const pages = Math.ceil((requested - memory().buffer.byteLength) / 65536);
        try { memory().grow(pages); return 1; } catch { return 0; }
      },
    },
  };
  const imports = {};
  for (const { module: moduleName, name, kind } of WebAssembly.Module.imports(module)) {
    imports[moduleName] ??= {};
    if (kind === 'memory' && imported) { imports[moduleName][name] = imported; continue; }
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

// --- workers -------------------------------------------------------------------

/**
 * Starts a module worker from any URL: a worker_threads Worker under Node, a
 * module Web Worker in browsers. Browsers only run workers from the
 * context's own origin, so for a script elsewhere (a CDN serving
 * gan-trainer.js) the worker starts from a same-origin blob whose only line
 * imports the real file; that file's import.meta.url stays its real URL, so
 * its own relative imports and fetches resolve as usual.
 * @param {string|URL} url
 * @param {{name?: string}} [options]
 */
export function startWorker(url, { name } = {}) {
  const absolute = resolveUrl(url);
  if (isNode) {
    makeWorkerEndsSafe();
    // execArgv: [] as the parent's (e.g. --input-type, --inspect) may not suit a worker file.
    return new node.workers.Worker(absolute, { name, execArgv: [] });
  }
  const here = globalThis.location;
  if (!here || absolute.origin === new URL(here.href).origin) return new Worker(absolute, { type: 'module', name });
  const blobUrl = URL.createObjectURL(new Blob([`import ${JSON.stringify(absolute.href)};\n`], { type: 'text/javascript' }));
  const worker = new Worker(blobUrl, { type: 'module', name });
  // The worker has fetched the blob once it runs; revoking later is safe.
  setTimeout(() => URL.revokeObjectURL(blobUrl), 10_000);
  return worker;
}

/**
 * Listens to a worker from either world: `message(data)` for each message,
 * `failure(error)` when it fails or exits on its own (Node) or a message
 * cannot be read. `keepAlive: false` (Node) lets the process exit while the
 * worker runs.
 */
export function listenToWorker(worker, { message, failure = () => {}, keepAlive = true }) {
  if (typeof worker.on === 'function') {
    worker.on('message', message);
    worker.on('error', failure); // stays: an 'error' event without a listener would throw
    worker.on('messageerror', () => failure(new Error('a worker message could not be deserialised')));
    worker.on('exit', (code) => failure(new Error(`worker exited with code ${code}`)));
    if (!keepAlive) worker.unref(); // after the listeners, which would ref its port again
  } else {
    worker.onmessage = (event) => message(event.data);
    worker.onerror = (event) => { event.preventDefault?.(); failure(new Error(event.message || 'worker failed')); };
    worker.onmessageerror = () => failure(new Error('a worker message could not be deserialised'));
  }
}

/**
 * Inside a worker: calls `onMessage(data)` for each message from the parent
 * and returns post(message, transfer). Installed synchronously, so no early
 * message is missed.
 */
export function connectToParent(onMessage) {
  if (isNode) {
    const port = node.workers.parentPort;
    port.on('message', onMessage);
    return (message, transfer = []) => port.postMessage(message, transfer);
  }
  self.onmessage = (event) => onMessage(event.data);
  return (message, transfer = []) => self.postMessage(message, transfer);
}

/**
 * Runs `callback` soon, after messages that already arrived. Browsers: a
 * MessageChannel tick (setTimeout is clamped). Node: setImmediate, which runs
 * after pending I/O; a MessagePort there drains its own queue first and
 * would starve parentPort.
 */
export const afterPendingMessages = typeof setImmediate === 'function'
  ? (callback) => setImmediate(callback)
  : (() => {
    const channel = new MessageChannel();
    const callbacks = [];
    channel.port1.onmessage = () => callbacks.shift()?.();
    return (callback) => { callbacks.push(callback); channel.port2.postMessage(null); };
  })();
