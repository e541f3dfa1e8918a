// Their own data: IDX files (raw or gzip'd) or a set of PNG/JPEG images,
// chosen, dropped or fetched, read into {images, count, rows, cols, name}
// (one byte per pixel, count x rows x cols) and checked before anything
// else changes. Every refusal is one DataError naming the file and the fault,
// so the page and the element can say it in one line while the model already
// training is left alone.

import { gunzipCapped, isGzip, parseIdx, readIdxFromResponse } from '../runtime/idx.js';

/** Fewer images than this cannot make a training set worth the name. */
export const MIN_IMAGES = 100;
/** The training rows MNIST uses; a larger IDX file trains on its first this many. */
export const MAX_TRAINING_ROWS = 50000;

export class DataError extends Error {}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const startsWith = (bytes, prefix) => prefix.every((value, i) => bytes[i] === value);
const isPng = (bytes) => startsWith(bytes, PNG_SIGNATURE);
const isJpeg = (bytes) => startsWith(bytes, [0xff, 0xd8, 0xff]);
const isIdx = (bytes) => bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0x08 && (bytes[3] === 1 || bytes[3] === 3);

/**
 * Reads chosen or dropped files: one IDX images file (an IDX labels file beside it is
 * ignored), or PNG/JPEG images of one size (grayscale from luminance).
 * @param {File[]} files
 * @param {{maxDim?: number}} options  maxDim: the largest data_dim the core takes
 */
export async function readDataFiles(files, { maxDim = Infinity } = {}) {
  files = [...files];
  if (files.length === 0) throw new DataError('no files were chosen');
  const kinds = await Promise.all(files.map(async (file) => {
    const head = new Uint8Array(await file.slice(0, 8).arrayBuffer());
    if (isGzip(head) || isIdx(head)) return 'idx';
    if (isPng(head) || isJpeg(head)) return 'image';
    throw new DataError(`${file.name} is neither an IDX file (raw or gzip) nor a PNG or JPEG image`);
  }));
  if (kinds.includes('idx')) {
    if (kinds.includes('image')) throw new DataError('choose either IDX files or images, not both');
    const parsed = [];
    for (const file of files) parsed.push({ file, idx: await readIdxBytes(new Uint8Array(await file.arrayBuffer()), file.name) });
    const images = parsed.filter(({ idx }) => idx.kind === 'images');
    if (images.length !== 1) {
      throw new DataError(images.length ? `choose one IDX images file, not ${images.length} (${images.map(({ file }) => file.name).join(', ')})`
        : `${files.map((file) => file.name).join(', ')}: labels only; choose an IDX images file`);
    }
    return fromIdx(images[0].idx, images[0].file.name, maxDim);
  }
  return readImages(files, maxDim);
}

/** Fetches an IDX images file (raw or gzip'd, size-capped) from a URL. */
export async function fetchIdxData(url, { maxDim = Infinity } = {}) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new DataError(`${url} could not be fetched (${error.message})`);
  }
  if (!response.ok) throw new DataError(`${url}: the server answered ${response.status}`);
  const name = String(url).split('/').pop();
  let idx;
  try {
    idx = await readIdxFromResponse(response, { name, expect: 'images' });
  } catch (error) {
    throw new DataError(error.message);
  }
  return fromIdx(idx, name, maxDim);
}

async function readIdxBytes(bytes, name) {
  try {
    return parseIdx(isGzip(bytes) ? await gunzipCapped(bytes, { name }) : bytes, { name });
  } catch (error) {
    throw new DataError(error.message);
  }
}

function fromIdx(idx, name, maxDim) {
  if (idx.dims.length !== 3) throw new DataError(`${name}: IDX images must be count x rows x columns, not ${idx.dims.join(' x ')}`);
  const count = Math.min(idx.count, MAX_TRAINING_ROWS);
  return check({ images: idx.data.slice(0, count * idx.itemSize), count, rows: idx.rows, cols: idx.cols, name }, maxDim);
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
      check({ count: files.length, rows: height, cols: width, name: file.name }, maxDim);
      canvas = new OffscreenCanvas(width, height);
      context = canvas.getContext('2d', { willReadFrequently: true });
      images = new Uint8Array(files.length * width * height);
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
    const base = n * width * height;
    for (let i = 0, p = 0; p < width * height; i += 4, p++) {
      images[base + p] = Math.round(0.299 * data[i] + 0.587 * data[i + 1] + 0.114 * data[i + 2]);
    }
  }
  const name = files.length === 1 ? files[0].name : `${files[0].name} … ${files[files.length - 1].name}`;
  return check({ images, count: files.length, rows: size.height, cols: size.width, name }, maxDim);
}

function check(data, maxDim) {
  const { count, rows, cols, name } = data;
  if (count < MIN_IMAGES) throw new DataError(`${name}: ${count} image${count === 1 ? '' : 's'}; training needs at least ${MIN_IMAGES}`);
  if (rows !== cols) throw new DataError(`${name}: the images are ${cols}x${rows}; the views draw square images`);
  if (rows * cols > maxDim) throw new DataError(`${name}: ${cols}x${rows} = ${rows * cols} pixels, more than the ${maxDim} values a model's data_dim may have`);
  return data;
}
