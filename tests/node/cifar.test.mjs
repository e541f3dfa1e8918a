// CIFAR-10's binary files (web/runtime/cifar.js, cifar-node.js, cli/data.js),
// on files generated here in that format (the data set cannot be downloaded
// on these machines), and the paper-cifar-conv preset through the CLI: it
// trains on them, draws colour figures, checkpoints the same bytes on both
// engines, and refuses data of another shape with both shapes named.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CIFAR_TEST_FILE, CIFAR_TRAINING_FILES, CifarError, encodeCifar, parseCifar } from '../../web/runtime/cifar.js';
import { readCifarFile, readCifarSet } from '../../web/runtime/cifar-node.js';
import { parseIdx } from '../../web/runtime/idx.js';
import { loadTestImages, loadTrainingSet } from '../../cli/data.js';
import { readPng } from '../../cli/images.js';
import { NATIVE_ENGINE } from '../../cli/native-engine.js';
import { checkpointInfo, runCli } from './helpers.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'wasm-gan-cifar-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const at = (...parts) => join(tmp, ...parts);

/** `count` images in the core's layout (channels last): colour ramps, one hue per image. */
function images(count, seed = 1) {
  let s = seed;
  const random = () => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s / 2 ** 32; };
  const out = new Uint8Array(count * 3072);
  for (let i = 0; i < count; i++) {
    const hue = [random(), random(), random()];
    for (let p = 0; p < 1024; p++) {
      for (let c = 0; c < 3; c++) out[i * 3072 + p * 3 + c] = Math.min(255, Math.floor(255 * hue[c] * ((p % 32) / 31) + 30 * random()));
    }
  }
  return out;
}
const labels = (count) => Uint8Array.from({ length: count }, (_, i) => i % 10);

/** A folder of CIFAR-10 binary files of `per` images each. */
function cifarFolder(dir, per) {
  mkdirSync(dir, { recursive: true });
  [...CIFAR_TRAINING_FILES, CIFAR_TEST_FILE].forEach((name, n) => writeFileSync(join(dir, name), encodeCifar(images(per, n + 1), labels(per))));
  return dir;
}

test('a record\'s red, green and blue planes become channels-last RGB; encodeCifar is the inverse', () => {
  // three records written plane by plane, as the format has them
  const record = 3073;
  const bytes = new Uint8Array(3 * record);
  for (let i = 0; i < 3; i++) {
    bytes[i * record] = 7 + i;
    for (let p = 0; p < 1024; p++) {
      bytes[i * record + 1 + p] = p % 256;                 // red
      bytes[i * record + 1 + 1024 + p] = 255 - (p % 256);  // green
      bytes[i * record + 1 + 2048 + p] = 40 * i;           // blue
    }
  }
  const parsed = parseCifar(bytes, { name: 'three.bin' });
  assert.deepEqual([parsed.count, parsed.channels, parsed.rows, parsed.cols, parsed.itemSize], [3, 3, 32, 32, 3072]);
  assert.deepEqual([...parsed.labels], [7, 8, 9]);
  for (const [i, p] of [[0, 0], [1, 33], [2, 1023]]) {
    const at3 = i * 3072 + 3 * p;
    assert.deepEqual([...parsed.data.subarray(at3, at3 + 3)], [p % 256, 255 - (p % 256), 40 * i], `image ${i}, pixel ${p}`);
  }
  assert.deepEqual(encodeCifar(parsed.data, parsed.labels), bytes);
});

