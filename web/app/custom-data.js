// Their own data: IDX files (raw or gzip'd; grey, or colour as count x rows
// x columns x 3), CIFAR-10's binary files (data_batch_1.bin ...), or a set of
// PNG/JPEG images, chosen, dropped or fetched, read into {images, labels,
// count, rows, cols, channels, name} (bytes, count x rows x cols x channels,
// channels last as the core stores images; labels, one byte per image, when
// the data has them: an IDX labels file chosen beside the images, or
// CIFAR-10's records, else null) and checked before anything else
// changes. Every refusal is one DataError naming the file and the fault, so
// the page and the element can say it in one line while the model already
// training is left alone.

import { gunzipCapped, isGzip, parseIdx, readIdxFromResponse } from '../runtime/idx.js';
import { CIFAR_TEST_FILE, CIFAR_TRAINING_ROWS, isCifarName, joinCifar, parseCifar } from '../runtime/cifar.js';

/** Fewer images than this cannot make a training set worth the name. */
export const MIN_IMAGES = 100;
/** The training rows MNIST uses; a larger IDX file trains on its first this many. */
export const MAX_TRAINING_ROWS = 50000;

export class DataError extends Error {}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const startsWith = (bytes, prefix) => prefix.every((value, i) => bytes[i] === value);
const isPng = (bytes) => startsWith(bytes, PNG_SIGNATURE);
const isJpeg = (bytes) => startsWith(bytes, [0xff, 0xd8, 0xff]);
const isIdx = (bytes) => bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0x08 && [1, 3, 4].includes(bytes[3]);

/**
 * Reads chosen or dropped files: one IDX images file (with an IDX labels file beside it,
 * its labels: a class-conditional model needs them), CIFAR-10 binary files (`.bin`: their training images, test_batch.bin set
 * aside when training files come with it), or PNG/JPEG images of one size (grey when
 * every pixel is grey, else RGB).
 * @param {File[]} files
 * @param {{maxDim?: number}} options  maxDim: the largest data_dim the core takes
 */
export async function readDataFiles(files, { maxDim = Infinity } = {}) {
  files = [...files];
  if (files.length === 0) throw new DataError('no files were chosen');
  const kinds = await Promise.all(files.map(async (file) => {
    // CIFAR-10's files have no magic number: their name says what they are
    if (isCifarName(file.name)) return 'cifar';
    const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
    if (isGzip(head) || isIdx(head)) return 'idx';
    if (isPng(head) || isJpeg(head)) return 'image';
    throw new DataError(`${file.name} is neither an IDX file (raw or gzip), a CIFAR-10 binary file (.bin) nor a PNG or JPEG image`);
  }));
  if (new Set(kinds).size > 1) throw new DataError('choose one kind of file: IDX files, CIFAR-10 binary files or images, not a mix');
  if (kinds[0] === 'cifar') return readCifarFiles(files, maxDim);
  if (kinds.includes('idx')) {
    const parsed = [];
    for (const file of files) parsed.push({ file, idx: await readIdxBytes(new Uint8Array(await file.arrayBuffer()), file.name) });
    const images = parsed.filter(({ idx }) => idx.kind === 'images');
    const labels = parsed.filter(({ idx }) => idx.kind === 'labels');
    if (images.length !== 1) {
      throw new DataError(images.length ? `choose one IDX images file, not ${images.length} (${images.map(({ file }) => file.name).join(', ')})`
        : `${files.map((file) => file.name).join(', ')}: labels only; choose an IDX images file`);
    }
    if (labels.length > 1) throw new DataError(`choose one IDX labels file, not ${labels.length} (${labels.map(({ file }) => file.name).join(', ')})`);
    const data = fromIdx(images[0].idx, images[0].file.name, maxDim);
    return labels.length ? withLabels(data, labels[0].idx, labels[0].file.name) : data;
  }
  return readImages(files, maxDim);
}

/**
 * Fetches an IDX images file (raw or gzip'd, size-capped), or a CIFAR-10 binary file (.bin), from a URL;
 * with `labels`, the URL of an IDX labels file for the images.
 */
export async function fetchData(url, { maxDim = Infinity, labels = null } = {}) {
  if (isCifarName(new URL(url, 'http://x/').pathname)) return fetchCifar(url, maxDim);
  const data = fromIdx(await fetchIdx(url, 'images'), String(url).split('/').pop(), maxDim);
  return labels ? withLabels(data, await fetchIdx(labels, 'labels'), String(labels).split('/').pop()) : data;
}

async function fetchIdx(url, expect) {
  const response = await fetchOk(url);
  try {
    return await readIdxFromResponse(response, { name: String(url).split('/').pop(), expect });
  } catch (error) {
    throw new DataError(error.message);
  }
}

/** fetch(url), with a failed request or an error status as a DataError. */
async function fetchOk(url) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DataError(`${url} could not be fetched (${error.message})`);
  }
  if (!response.ok) throw new DataError(`${url}: the server answered ${response.status}`);
  return response;
}

async function readIdxBytes(bytes, name) {
  try {
    return parseIdx(isGzip(bytes) ? await gunzipCapped(bytes, { name }) : bytes, { name });
  } catch (error) {
    throw new DataError(error.message);
  }
}

