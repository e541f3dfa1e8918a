// Fetches the MNIST training images the build prepared in web/data (gzip'd
// IDX, described by mnist.json), with progress, and keeps rows 0-49999: the
// paper's training split (50000-59999 are validation). One download per page,
// however many trainers ask: later callers share the first one's promise.

import { readIdxFromResponse } from '../lib/idx.js';

export const TRAINING_ROWS = 50000;

const loads = new Map(); // data folder URL -> Promise<{images, count, dim, side}>

/**
 * @param {URL|string} dataBase folder holding mnist.json
 * @param {(fraction: number, text: string) => void} [onProgress]
 * @returns {Promise<{images: Uint8Array, count: number, dim: number, side: number}>}
 *   `images` is shared: callers that transfer it must copy it first.
 */
export function loadMnistTraining(dataBase, onProgress = () => {}) {
  const key = String(dataBase);
  if (!loads.has(key)) {
    const listeners = new Set();
    const promise = fetchTraining(new URL('./', new URL(dataBase, globalThis.location?.href)),
      (fraction, text) => { for (const listener of listeners) listener(fraction, text); });
    promise.listeners = listeners;
    promise.catch(() => loads.delete(key)); // a later attempt may succeed
    loads.set(key, promise);
  }
  const promise = loads.get(key);
  promise.listeners.add(onProgress);
  const forget = () => promise.listeners.delete(onProgress);
  promise.then(forget, forget);
  return promise;
}

async function fetchTraining(base, report) {
  report(0, 'Loading MNIST…');
  const manifestResponse = await fetch(new URL('mnist.json', base));
  if (!manifestResponse.ok) {
    throw new Error(`MNIST is missing (${manifestResponse.status} for ${manifestResponse.url}); run "npm run build" first`);
  }
  const manifest = await manifestResponse.json();
  const response = await fetch(new URL(manifest.files.trainImages, base));
  const total = Number(response.headers.get('content-length')) || 0;
  const parsed = await readIdxFromResponse(response, {
    name: manifest.files.trainImages,
    expect: 'images',
    onProgress: (received) => {
      const mb = (received / 1e6).toFixed(1);
      report(total ? Math.min(0.95, received / total) : 0,
        total ? `Loading MNIST… ${mb} of ${(total / 1e6).toFixed(1)} MB` : `Loading MNIST… ${mb} MB`);
    },
  });
  report(0.97, 'Unpacking MNIST…');
  const count = Math.min(TRAINING_ROWS, parsed.count);
  const dim = parsed.itemSize;
  // A copy of just the training rows, so the 60,000-row file can be freed.
  const images = parsed.data.slice(0, count * dim);
  report(1, `MNIST ready: ${count.toLocaleString('en')} training images`);
  return { images, count, dim, side: parsed.rows };
}
