// MNIST's training images for trainers made through the package API
// (trainer.js): the page's copy, which the build writes to web/data and the
// package carries, so an installed package trains on the same rows as the
// page and the CLI without a download. Node reads the files, browsers fetch
// them (loading.js); either way the gzip is unpacked with a size cap (idx.js).

import { fetchBytes, fetchJson, fileInFolder } from './loading.js';
import { gunzipCapped, isGzip, parseIdx } from './idx.js';

/** The paper's training split: rows 0-49999 (50000-59999 are validation). */
export const TRAINING_ROWS = 50000;

/**
 * The training rows of the MNIST in `base` (a web/data folder holding
 * mnist.json and the files it names).
 * @param {{base?: string|URL}} [options]  default: ../data/ beside this file
 * @returns {Promise<{images: Uint8Array, labels: Uint8Array, count: number, dim: number, rows: number, cols: number}>}
 *   `images`: count x dim pixels (0-255), `labels`: their digits, fresh arrays the caller owns
 */
export async function loadMnist({ base = new URL('../data/', import.meta.url) } = {}) {
  const manifest = await fetchJson(fileInFolder(base, 'mnist.json'));
  const url = fileInFolder(base, manifest.files.trainImages);
  const name = url.pathname.split('/').pop();
  const raw = await fetchBytes(url);
  const bytes = isGzip(raw) ? await gunzipCapped(raw, { name }) : raw;
  const parsed = parseIdx(bytes, { name, expect: 'images' });
  const count = Math.min(TRAINING_ROWS, parsed.count);
  const dim = parsed.itemSize;
  const labelsUrl = fileInFolder(base, manifest.files.trainLabels);
  const labelsName = labelsUrl.pathname.split('/').pop();
  const rawLabels = await fetchBytes(labelsUrl);
  const labels = parseIdx(isGzip(rawLabels) ? await gunzipCapped(rawLabels, { name: labelsName }) : rawLabels,
    { name: labelsName, expect: 'labels' });
  // Copies of the rows kept, so the rest of the files (validation) can be freed.
  return {
    images: parsed.data.slice(0, count * dim), labels: labels.data.slice(0, count), count, dim,
    rows: parsed.rows, cols: parsed.cols,
  };
}