/** The images' labels from an IDX labels file: one per image (the first `count` of a longer file). */
function withLabels(data, idx, name) {
  if (idx.dims.length !== 1) throw new DataError(`${name}: IDX labels must be a list (count), not ${idx.dims.join(' x ')}`);
  if (idx.count < data.count) {
    throw new DataError(`${name} has ${idx.count.toLocaleString('en')} labels for ${data.count.toLocaleString('en')} images in ${data.name}`);
  }
  return { ...data, labels: idx.data.slice(0, data.count), labelsName: name };
}

function fromIdx(idx, name, maxDim) {
  if (idx.dims.length !== 3 && idx.dims.length !== 4) {
    throw new DataError(`${name}: IDX images must be count x rows x columns (or x channels), not ${idx.dims.join(' x ')}`);
  }
  const count = Math.min(idx.count, MAX_TRAINING_ROWS);
  return check({ images: idx.data.slice(0, count * idx.itemSize), count, rows: idx.rows, cols: idx.cols, channels: idx.channels, name }, maxDim);
}

/** Fetches one CIFAR-10 binary file (its training rows, at most the authors' 40,000) from a URL. */
async function fetchCifar(url, maxDim) {
  const response = await fetchOk(url);
  const name = String(url).split('/').pop();
  return fromCifar([await parsedCifar(new Uint8Array(await response.arrayBuffer()), name)], name, maxDim);
}

function parsedCifar(bytes, name) {
  try {
    return parseCifar(bytes, { name });
  } catch (error) {
    throw new DataError(error.message);
  }
}

/**
 * CIFAR-10 binary files: the training files in their order (data_batch_1.bin, ...), test_batch.bin
 * set aside when they come with it, at most the authors' 40,000 training rows.
 */
async function readCifarFiles(files, maxDim) {
  const batch = (file) => Number(/(\d+)\.bin$/i.exec(file.name)?.[1] ?? Infinity);
  let chosen = [...files].sort((a, b) => batch(a) - batch(b) || a.name.localeCompare(b.name));
  if (chosen.length > 1) chosen = chosen.filter((file) => file.name !== CIFAR_TEST_FILE);
  const parts = [];
  for (const file of chosen) parts.push(parsedCifar(new Uint8Array(await file.arrayBuffer()), file.name));
  const name = chosen.length === 1 ? chosen[0].name : `${chosen[0].name} … ${chosen[chosen.length - 1].name}`;
  return fromCifar(parts, name, maxDim);
}

function fromCifar(parts, name, maxDim) {
  const set = joinCifar(parts, CIFAR_TRAINING_ROWS);
  return check({ images: set.data, labels: set.labels, count: set.count, rows: set.rows, cols: set.cols, channels: set.channels, name, format: 'cifar' }, maxDim);
}

async function readImages(files, maxDim) {
  let size = null;
  let canvas = null;
  let context = null;
  let images = null;
  for (let n = 0; n < files.length; n++) {
    const file = files[n];
    let bitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch {
      throw new DataError(`${file.name} could not be decoded as an image`);
    }
    const { width, height } = bitmap;
    if (!size) {
      size = { width, height };
      check({ count: files.length, rows: height, cols: width, name: file.name }, maxDim); // early: grey is the least it can be
      canvas = new OffscreenCanvas(width, height);
      context = canvas.getContext('2d', { willReadFrequently: true });
      images = new Uint8Array(files.length * width * height * 3);
    } else if (width !== size.width || height !== size.height) {
      bitmap.close();
      throw new DataError(`the images are not all one size: ${files[0].name} is ${size.width}x${size.height}, ${file.name} is ${width}x${height}`);
    }
    // Transparent pixels count as black, the background of MNIST's digits.
    context.fillStyle = '#000';
    context.fillRect(0, 0, width, height);
    context.drawImage(bitmap, 0, 0);
    bitmap.close();
    const { data } = context.getImageData(0, 0, width, height);
    const base = n * width * height * 3;
    for (let i = 0, p = 0; p < width * height; i += 4, p++) {
      images[base + 3 * p] = data[i];
      images[base + 3 * p + 1] = data[i + 1];
      images[base + 3 * p + 2] = data[i + 2];
    }
  }
  const name = files.length === 1 ? files[0].name : `${files[0].name} … ${files[files.length - 1].name}`;
  return check({ ...greyIfGrey(images, files.length * size.width * size.height), count: files.length, rows: size.height, cols: size.width, name }, maxDim);
}

/** RGB pixels as one grey channel when every pixel is grey (r = g = b), else as they are. */
function greyIfGrey(rgb, pixels) {
  for (let p = 0; p < pixels; p++) {
    if (rgb[3 * p] !== rgb[3 * p + 1] || rgb[3 * p] !== rgb[3 * p + 2]) return { images: rgb, channels: 3 };
  }
  const grey = new Uint8Array(pixels);
  for (let p = 0; p < pixels; p++) grey[p] = rgb[3 * p];
  return { images: grey, channels: 1 };
}

function check(data, maxDim) {
  const { count, rows, cols, channels = 1, name } = data;
  if (count < MIN_IMAGES) throw new DataError(`${name}: ${count} image${count === 1 ? '' : 's'}; training needs at least ${MIN_IMAGES}`);
  const values = rows * cols * channels;
  if (values > maxDim) {
    throw new DataError(`${name}: ${cols}x${rows}${channels === 1 ? '' : ` x ${channels} channels`} = ${values} values, more than the ${maxDim} a model's data_dim may have`);
  }
  return { labels: null, ...data, channels };
}
