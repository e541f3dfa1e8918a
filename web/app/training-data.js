// The page side of data-worker.js: one data worker per page (per data
// folder), shared by every trainer on it, so MNIST is fetched and unpacked
// once and never on the main thread.

import { startWorker } from '../runtime/loading.js';

const workers = new Map(); // data folder URL -> TrainingData

export class TrainingData {
  /** The shared instance for a data folder. */
  static for(base) {
    const key = String(base);
    if (!workers.has(key)) workers.set(key, new TrainingData(key));
    return workers.get(key);
  }

  constructor(base) {
    this.base = base;
    this.worker = startWorker(new URL('./data-worker.js', import.meta.url), { name: 'wasm-gan data' });
    this.nextId = 1;
    this.pending = new Map();
    this.loaded = null;
    this.progressListeners = new Set();
    this.worker.onmessage = ({ data }) => {
      if (data.type === 'progress') {
        for (const listener of this.progressListeners) listener(data.fraction, data.text);
        return;
      }
      const entry = this.pending.get(data.id);
      if (!entry) return;
      this.pending.delete(data.id);
      if (data.type === 'error') entry.reject(new Error(data.message));
      else entry.resolve(data);
    };
    this.worker.onerror = (event) => {
      event.preventDefault();
      for (const { reject } of this.pending.values()) reject(new Error(`the data worker failed: ${event.message}`));
      this.pending.clear();
    };
  }

  #request(type, fields = {}, transfer = []) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...fields, type, id }, transfer);
    });
  }

  /** Loads MNIST's training rows once; resolves to {count, dim, side}. */
  async load(onProgress = () => {}) {
    this.progressListeners.add(onProgress);
    try {
      this.loaded ??= this.#request('load', { base: this.base });
      return await this.loaded;
    } catch (error) {
      this.loaded = null;
      throw error;
    } finally {
      this.progressListeners.delete(onProgress);
    }
  }

  /** A fresh copy of the training images (count x dim bytes), to transfer to a training worker. */
  async copy() {
    return (await this.#request('copy')).images;
  }

  /** For each of `count` samples, the closest training image: {indices, distances, images}. */
  nearest(samples, count) {
    const copy = samples.slice();
    return this.#request('nearest', { samples: copy, count }, [copy.buffer]);
  }
}
