// GanClient: promises over the training worker (web/runtime/worker.js) and its
// message protocol (PROTOCOL.md). The page, the embed and the CLI use it; in
// browsers it starts a module Web Worker, in Node a worker_threads Worker.
//
//   const client = await GanClient.create();        // starts the worker, loads wasm
//   client.on('stats', (s) => draw(s));
//   await client.configure('small', { d_steps: 1 }, 42);
//   await client.setData(pixels, 50000, 784);
//   await client.start();                            // runs until pause()
//   const { images } = await client.sample({ seed: 1, count: 64 });
//   client.terminate();

const isNode = typeof process !== 'undefined' && !!process.versions?.node &&
  typeof window === 'undefined' && typeof importScripts === 'undefined';

export class WorkerError extends Error {
  constructor({ code, message }) {
    super(message);
    this.name = 'WorkerError';
    this.code = code;
  }
}

export class GanClient {
  /**
   * Starts a worker and initialises the core in it.
   * @param {object} [options]
   * @param {'auto'|boolean} [options.simd='auto']
   * @param {'auto'|number} [options.threads='auto']  GEMM threads (loader.js: more than 1
   *   needs SharedArrayBuffer; falls back to 1). `client.threads` is the count in use
   * @param {string|URL} [options.wasmBase]  folder of the .wasm files (default ../wasm/ beside worker.js)
   * @param {string|URL} [options.workerUrl] default: worker.js beside this file
   */
  static async create(options = {}) {
    const url = options.workerUrl ?? new URL('./worker.js', import.meta.url);
    let worker;
    if (isNode) {
      const { Worker } = await import('node:worker_threads');
      worker = new Worker(url instanceof URL ? url : new URL(url, `file://${process.cwd()}/`));
    } else {
      worker = new Worker(url, { type: 'module' });
    }
    const client = new GanClient(worker);
    try {
      const ready = await client.request('init', { simd: options.simd ?? 'auto', threads: options.threads ?? 'auto', wasmBase: options.wasmBase && String(options.wasmBase) });
      client.simd = ready.simd;
      client.threads = ready.threads;
      client.threadsNote = ready.threadsNote ?? null;
    } catch (error) {
      client.terminate();
      throw error;
    }
    return client;
  }

  /** Wraps an already started worker (browser Worker or worker_threads Worker). */
  constructor(worker) {
    this.worker = worker;
    this.nextId = 1;
    this.pending = new Map();
    this.listeners = new Map();
    this.terminated = false;
    const onMessage = (message) => this._receive(message);
    const onFailure = (error) => this._fail(error);
    if (typeof worker.on === 'function') {
      worker.on('message', onMessage);
      worker.on('error', onFailure);
      worker.on('exit', (code) => { if (!this.terminated) this._fail(new Error(`worker exited with code ${code}`)); });
    } else {
      worker.onmessage = (event) => onMessage(event.data);
      worker.onerror = (event) => { event.preventDefault?.(); onFailure(new Error(event.message || 'worker failed')); };
      worker.onmessageerror = () => onFailure(new Error('a worker message could not be deserialised'));
    }
  }

  /** Listens to 'stats', 'state', 'error' (unsolicited, e.g. GAN_ERR_NON_FINITE) or any message type. Returns an unsubscribe function. */
  on(type, listener) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(listener);
    return () => this.off(type, listener);
  }

  off(type, listener) { this.listeners.get(type)?.delete(listener); }

  _emit(type, message) {
    for (const listener of this.listeners.get(type) ?? []) listener(message);
  }

  _receive(message) {
    const entry = message.id !== undefined ? this.pending.get(message.id) : undefined;
    if (entry) {
      this.pending.delete(message.id);
      if (message.type === 'error') entry.reject(new WorkerError(message));
      else entry.resolve(message);
    }
    // Stats and state changes also go to the listeners, answers or not;
    // errors only when nobody asked (non-finite steps, failures in a slice).
    if (message.type !== 'error' || !entry) this._emit(message.type, message);
  }

  _fail(error) {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
    this._emit('failure', error);
  }

  /** Sends a request and resolves with its answer (rejects with WorkerError on `error`). */
  request(type, fields = {}, transfer = []) {
    if (this.terminated) return Promise.reject(new Error('the worker was terminated'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...fields, type, id }, transfer);
    });
  }

  configure(preset, overrides = {}, seed) { return this.request('configure', { preset, overrides, seed }); }

  /** Sends u8 training images (count x dim). The array is copied unless transfer is true. */
  setData(images, count, dim = 784, { transfer = false } = {}) {
    const bytes = transfer ? images : images.slice();
    return this.request('data', { images: bytes, count, dim }, [bytes.buffer]);
  }

  /** Runs until pause(), or until step `until` when given (then a state {running:false, reason:'until'} event). */
  start(until) { return this.request('start', until === undefined ? {} : { until }); }

  pause() { return this.request('pause'); }

  step(count = 1) { return this.request('step', { count }); }

  reset() { return this.request('reset'); }

  /** {z} or {seed, count}; resolves with {images: Float32Array, count, z}. */
  sample(options) { return this.request('sample', options); }

  interpolate(z0, z1, steps, spherical = false) { return this.request('interpolate', { z0, z1, steps, spherical }); }

  discriminate(x) { return this.request('discriminate', { x }); }

  noise(seed, count) { return this.request('noise', { seed, count }); }

  /** Resolves with {bytes: Uint8Array, step}. */
  save() { return this.request('save'); }

  load(bytes) {
    const copy = bytes.slice();
    return this.request('load', { bytes: copy }, [copy.buffer]);
  }

  evaluate({ samples = 10000, validation, test, seed = 0 }) {
    return this.request('evaluate', { samples, validation, test, seed });
  }

  /** Resolves when `predicate(message)` holds for a message of `type`. */
  waitFor(type, predicate = () => true) {
    return new Promise((resolve) => {
      const off = this.on(type, (message) => {
        if (predicate(message)) { off(); resolve(message); }
      });
    });
  }

  terminate() {
    if (this.terminated) return;
    this.terminated = true;
    this._fail(new Error('the worker was terminated'));
    this.worker.terminate();
  }
}
