// The training images, kept off the main thread: this worker fetches the
// gzip'd MNIST the build prepared (web/data, described by mnist.json),
// unpacks and parses it, keeps rows 0-49999 (the paper's training split;
// 50000-59999 are validation), hands out copies for training workers, and
// finds nearest training neighbours (the paper's Figure 2). One per page,
// shared by every trainer on it.
//
// In:  {type: 'load', id, base}            -> 'progress' {id, fraction, text}..., then
//                                              'loaded' {id, count, dim, side}
//      {type: 'copy', id}                   -> 'copy' {id, images: Uint8Array (transferred)}
//      {type: 'nearest', id, samples: Float32Array (n x dim), count}
//                                           -> 'nearest' {id, indices, distances, images: Uint8Array n x dim}
// Any failure: {type: 'error', id, message}.

import { readIdxFromResponse } from '../lib/idx.js';

export const TRAINING_ROWS = 50000;

let dataset = null; // {images, count, dim, side}
let loading = null;

self.onmessage = async ({ data: message }) => {
  const { id } = message;
  try {
    if (message.type === 'load') {
      loading ??= load(new URL(message.base), (fraction, text) => self.postMessage({ type: 'progress', id, fraction, text }));
      loading.catch(() => { loading = null; }); // a later attempt may succeed
      const { count, dim, side } = await loading;
      self.postMessage({ type: 'loaded', id, count, dim, side });
    } else if (message.type === 'copy') {
      const images = (await requireData()).images.slice();
      self.postMessage({ type: 'copy', id, images }, [images.buffer]);
    } else if (message.type === 'nearest') {
      const answer = nearest(await requireData(), message.samples, message.count);
      self.postMessage({ type: 'nearest', id, ...answer }, [answer.indices.buffer, answer.distances.buffer, answer.images.buffer]);
    } else {
      throw new Error(`unknown request ${message.type}`);
    }
  } catch (error) {
    self.postMessage({ type: 'error', id, message: error.message });
  }
};

async function requireData() {
  if (!loading) throw new Error('no training images: send load first');
  return loading;
}

async function load(base, report) {
  report(0, 'Loading MNIST…');
  const manifestResponse = await fetch(new URL('mnist.json', base));
  if (!manifestResponse.ok) {
    throw new Error(`MNIST is missing (HTTP ${manifestResponse.status} for ${manifestResponse.url}); run "npm run build" first`);
  }
  const manifest = await manifestResponse.json();
  const response = await fetch(new URL(manifest.files.trainImages, base));
  const total = Number(response.headers.get('content-length')) || 0;
  let lastReport = 0;
  const parsed = await readIdxFromResponse(response, {
    name: manifest.files.trainImages,
    expect: 'images',
    onProgress: (received) => {
      const now = performance.now();
      if (now - lastReport < 100) return; // the page needs no more than 10 updates a second
      lastReport = now;
      const mb = (received / 1e6).toFixed(1);
      report(total ? Math.min(0.9, 0.9 * received / total) : 0,
        total ? `Loading MNIST… ${mb} of ${(total / 1e6).toFixed(1)} MB` : `Loading MNIST… ${mb} MB`);
    },
  });
  report(0.95, 'Unpacking MNIST…');
  const count = Math.min(TRAINING_ROWS, parsed.count);
  const dim = parsed.itemSize;
  dataset = { images: parsed.data.slice(0, count * dim), count, dim, side: parsed.rows };
  report(1, `MNIST ready: ${count.toLocaleString('en')} training images`);
  return dataset;
}

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
