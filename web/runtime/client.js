// GanClient: promises over the training worker (web/runtime/worker.js) and its
// message protocol (PROTOCOL.md). The page, the embed and the CLI use it; it
// starts a module Web Worker in browsers (from any origin) and a
// worker_threads Worker under Node.
//
//   const client = await GanClient.create();        // starts the worker, loads wasm
//   client.on('stats', (s) => draw(s));
//   await client.configure('small', { d_steps: 1 }, 42);
//   await client.setData(pixels, 50000, 784);
//   await client.start();                            // runs until pause()
//   const { images } = await client.sample({ seed: 1, count: 64 });
//   client.terminate();

import { WorkerClient } from './worker-client.js';
import { isNode } from './loading.js';
import { startHelperWorker } from './thread-pool.js';

export { WorkerClient, WorkerError } from './worker-client.js';

// A copy to transfer. Not bytes.slice(): a Node Buffer's slice() is a view of
// the same memory, and transferring it would empty the caller's Buffer (a
// checkpoint from readFileSync, say).
const copyOf = (bytes) => new Uint8Array(bytes);

// A worker that has not said 'hello' within HELLO_TIMEOUT_MS, or that does not
// answer 'stage' within STAGE_ANSWER_MS when asked every INIT_CHECK_MS until
// 'init' is answered, is ended and another started, up to START_ATTEMPTS in all
// (within create's startTimeoutMs). 'init' fetches and compiles about 200 KB of wasm.
const HELLO_TIMEOUT_MS = 20000;
const INIT_CHECK_MS = 8000;
const STAGE_ANSWER_MS = 2000;
const START_ATTEMPTS = 3;

/**
 * Resolves with what `promise` gives (truthy), or null when `ms` pass first;
 * rejects when it rejects or the worker fails first.
 */
function answer(client, promise, ms) {
  return new Promise((resolve, reject) => {
    const done = (settle, value) => { offFailure(); clearTimeout(timer); settle(value); };
    const offFailure = client.on('failure', (error) => done(reject, error));
    const timer = setTimeout(() => done(resolve, null), ms);
    promise.then((value) => done(resolve, value ?? true), (error) => done(reject, error));
  });
}

export class GanClient extends WorkerClient {
  /**
   * Starts a worker and initialises the core in it.
   * @param {object} [options]
   * @param {'auto'|boolean} [options.simd='auto']
   * @param {'auto'|number} [options.threads='auto']  GEMM threads (loader.js: more than 1
   *   needs a shared memory the worker can send to helpers; falls back to 1). `client.threads` is the count in use
   * @param {string|URL} [options.wasmBase]  folder of the .wasm files (default ../wasm/ beside worker.js)
   * @param {string|URL} [options.workerUrl] default: worker.js beside this file
   * @param {number} [options.startTimeoutMs=150000]  if no worker has started by then, the last
   *   is ended and the promise rejects saying so (rather than waiting for ever)
   * @param {number} [options.helloTimeoutMs=20000]  how long each worker has to say 'hello'
   * @param {number} [options.initCheckMs=8000]  then, until it answers 'init', how often it is
   *   asked what it does ('stage'); one that does not answer within 2 s is replaced
   * @returns {Promise<GanClient>} with `simd`, `threads`, `threadsNote` and the core's
   *   `description` (gan_describe) from the worker's `ready`, and `startAttempts`: the workers
   *   started (more than 1 when one was silent too long)
   */
  static async create(options = {}) {
    const timeout = options.startTimeoutMs ?? 150000;
    const deadline = Date.now() + timeout;
    const init = {
      simd: options.simd ?? 'auto', threads: options.threads ?? 'auto', wasmBase: options.wasmBase && String(options.wasmBase),
      helpers: 'parent',
    };
    const notes = [];
    for (let attempt = 1; ; attempt++) {
      const started = Date.now();
      const client = GanClient.start(options.workerUrl ?? new URL('./worker.js', import.meta.url), { name: 'wasm-gan training' });
      client.#startHelpersOnRequest();
      try {
        // The worker's 'hello' first: it then listens, so 'init' cannot arrive before its
        // listener. A fresh Firefox left about one first page in 30 with a worker that said
        // hello and then answered nothing more, not even 'stage' (nor failed), while workers
        // started their own helpers; none in 200 since this thread starts them. A worker
        // that stops is still replaced: a new one, like the next page's, starts at once.
        const left = () => Math.max(0, deadline - Date.now());
        const seconds = () => ((Date.now() - started) / 1000).toFixed(1);
        let ready = null;
        let failure = 'did not run'; // what went wrong, if nothing is ready
        let doing = null;            // what the worker last said it does ('stage')
        if (await answer(client, client.waitFor('hello'), Math.min(options.helloTimeoutMs ?? HELLO_TIMEOUT_MS, left()))) {
          // A worker busy with init (a slow download, say) answers 'stage' at once and is
          // waited for; one that does not has stopped, and is replaced.
          const reply = client.request('init', init);
          for (;;) {
            ready = await answer(client, reply, Math.min(options.initCheckMs ?? INIT_CHECK_MS, left()));
            if (ready) break;
            if (!left()) { failure = 'did not answer init'; break; }
            const told = await answer(client, client.request('stage'), Math.min(STAGE_ANSWER_MS, left()));
            if (!told) { failure = 'stopped answering'; break; }
            doing = told.stage;
          }
        }
        if (!ready) {
          notes.push(`worker ${attempt} ${failure} within ${seconds()} s${doing ? ` (it was ${doing})` : ''}`);
          if (!isNode) console.warn(`wasm-gan: ${notes.at(-1)}`);
          client.terminate();
          if (attempt < START_ATTEMPTS && left() > 0) continue;
          throw new Error(`the worker did not start: ${notes.join('; ')}`);
        }
        client.simd = ready.simd;
        client.threads = ready.threads;
        client.threadsNote = ready.threadsNote ?? null;
        client.description = ready.description;
        client.startAttempts = attempt;
        client.startNotes = notes;
        return client;
      } catch (error) {
        client.terminate();
        throw error;
      }
    }
  }

