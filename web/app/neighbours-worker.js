// Nearest training neighbours (the paper's Figure 2) off the main thread.
// Holds the training images as bytes; answers, for each sample, the index,
// squared distance and pixels of the closest training image.
//
// Messages in:  {type: 'dataset', images: Uint8Array, count, dim}
//               {type: 'nearest', id, samples: Float32Array (n x dim), count}
// Messages out: {type: 'dataset-ready', count}
//               {type: 'nearest', id, indices: Int32Array, distances: Float32Array,
//                images: Uint8Array (n x dim)}  or  {type: 'error', id, message}

let dataset = null; // {images, count, dim}

self.onmessage = ({ data: message }) => {
  try {
    if (message.type === 'dataset') {
      dataset = { images: message.images, count: message.count, dim: message.dim };
      self.postMessage({ type: 'dataset-ready', count: message.count });
    } else if (message.type === 'nearest') {
      if (!dataset) throw new Error('no training images yet');
      const answer = nearest(dataset, message.samples, message.count);
      self.postMessage({ type: 'nearest', id: message.id, ...answer },
        [answer.indices.buffer, answer.distances.buffer, answer.images.buffer]);
    } else {
      throw new Error(`unknown request ${message.type}`);
    }
  } catch (error) {
    self.postMessage({ type: 'error', id: message.id, message: error.message });
  }
};

export function nearest({ images, count, dim }, samples, n) {
  // Work in the bytes' own scale: sample pixels times 255.
  const queries = new Float32Array(n * dim);
  for (let i = 0; i < queries.length; i++) queries[i] = samples[i] * 255;
  const best = new Float32Array(n).fill(Infinity);
  const indices = new Int32Array(n).fill(-1);
  // Each training image is read once and compared with every query while in cache.
  for (let t = 0; t < count; t++) {
    const base = t * dim;
    for (let q = 0; q < n; q++) {
      const qBase = q * dim;
      const limit = best[q];
      let sum = 0;
      for (let p = 0; p < dim; p++) {
        const d = images[base + p] - queries[qBase + p];
        sum += d * d;
        if ((p & 63) === 63 && sum >= limit) break; // cannot win any more
      }
      if (sum < limit) { best[q] = sum; indices[q] = t; }
    }
  }
  const out = new Uint8Array(n * dim);
  const distances = new Float32Array(n);
  for (let q = 0; q < n; q++) {
    distances[q] = best[q] / (255 * 255);
    if (indices[q] >= 0) out.set(images.subarray(indices[q] * dim, (indices[q] + 1) * dim), q * dim);
  }
  return { indices, distances, images: out };
}
