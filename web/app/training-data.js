// The page side of data-worker.js: one data worker per page (per data
// folder), shared by every trainer on it, so MNIST is fetched and unpacked
// once and never on the main thread. It speaks the same request protocol as
// the training worker, through the runtime's WorkerClient.

import { WorkerClient } from '../runtime/worker-client.js';

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
    this.client = WorkerClient.start(new URL('./data-worker.js', import.meta.url), { name: 'wasm-gan data' });
    this.loaded = null;
  }

  /** Loads MNIST's training rows once; resolves to {count, dim, side}. */
  async load(onProgress = () => {}) {
    // Every caller hears the progress of the one download.
    const off = this.client.on('progress', ({ fraction, text }) => onProgress(fraction, text));
    try {
      this.loaded ??= this.client.request('load', { base: this.base });
      return await this.loaded;
    } catch (error) {
      this.loaded = null;
      throw error;
    } finally {
      off();
    }
  }

  /** Fresh copies of the training images (count x dim bytes) and their labels, to transfer to a training worker: {images, labels}. */
  async copy() {
    const { images, labels } = await this.client.request('copy');
    return { images, labels };
  }

  /** Copies of the first `validation` validation rows (50000-) and `test` test images: {validation, test, dim}. */
  async evaluationSets(validation, test) {
    await this.loaded;
    return this.client.request('evaluation-sets', { validation, test });
  }

  /** For each of `count` samples, the closest training image: {indices, distances, images, ms}. */
  nearest(samples, count) {
    const copy = samples.slice();
    return this.client.request('nearest', { samples: copy, count }, [copy.buffer]);
  }
}
