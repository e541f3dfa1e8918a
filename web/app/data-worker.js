// The training images, kept off the main thread: this worker fetches the
// gzip'd MNIST the build prepared (web/data, described by mnist.json),
// unpacks and parses it, keeps rows 0-49999 (the paper's training split;
// 50000-59999 are validation), hands out copies for training workers, and
// with their labels (for class-conditional models), and finds nearest training neighbours (the paper's Figure 2). One per page,
// shared by every trainer on it.
//
// In:  {type: 'load', id, base}            -> 'progress' {id, fraction, text}..., then
//                                              'loaded' {id, count, dim, side}
//      {type: 'copy', id}                   -> 'copy' {id, images: Uint8Array (transferred),
//                                                       labels: Uint8Array (transferred): one per image, 0-9}
//      {type: 'evaluation-sets', id, validation, test}
//                                           -> 'evaluation-sets' {id, validation: Uint8Array, test: Uint8Array,
//                                                                 dim}: the first `validation` validation rows
//                                              (rows 50000-) and the first `test` rows of t10k (fetched once)
//      {type: 'nearest', id, samples: Float32Array (n x dim), count}
//                                           -> 'nearest' {id, indices, distances, images: Uint8Array n x dim,
//                                                         ms: the search's own time}
// Any failure: {type: 'error', id, code, message}. The same conventions as
// the training worker (web/runtime/PROTOCOL.md), so the page talks to both
// through the runtime's WorkerClient (training-data.js).

import { readIdxFromResponse } from '../runtime/idx.js';
import { nearest, searchIndex, unpermute } from '../runtime/neighbours.js';
import { connectToParent } from '../runtime/loading.js';

export const TRAINING_ROWS = 50000;
// The paper chose sigma on the first 1,000 validation images: only those are kept.
export const VALIDATION_ROWS = 1000;

let loading = null; // resolves to {images, labels, count, dim, side, index, validation, base, manifest}: images until the first copy takes them
let testLoading = null; // resolves to the t10k images (Uint8Array)

const post = connectToParent(async (message) => {
  const { id } = message;
  try {
    if (message.type === 'load') {
      loading ??= load(new URL(message.base), (fraction, text) => post({ type: 'progress', id, fraction, text }));
      loading.catch(() => { loading = null; }); // a later attempt may succeed
      const { count, dim, side } = await loading;
      post({ type: 'loaded', id, count, dim, side });
    } else if (message.type === 'copy') {
      const data = await requireData();
      // The first copy is the images the load kept for it; later ones (a
      // second trainer on the page) come from the search's index.
      const images = data.images ?? unpermute(data.index);
      data.images = null;
      const labels = data.labels.slice();
      post({ type: 'copy', id, images, labels }, [images.buffer, labels.buffer]);
    } else if (message.type === 'evaluation-sets') {
      const data = await requireData();
      testLoading ??= loadTest(data);
      testLoading.catch(() => { testLoading = null; });
      const test = await testLoading;
      const validation = data.validation.slice(0, Math.min(message.validation ?? VALIDATION_ROWS, VALIDATION_ROWS) * data.dim);
      const testCopy = test.slice(0, Math.min(message.test ?? Infinity, test.length / data.dim) * data.dim);
      post({ type: 'evaluation-sets', id, validation, test: testCopy, dim: data.dim }, [validation.buffer, testCopy.buffer]);
    } else if (message.type === 'nearest') {
      const { index } = await requireData();
      const started = performance.now();
      const answer = nearest(index, message.samples, message.count);
      post({ type: 'nearest', id, ...answer, ms: performance.now() - started },
        [answer.indices.buffer, answer.distances.buffer, answer.images.buffer]);
    } else {
      throw new Error(`unknown request ${message.type}`);
    }
  } catch (error) {
    post({ type: 'error', id, code: error.code ?? 'DATA', message: error.message });
  }
});

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
  // The labels (60 KB): what a class-conditional model learns to tell apart.
  const labelsResponse = await fetch(new URL(manifest.files.trainLabels, base));
  if (!labelsResponse.ok) throw new Error(`MNIST's labels are missing (HTTP ${labelsResponse.status} for ${labelsResponse.url}); run "npm run build" first`);
  const parsedLabels = await readIdxFromResponse(labelsResponse, { name: manifest.files.trainLabels, expect: 'labels' });
  if (parsedLabels.count < count) throw new Error(`${manifest.files.trainLabels}: ${parsedLabels.count} labels for ${count} training images`);
  const labels = parsedLabels.data.slice(0, count);
  const dim = parsed.itemSize;
  const images = parsed.data.slice(0, count * dim);
  // The search's index takes about 0.4 s of a core: here, before anything
  // trains, rather than at the first search, when it would take that time
  // from the training (and make the core train on one thread for a while;
  // see neighbours-view.js).
  report(0.97, 'Indexing MNIST for the neighbour search…');
  const validation = parsed.data.slice(count * dim, Math.min(parsed.count, count + VALIDATION_ROWS) * dim);
  const dataset = { images, labels, count, dim, side: parsed.rows, index: searchIndex(images, count, dim), validation, base, manifest };
  report(1, `MNIST ready: ${count.toLocaleString('en')} training images`);
  return dataset;
}

async function loadTest({ base, manifest, dim }) {
  const name = manifest.files.testImages;
  const response = await fetch(new URL(name, base));
  if (!response.ok) throw new Error(`the test images are missing (HTTP ${response.status} for ${response.url}); run "npm run build" first`);
  const parsed = await readIdxFromResponse(response, { name, expect: 'images' });
  if (parsed.itemSize !== dim) throw new Error(`${name}: test images of ${parsed.itemSize} values, the training images have ${dim}`);
  return parsed.data;
}
