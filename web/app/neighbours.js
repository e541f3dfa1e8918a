// The page side of the nearest-neighbour worker: give it the training images
// once, then ask for the closest training image to each sample. Callers ask
// one question at a time (see `busy`): a search over 50,000 images takes a
// few hundred milliseconds and only the latest samples matter.

import { startModuleWorker } from './module-worker.js';

export class NeighbourFinder {
  constructor(workerUrl = new URL('./neighbours-worker.js', import.meta.url)) {
    this.worker = startModuleWorker(workerUrl, { name: 'nearest neighbours' });
    this.nextId = 1;
    this.pending = new Map();
    this.ready = false;
    this.worker.onmessage = ({ data }) => {
      if (data.type === 'dataset-ready') { this.ready = true; return; }
      const entry = this.pending.get(data.id);
      if (!entry) return;
      this.pending.delete(data.id);
      if (data.type === 'error') entry.reject(new Error(data.message));
      else entry.resolve(data);
    };
  }

  /** Hands over the training images (the bytes are transferred). */
  setDataset(images, count, dim) {
    this.worker.postMessage({ type: 'dataset', images, count, dim }, [images.buffer]);
  }

  get busy() {
    return this.pending.size > 0;
  }

  /** @returns {Promise<{indices: Int32Array, distances: Float32Array, images: Uint8Array}>} */
  nearest(samples, count) {
    const id = this.nextId++;
    const copy = samples.slice(); // the caller's array stays usable
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ type: 'nearest', id, samples: copy, count }, [copy.buffer]);
    });
  }

  terminate() {
    this.worker.terminate();
    for (const { reject } of this.pending.values()) reject(new Error('neighbour search stopped'));
    this.pending.clear();
  }
}
