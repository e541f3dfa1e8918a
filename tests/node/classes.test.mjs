// Class rows for conditional models (web/runtime/classes.js): the rows the
// page's grid and strips send are those the worker builds for `sample
// {class}` and `interpolate {classes0, classes1}`, bit for bit; the names
// the class picker shows; and their own data's labels (custom-data.js: an
// IDX labels file beside the images, CIFAR-10's records).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CIFAR10_CLASS_NAMES, blendRows, classCount, classNames, oneHot, rowsByClass, rowsOfClass } from '../../web/runtime/classes.js';
import { GanClient } from '../../web/runtime/client.js';
import { encodeIdxImages, encodeIdxLabels } from '../../web/runtime/idx.js';
import { encodeCifar } from '../../web/runtime/cifar.js';
import { DataError, readDataFiles } from '../../web/app/custom-data.js';

const sameBits = (a, b) => a.length === b.length && a.every((v, i) => Object.is(v, b[i]));

test('one-hot rows, rows of one class, and a grid with one row per class', () => {
  assert.deepEqual([...oneHot(4, 2)], [0, 0, 1, 0]);
  assert.deepEqual([...rowsOfClass(2, 3, 1)], [0, 1, 0, 0, 1, 0]);
  // 3 classes x 2 columns: cells (0,0) (0,1) are class 0, (1,0) (1,1) class 1, ...
  assert.deepEqual([...rowsByClass(3, 2)], [1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1]);
});

test('blends move linearly from one row to the other, ends included', () => {
  const rows = blendRows(oneHot(3, 0), oneHot(3, 2), 5);
  assert.equal(rows.length, 15);
  assert.deepEqual([...rows.subarray(0, 3)], [1, 0, 0]);
  assert.deepEqual([...rows.subarray(6, 9)], [0.5, 0, 0.5]);
  assert.deepEqual([...rows.subarray(12, 15)], [0, 0, 1]);
  assert.deepEqual([...blendRows(oneHot(3, 1), oneHot(3, 1), 4)], [0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0], 'within a class: that class throughout');
});

test('classes of a configuration, and what the picker calls them', () => {
  assert.equal(classCount({ conditional: 'none', classes: '10' }), 0);
  assert.equal(classCount({ conditional: 'auxiliary', classes: '10' }), 10);
  assert.equal(classCount({ conditional: 'concat', classes: 26 }), 26);
  assert.equal(classCount(null), 0);
  assert.deepEqual(classNames(10, 'mnist'), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  assert.deepEqual(classNames(10, 'cifar'), CIFAR10_CLASS_NAMES);
  assert.equal(CIFAR10_CLASS_NAMES[0], 'airplane');
  assert.deepEqual(classNames(3, 'cifar'), ['0', '1', '2'], 'CIFAR-10\'s names for its ten classes only');
  assert.deepEqual(classNames(3, null), ['0', '1', '2']);
});

describe('the worker builds the same rows', () => {
  let client;
  before(async () => {
    client = await GanClient.create({ threads: 1 });
    await client.configure('small', { conditional: 'auxiliary', classes: '4' }, 9);
  });
  after(() => client?.terminate());

  test('sample {class} is sample {classes: rowsOfClass}', async () => {
    const { z } = await client.noise(1, 6);
    const byClass = (await client.sample({ z, class: 3 })).images;
    const byRows = (await client.sample({ z, classes: rowsOfClass(6, 4, 3) })).images;
    assert.ok(sameBits(byClass, byRows));
    assert.ok(!sameBits(byClass, (await client.sample({ z, class: 1 })).images), 'the class changes the samples');
  });

  test('interpolate {classes0, classes1} is sample {z, classes: blendRows}', async () => {
    const { z } = await client.noise(2, 2);
    const z0 = z.slice(0, 64);
    const z1 = z.slice(64);
    for (const spherical of [false, true]) {
      const answer = await client.interpolate(z0, z1, 7, spherical, { classes0: oneHot(4, 0), classes1: oneHot(4, 2) });
      const direct = await client.sample({ z: answer.z, classes: blendRows(oneHot(4, 0), oneHot(4, 2), 7) });
      assert.ok(sameBits(answer.images, direct.images), `spherical ${spherical}`);
    }
  });
});

describe('their own data\'s labels', () => {
  const images = new Uint8Array(120 * 4 * 4).map((_, i) => (i * 13) & 255);
  const file = (bytes, name) => new File([bytes], name);

  test('an IDX labels file beside the images gives their labels; without one, none', async () => {
    const labels = Uint8Array.from({ length: 150 }, (_, i) => i % 7);
    const data = await readDataFiles([file(encodeIdxLabels(labels), 'l.idx1-ubyte'), file(encodeIdxImages(images, 120, 4, 4), 'i.idx3-ubyte')]);
    assert.equal(data.count, 120);
    assert.deepEqual([...data.labels], [...labels.subarray(0, 120)], 'the first label of each image');
    assert.equal((await readDataFiles([file(encodeIdxImages(images, 120, 4, 4), 'i.idx3-ubyte')])).labels, null);
  });

  test('too few labels, or two labels files, are refused', async () => {
    await assert.rejects(readDataFiles([file(encodeIdxImages(images, 120, 4, 4), 'i.idx3-ubyte'), file(encodeIdxLabels(new Uint8Array(100)), 'l.idx1-ubyte')]),
      (error) => error instanceof DataError && /l\.idx1-ubyte has 100 labels for 120 images in i\.idx3-ubyte/.test(error.message));
    await assert.rejects(readDataFiles([file(encodeIdxImages(images, 120, 4, 4), 'i.idx3-ubyte'), file(encodeIdxLabels(new Uint8Array(120)), 'a.idx1-ubyte'),
      file(encodeIdxLabels(new Uint8Array(120)), 'b.idx1-ubyte')]), (error) => error instanceof DataError && /choose one IDX labels file, not 2/.test(error.message));
  });

  test('CIFAR-10\'s records carry theirs', async () => {
    const labels = Uint8Array.from({ length: 110 }, (_, i) => (i * 3) % 10);
    const data = await readDataFiles([file(encodeCifar(new Uint8Array(110 * 3072), labels), 'data_batch_1.bin')]);
    assert.equal(data.format, 'cifar');
    assert.deepEqual([...data.labels], [...labels]);
  });
});
