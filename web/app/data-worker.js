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

// Blocks of BLOCK x BLOCK pixels for the search's lower bound.
const BLOCK = 4;

/**
 * For each sample, the closest training image in squared Euclidean distance,
 * exactly. A lower bound prunes most candidates: by Cauchy-Schwarz, the
 * squared distance over a block of n pixels is at least (difference of the
 * block sums)^2 / n, so the sum of that over 4x4 blocks (49 numbers per
 * image instead of 784) bounds the distance from below. Candidates whose
 * bound already exceeds the best distance so far are skipped; starting from
 * the candidate with the smallest bound makes that happen early.
 */
export function nearest(data, samples, n) {
  const { images, count, dim } = data;
  const side = Math.round(Math.sqrt(dim));
  const blocked = side * side === dim && side % BLOCK === 0;
  const blocksPerImage = blocked ? (side / BLOCK) ** 2 : 0;
  if (blocked) data.blockSums ??= blockSums(images, count, side);
  const out = new Uint8Array(n * dim);
  const distances = new Float32Array(n);
  const indices = new Int32Array(n).fill(-1);
  const query = new Float32Array(dim);
  const bounds = new Float32Array(blocked ? count : 0);
  for (let q = 0; q < n; q++) {
    for (let p = 0; p < dim; p++) query[p] = samples[q * dim + p] * 255; // the bytes' own scale
    const exact = (t, limit) => {
      const base = t * dim;
      let sum = 0;
      for (let p = 0; p < dim; p++) {
        const d = images[base + p] - query[p];
        sum += d * d;
        if ((p & 63) === 63 && sum >= limit) return sum; // cannot win any more
      }
      return sum;
    };
    let best = Infinity;
    let bestIndex = -1;
    if (blocked) {
      const querySums = blockSums(query, 1, side);
      const sums = data.blockSums;
      let smallest = Infinity;
      for (let t = 0; t < count; t++) {
        let bound = 0;
        const base = t * blocksPerImage;
        for (let b = 0; b < blocksPerImage; b++) {
          const d = sums[base + b] - querySums[b];
          bound += d * d;
        }
        bound /= BLOCK * BLOCK;
        bounds[t] = bound;
        if (bound < smallest) { smallest = bound; bestIndex = t; }
      }
      best = exact(bestIndex, Infinity);
      for (let t = 0; t < count; t++) {
        if (bounds[t] >= best) continue;
        const distance = exact(t, best);
        if (distance < best) { best = distance; bestIndex = t; }
      }
    } else {
      for (let t = 0; t < count; t++) {
        const distance = exact(t, best);
        if (distance < best) { best = distance; bestIndex = t; }
      }
    }
    indices[q] = bestIndex;
    distances[q] = best / (255 * 255);
    if (bestIndex >= 0) out.set(images.subarray(bestIndex * dim, (bestIndex + 1) * dim), q * dim);
  }
  return { indices, distances, images: out };
}

/** Sums over BLOCK x BLOCK blocks of `count` side x side images: count x (side/BLOCK)^2 floats. */
function blockSums(images, count, side) {
  const per = side / BLOCK;
  const out = new Float32Array(count * per * per);
  for (let i = 0; i < count; i++) {
    const base = i * side * side;
    let o = i * per * per;
    for (let by = 0; by < per; by++) {
      for (let bx = 0; bx < per; bx++, o++) {
        let sum = 0;
        for (let y = by * BLOCK; y < (by + 1) * BLOCK; y++) {
          const row = base + y * side + bx * BLOCK;
          for (let x = 0; x < BLOCK; x++) sum += images[row + x];
        }
        out[o] = sum;
      }
    }
  }
  return out;
}
