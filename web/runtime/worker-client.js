// One way to talk to a worker: requests with numbered ids answered by
// promises, events to listeners. GanClient (client.js) speaks the training
// worker's protocol through it; the page's data worker uses it as is.
//
// The convention the worker keeps (PROTOCOL.md):
//   - a request is {type, id, ...fields}; its answer is the first message
//     that carries the same id, of any type but 'progress';
//   - {type: 'error', id, code, message} answers a failed request (the
//     promise rejects with a WorkerError); without an id it is an event;
//   - {type: 'progress', id, ...} messages report on a request in flight:
//     they go to the request's onProgress and to 'progress' listeners;
//   - every other message without a pending id is an event for on(type).
//
//   const client = new WorkerClient(startWorker(url));
//   client.on('stats', (message) => ...);
//   const answer = await client.request('load', { base }, [], { onProgress });
//   client.terminate();

import { listenToWorker, startWorker } from './loading.js';

export class WorkerError extends Error {
  constructor({ code, message }) {
    super(message);
    this.name = 'WorkerError';
    this.code = code;
  }
}

export class WorkerClient {
  /** Starts a module worker from `url` (any origin: see loading.js startWorker) and wraps it. */
  static start(url, { name } = {}) {
    return new this(startWorker(url, { name }));
  }

  /** Wraps an already started worker (browser Worker or worker_threads Worker). */
  constructor(worker) {
    this.worker = worker;
    this.nextId = 1;
    this.pending = new Map();   // id -> {resolve, reject, onProgress}
    this.listeners = new Map(); // type -> Set of listeners
    this.terminated = false;
    listenToWorker(worker, {
      message: (message) => this._receive(message),
      failure: (error) => { if (!this.terminated) this._fail(error); },
    });
  }

  /**
   * Sends a request; resolves with its answer message, rejects with a
   * WorkerError when the worker answers `error`, or with the error of a
   * worker that failed meanwhile.
   * @param {string} type
   * @param {object} [fields]
   * @param {Transferable[]} [transfer]
   * @param {{onProgress?: (message) => void}} [options]
   */
  request(type, fields = {}, transfer = [], { onProgress } = {}) {
    if (this.terminated) return Promise.reject(new Error('the worker was terminated'));
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, onProgress });
      this.worker.postMessage({ ...fields, type, id }, transfer);
    });
  }

  /**
   * Listens to messages of `type`: events, and answers too (a 'stats' answer
   * to 'step' reaches 'stats' listeners), but not errors that answer a
   * request. 'failure' receives the error that ended the worker. Returns an
   * unsubscribe function.
   */
  on(type, listener) {
    if (!this.listeners.has(type)) this.listeners.set(type, new Set());
    this.listeners.get(type).add(listener);
    return () => this.off(type, listener);
  }

  off(type, listener) { this.listeners.get(type)?.delete(listener); }

  /** Resolves with the next message of `type` for which `predicate` holds. */
  waitFor(type, predicate = () => true) {
    return new Promise((resolve) => {
      const off = this.on(type, (message) => {
        if (predicate(message)) { off(); resolve(message); }
      });
    });
  }

  /** Ends the worker; requests still pending reject. */
  terminate() {
    if (this.terminated) return;
    this.terminated = true;
    this._fail(new Error('the worker was terminated'));
    this.worker.terminate();
  }

  _emit(type, message) {
    for (const listener of this.listeners.get(type) ?? []) listener(message);
  }

  _receive(message) {
    const entry = message?.id !== undefined ? this.pending.get(message.id) : undefined;
    if (message?.type === 'progress') {
      entry?.onProgress?.(message);
      this._emit('progress', message);
      return;
    }
    if (entry) {
      this.pending.delete(message.id);
      if (message.type === 'error') entry.reject(new WorkerError(message));
      else entry.resolve(message);
    }
    if (message?.type !== 'error' || !entry) this._emit(message?.type, message);
  }

  _fail(error) {
    for (const { reject } of this.pending.values()) reject(error);
    this.pending.clear();
    this._emit('failure', error);
  }
}