  /** GEMM helper workers this client started for its worker, by index. */
  #helpers = new Map();

  /** GEMM helpers running for the worker (this thread starts them: PROTOCOL.md). */
  get helperCount() { return this.#helpers.size; }

  // The worker asks for its GEMM helpers ('helper-start') rather than starting them
  // itself: in Firefox, a worker that started workers of its own sometimes stopped for
  // good (docs/web.md). Each is told when its helper runs or fails, and ends it with
  // 'helper-end'; terminate() ends them all.
  #startHelpersOnRequest() {
    this.on('helper-start', ({ module, memory, index, stackTop }) => {
      this.#endHelper(index);
      const helper = startHelperWorker({ module, memory, index, stackTop });
      this.#helpers.set(index, helper);
      const tell = (news) => {
        if (this.#helpers.get(index) === helper && !this.terminated) this.worker.postMessage({ ...news, index });
      };
      helper.started.then(() => tell({ type: 'helper-started' }),
        (error) => tell({ type: 'helper-failed', message: error?.message ?? String(error) }));
    });
    this.on('helper-end', ({ index }) => this.#endHelper(index));
    this.on('failure', () => { for (const index of [...this.#helpers.keys()]) this.#endHelper(index); });
  }

  #endHelper(index) {
    this.#helpers.get(index)?.end();
    this.#helpers.delete(index);
  }

  configure(preset, overrides = {}, seed) { return this.request('configure', { preset, overrides, seed }); }

  /**
   * The configuration a preset and overrides give, checked by the core, without
   * building it: resolves with {preset, config}; an invalid one is refused
   * (GAN_ERR_INVALID_ARGUMENT) with the core's explanation (gan_config_explain).
   */
  validate(preset, overrides = {}, seed) { return this.request('validate', { preset, overrides, seed }); }

  /** Sends u8 training images (count x dim). The array is copied unless transfer is true. */
  setData(images, count, dim = 784, { transfer = false, labels = null } = {}) {
    const bytes = transfer ? images : copyOf(images);
    const message = { images: bytes, count, dim };
    const moved = [bytes.buffer];
    if (labels) {
      message.labels = transfer ? labels : copyOf(labels);
      moved.push(message.labels.buffer);
    }
    return this.request('data', message, moved);
  }

  /**
   * Runs until pause(), or until step `until` when given (then a state
   * {running: false, reason: 'until'} event); at full speed, or at most
   * `pace` steps per second.
   */
  start(until, { pace } = {}) {
    const fields = {};
    if (until !== undefined && until !== null) fields.until = until;
    if (pace) fields.pace = pace;
    return this.request('start', fields);
  }

  /** Changes the pace of the run in progress: steps per second, 0 for full speed. */
  setPace(stepsPerSecond) { return this.request('pace', { stepsPerSecond }); }

  pause() { return this.request('pause'); }

  step(count = 1) { return this.request('step', { count }); }

  reset(keepRunning = false) { return this.request('reset', { keepRunning }); }

  /**
   * {z} or {seed, count}; for a conditional model also `classes` (n x classes weights) or `class`
   * (all of one class). Resolves with {images: Float32Array, count, z}.
   */
  sample(options) { return this.request('sample', options); }

  /**
   * G along z0 -> z1 (linear or spherical); for a conditional model, with
   * `classes0`/`classes1` (Float32Array of `classes` weights each, both or
   * neither), the class rows move linearly from one to the other as z moves.
   * Resolves with {images, count, z}.
   */
  interpolate(z0, z1, steps, spherical = false, { classes0, classes1 } = {}) {
    return this.request('interpolate', { z0, z1, steps, spherical, classes0, classes1 });
  }

  /** D(x) as probabilities; `classes` (n x classes weights) for a conditional model. */
  discriminate(x, { classes } = {}) { return this.request('discriminate', { x, ...(classes && { classes }) }); }

  noise(seed, count) { return this.request('noise', { seed, count }); }

  /** Resolves with {bytes: Uint8Array, step}. */
  save() { return this.request('save'); }

  /**
   * Resolves with {config, preset, step, replaced}. With requireData, a checkpoint
   * whose model the data sent cannot feed (another image shape) is refused
   * (DATA_MISMATCH) and the model that was there stays.
   */
  load(bytes, { requireData = false } = {}) {
    const copy = copyOf(bytes);
    return this.request('load', { bytes: copy, ...(requireData && { requireData: true }) }, [copy.buffer]);
  }

  evaluate({ samples = 10000, validation, test, seed = 0 }) {
    return this.request('evaluate', { samples, validation, test, seed });
  }
}
