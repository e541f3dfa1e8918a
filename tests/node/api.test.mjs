// The package API (web/runtime/index.js) on what the package test's program
// (tests/package/usage.mts) leaves out: their own images and the model sized
// to them, a trainer without images until setData(), a checkpoint of another
// architecture, and the refusals. No MNIST is loaded here, so it is quick.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createTrainer, GanError, WorkerError } from '../../web/runtime/index.js';

const images = (dim, count) => new Uint8Array(dim * count).map((_, i) => (i * 37) % 256);

test('their own images: the preset is sized to them, and a checkpoint of another architecture replaces the model', async () => {
  const dim = 16 * 16;
  const trainer = await createTrainer({ preset: 'small', seed: 2, threads: 1, data: { images: images(dim, 200), dim } });
  const toy = await createTrainer({ preset: 'toy', seed: 4, threads: 1 });
  try {
    assert.equal(trainer.dataDim, dim);
    assert.equal(trainer.config.data_dim, String(dim));
    assert.equal((await trainer.train(3)).step, 3);
    assert.equal((await trainer.sample({ count: 2 })).images.length, 2 * dim);

    await toy.train(5);
    const loaded = await trainer.load(await toy.save());
    assert.deepEqual([loaded.replaced, loaded.preset, loaded.step, trainer.dataDim], [true, 'toy', 5, 1]);
    assert.equal((await trainer.train(2)).step, 7, 'the toy model draws its own data');
  } finally {
    trainer.dispose();
    toy.dispose();
  }
});

test('data: null trains only after setData(), whose images must fit the model', async () => {
  const trainer = await createTrainer({ preset: 'small', threads: 1, data: null });
  try {
    await assert.rejects(trainer.train(1), (error) => error instanceof WorkerError && error.code === 'GAN_ERR_NO_DATA');
    await assert.rejects(trainer.setData({ images: images(10, 100), dim: 10 }),
      (error) => error instanceof GanError && error.code === 'BAD_OPTION' && /data_dim is 784/.test(error.message));
    await trainer.setData({ images: images(784, 100), dim: 784 });
    assert.equal((await trainer.train(2)).step, 2);
  } finally {
    trainer.dispose();
  }
});

test('refusals: unknown options and bad images before a worker starts, values the core refuses from it', async () => {
  const refused = (options, code, pattern) => assert.rejects(createTrainer(options),
    (error) => error.code === code && pattern.test(error.message));
  await refused({ thread: 1 }, 'BAD_OPTION', /unknown option "thread"/);
  await refused({ checkpoint: new Uint8Array(8), seed: 1 }, 'BAD_OPTION', /leave out seed/);
  await refused({ checkpoint: 'run/checkpoint.safetensors' }, 'BAD_OPTION', /Uint8Array/);
  await refused({ data: { images: images(10, 3).subarray(1), dim: 10 } }, 'BAD_OPTION', /not a whole number of images/);
  await refused({ threads: 1, config: { 'g.learning_rate': -1 } }, 'GAN_ERR_INVALID_ARGUMENT', /g\.learning_rate/);
  await refused({ threads: 1, preset: 'huge' }, 'GAN_ERR_INVALID_ARGUMENT', /unknown preset "huge"/);
  await refused({ threads: 1, checkpoint: new Uint8Array(8) }, 'GAN_ERR_CHECKPOINT_MALFORMED', /./);
  const trainer = await createTrainer({ preset: 'toy', threads: 1 });
  assert.throws(() => trainer.on('progress', () => {}), TypeError);
  trainer.dispose();
});

test('a conditional model: their own labelled images, samples by class, labels checked', async () => {
  const dim = 8 * 8;
  const count = 120;
  const labels = new Uint8Array(count).map((_, i) => i % 3);
  await assert.rejects(createTrainer({ threads: 1, data: { images: images(dim, count), dim, labels: labels.subarray(1) } }),
    (error) => error.code === 'BAD_OPTION' && /Uint8Array of 120 labels/.test(error.message));
  const trainer = await createTrainer({
    preset: 'small', seed: 3, threads: 1, config: { conditional: 'concat', classes: 3 },
    data: { images: images(dim, count), dim, labels },
  });
  const unlabelled = await createTrainer({
    preset: 'small', threads: 1, config: { conditional: 'auxiliary', classes: 3 }, data: { images: images(dim, count), dim },
  });
  try {
    assert.equal((await trainer.train(4)).step, 4);
    const z = await trainer.noise(5, 3);
    const twos = await trainer.sample({ z, class: 2 });
    const rows = new Float32Array(9);
    for (let i = 0; i < 3; i++) rows[i * 3 + 2] = 1;
    assert.deepEqual((await trainer.sample({ z, classes: rows })).images, twos.images);
    const between = await trainer.interpolate(z.subarray(0, 64), z.subarray(0, 64),
      { steps: 3, classes0: rows.subarray(0, 3), classes1: new Float32Array([1, 0, 0]) });
    assert.deepEqual(between.images.subarray(0, dim), twos.images.subarray(0, dim));
    await assert.rejects(unlabelled.train(1), (error) => error.code === 'GAN_ERR_NO_LABELS');
  } finally {
    trainer.dispose();
    unlabelled.dispose();
  }
});