test('malformed and non-regular files are refused, naming the file and the fault', () => {
  const good = encodeCifar(images(2), labels(2));
  const write = (name, bytes) => { writeFileSync(at(name), bytes); return at(name); };
  const cases = [
    [write('short.bin', good.subarray(0, good.length - 1)),
      /short\.bin: is 6,145 bytes, not a whole number of 3,073-byte records \(a label byte and 3,072 pixel bytes\): 1 record and 3,072 bytes over\. It is truncated/],
    [write('long.bin', new Uint8Array(good.length + 5)), /long\.bin: is 6,151 bytes, not a whole number of 3,073-byte records/],
    [write('empty.bin', new Uint8Array(0)), /empty\.bin: is empty/],
    [write('label.bin', Uint8Array.from(good, (v, i) => (i === 3073 ? 10 : v))), /label\.bin: record 1 has label 10; CIFAR-10's labels are 0 to 9/],
  ];
  execFileSync('mkfifo', [at('fifo.bin')]);
  mkdirSync(at('folder.bin'));
  cases.push([at('fifo.bin'), /fifo\.bin: is not a regular file \(a FIFO\); refusing to read it/]);
  cases.push([at('folder.bin'), /folder\.bin: is not a regular file \(a directory\)/]);
  cases.push([at('missing.bin'), /missing\.bin: no such file/]);
  for (const [path, pattern] of cases) {
    assert.throws(() => readCifarFile(path), (error) => error instanceof CifarError && pattern.test(error.message) && error.message.startsWith(path), path);
  }
  // a set with a file missing names it, and the files the set has
  const partial = at('partial');
  cifarFolder(partial, 3);
  rmSync(join(partial, 'data_batch_4.bin'));
  assert.throws(() => readCifarSet(partial), /data_batch_4\.bin: not found \(CIFAR-10's binary version has data_batch_1\.bin, .*data_batch_5\.bin and test_batch\.bin/);
});

test('a CIFAR-10 folder, as it is or as the archive unpacks it: the authors\' split, channels last', () => {
  const plain = cifarFolder(at('plain'), 50);
  const archive = at('archive');
  cifarFolder(join(archive, 'cifar-10-batches-bin'), 50);
  for (const dir of [plain, archive]) {
    const set = loadTrainingSet(dir);
    assert.deepEqual([set.format, set.channels, set.rows, set.cols, set.dim], ['cifar', 3, 32, 32, 3072]);
    // rows 0-39,999 of 50,000 train, 40,000-49,999 validate: here the first four files of five
    assert.deepEqual([set.trainCount, set.validationCount], [200, 50]);
    assert.deepEqual(set.train.subarray(0, 3072), images(50, 1).subarray(0, 3072));
    assert.deepEqual(set.validation.subarray(0, 3072), images(50, 5).subarray(0, 3072), 'validation starts with data_batch_5.bin');
    assert.equal(set.source, null, 'converted, so an engine reads a copy');
    const test = loadTestImages(dir);
    assert.deepEqual([test.count, test.channels, test.dim], [50, 3, 3072]);
    assert.match(test.path, /test_batch\.bin$/);
  }
});

const data = cifarFolder(at('data'), 24);
const train = (out, extra = []) => runCli(['train', '--preset', 'paper-cifar-conv', '--data-dir', data, '--steps', '2',
  '--set', 'batch_size=8', '--threads', '1', '--sample-every', '1000', '--out', out, ...extra]);

test('paper-cifar-conv trains on CIFAR-10 files from the CLI: colour figures, a checkpoint, samples; eval refuses it', async () => {
  const out = at('run');
  const result = await train(out);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /preset paper-cifar-conv, .*2 steps \(0\.00 epochs of 40000\)/);
  const info = await checkpointInfo(readFileSync(join(out, 'checkpoint.safetensors')));
  assert.equal(info.step, 2);
  assert.equal(info.config.preset, 'paper-cifar-conv');
  assert.equal(info.config.gcn_scale, '55');
  assert.deepEqual([info.config.data_channels, info.config.data_height, info.config.data_width], ['3', '32', '32']);
  // 32 x 32 tiles at 2x, in colour: 10 columns of 64 + 2 pixels; samples and neighbours not grey
  const samples = readPng(readFileSync(join(out, 'samples.png')));
  assert.deepEqual([samples.width, samples.height], [10 * 66 + 2, 10 * 66 + 2]);
  const neighbours = readPng(readFileSync(join(out, 'neighbours.png')));
  assert.deepEqual([neighbours.width, neighbours.height], [8 * 67 + 3, 6 * 67 + 3]);
  for (const [name, png] of [['samples', samples], ['neighbours', neighbours]]) {
    let coloured = 0;
    for (let i = 0; i < png.data.length; i += 4) if (Math.abs(png.data[i] - png.data[i + 1]) > 30) coloured++;
    assert.ok(coloured > 1000, `${name}.png has ${coloured} coloured pixels`);
  }

  const idx = join(out, 'samples.idx');
  const sampled = await runCli(['sample', '--checkpoint', join(out, 'checkpoint.safetensors'), '--count', '5', '--out', idx]);
  assert.equal(sampled.code, 0, sampled.stderr);
  assert.match(sampled.stdout, /wrote 5 images \(32x32x3, step 2\)/);
  assert.deepEqual(parseIdx(new Uint8Array(readFileSync(idx))).dims, [5, 32, 32, 3]);

  const evaluated = await runCli(['eval', '--checkpoint', join(out, 'checkpoint.safetensors'), '--data-dir', data, '--samples', '10']);
  assert.equal(evaluated.code, 1);
  assert.match(evaluated.stderr, /the model makes contrast-normalised images \(gcn_scale 55, paper-cifar-conv\); the paper's Parzen estimate is of pixel values/);
});

test('paper-cifar-conv: the native engine writes the wasm engine\'s checkpoint, byte for byte', { skip: !existsSync(NATIVE_ENGINE) && `${NATIVE_ENGINE} not built` }, async () => {
  const [wasm, native] = await Promise.all([train(at('wasm')), train(at('native'), ['--engine', 'native'])]);
  assert.equal(wasm.code, 0, wasm.stderr);
  assert.equal(native.code, 0, native.stderr);
  assert.ok(readFileSync(at('wasm', 'checkpoint.safetensors')).equals(readFileSync(at('native', 'checkpoint.safetensors'))),
    'contrast normalisation and every layer give the same bits natively and in wasm');
});

test('images of another shape are refused with both shapes, and where the right ones come from', async () => {
  const [noData, mlp] = await Promise.all([
    runCli(['train', '--preset', 'paper-cifar-conv', '--steps', '1', '--out', at('no-data')]),
    runCli(['train', '--preset', 'small', '--data-dir', data, '--steps', '1', '--out', at('mlp')]),
  ]);
  assert.equal(noData.code, 1);
  assert.match(noData.stderr, /MNIST \(the default; --data-dir names other data\): its images are 1 x 28 x 28 \(784 values\), and the paper-cifar-conv model takes 3 x 32 x 32 images \(3072 values\); CIFAR-10's binary files .* in --data-dir have that shape/);
  assert.equal(mlp.code, 1);
  assert.match(mlp.stderr, /\(CIFAR-10\): its images are 3 x 32 x 32 \(3072 values\), and the small model takes images of 784 values/);
});
