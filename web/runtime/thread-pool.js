// The GEMM helper threads of the threads build (gan-simd-threads.wasm,
// src/threads.c): N-1 workers (gemm-thread.js) that instantiate the same
// compiled module on the same shared memory and run parts of the GEMMs the
// training thread hands out. Results are bit-identical to one thread.
//
// The training thread allocates each helper's stack (gan_thread_stack), has
// the helper started, and waits until the helper has marked itself ready in
// the core (gan_threads_count). Who starts it is the pool's `startHelper`:
// by default this thread (startHelperWorker); the training worker asks its
// parent instead (worker.js, PROTOCOL.md "GEMM helpers"), as Firefox's
// workers started by a worker sometimes left the training worker stuck.
// Helpers never keep Node alive.

import { listenToWorker, startWorker } from './loading.js';
import { GanError } from './errors.js';

const START_TIMEOUT_MS = 15000;

/**
 * Starts GEMM helper `init.index` as a worker of this thread and sends it
 * `init` ({module, memory, index, stackTop}: gemm-thread.js). Returns
 * {started, end}: `started` resolves once the helper runs gan_thread_main and
 * rejects if it fails first; end() ends the helper.
 */
export function startHelperWorker(init) {
  const { index } = init;
  const worker = startWorker(new URL('./gemm-thread.js', import.meta.url), { name: `wasm-gan gemm ${index}` });
  const started = new Promise((resolve, reject) => {
    listenToWorker(worker, {
      keepAlive: false,
      message(message) {
        if (message?.type === 'started') resolve();
        else reject(new Error(message?.message ?? `gemm thread ${index} failed`));
      },
      failure(error) { reject(new Error(`gemm thread ${index}: ${error?.message ?? 'failed to start'}`)); },
    });
  });
  started.catch(() => {}); // a failure after end(), or one nobody awaits, is not unhandled
  worker.postMessage(init);
  let ended = false;
  return { started, end() { if (!ended) { ended = true; worker.terminate(); } } };
}

export class ThreadPool {
  /**
   * @param {object} exports  the threads build's exports (gan_threads_*, gan_thread_stack)
   * @param {WebAssembly.Module} module  the compiled threads build, sent to each helper
   * @param {WebAssembly.Memory} memory  the shared memory
   * @param {{startHelper?: (init: object) => {started: Promise<void>, end: () => void}}} [options]
   *   how a helper is started: startHelperWorker (the default) or the same contract
   */
  constructor(exports, module, memory, { startHelper = startHelperWorker } = {}) {
    this.exports = exports;
    this.module = module;
    this.memory = memory;
    this.startHelper = startHelper;
    this.helpers = []; // {started, end} by index; 0 is the training thread itself
    this.note = null;  // why fewer threads run than were asked for, else null
  }

  /** Threads in use, the training thread included. */
  get count() { return this.exports.gan_threads_count(); }

  /**
   * Uses `count` threads (this one included) from now on, starting or ending
   * helpers. Resolves with the count in use, which is smaller if helpers
   * could not start (then `note` says why).
   */
  async resize(count) {
    const max = this.exports.gan_threads_max();
    const want = Math.max(1, Math.min(max, Math.floor(Number(count)) || 1));
    if (!this.exports.gan_threads_set_count(want)) throw new GanError('GAN_ERR_OUT_OF_MEMORY', "could not allocate the gemm threads' stacks");
    this.#endFrom(want);
    const starting = [];
    for (let i = 1; i < want; i++) {
      if (!this.helpers[i]) starting.push(this.#start(i).then((helper) => { this.helpers[i] = helper; }));
    }
    const failures = (await Promise.allSettled(starting)).filter((r) => r.status === 'rejected');
    // A helper marks itself ready right after saying 'started'; wait for that.
    const deadline = Date.now() + START_TIMEOUT_MS;
    let ready = 1;
    while ((ready = this.count) < want && !failures.length && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    if (ready < want) {
      // Keep helpers 1..ready-1, which the pool uses; end the others.
      this.exports.gan_threads_set_count(ready);
      this.#endFrom(ready);
      this.note = failures.length ? `helper threads could not start: ${failures[0].reason.message}` : `only ${ready} of ${want} threads started`;
    }
    return this.count;
  }

  /** Ends every helper; the core keeps working on one thread. */
  close() {
    this.exports.gan_threads_set_count(1);
    this.#endFrom(1);
  }

  #endFrom(index) {
    for (let i = index; i < this.helpers.length; i++) this.helpers[i]?.end();
    this.helpers.length = Math.min(this.helpers.length, index);
  }

  /** Starts helper `index`; resolves with it ({started, end}) once it runs. */
  async #start(index) {
    const stackTop = this.exports.gan_thread_stack(index);
    if (!stackTop) throw new Error(`no stack for gemm thread ${index}`);
    const helper = this.startHelper({ module: this.module, memory: this.memory, index, stackTop });
    let timer;
    try {
      await Promise.race([helper.started, new Promise((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`gemm thread ${index} did not start within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
      })]);
    } catch (error) {
      helper.end();
      throw error;
    } finally {
      clearTimeout(timer);
    }
    return helper;
  }
}
