// The wasm loader in Node, with both builds (web/wasm, from `npm run build`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DISCRIMINATOR, GENERATOR, GanError, loadGan, simdSupported } from '../../web/runtime/loader.js';
import { readIdxFile, findIdxFile } from '../../web/runtime/idx-node.js';
import { defaultDataDir } from '../../cli/data.js';
import { parameterCount } from './helpers.mjs';

const train = readIdxFile(findIdxFile(defaultDataDir(), 'trainImages')).data.subarray(0, 2000 * 784);

test('feature detection finds SIMD in Node 20, and auto picks the SIMD build', async () => {
  assert.equal(await simdSupported(), true);
  const gan = await loadGan();
  assert.equal(gan.simd, true);
  const imports = WebAssembly.Module.imports(gan.module);
  assert.ok(imports.every((i) => ['env', 'wasi_snapshot_preview1'].includes(i.module)), JSON.stringify(imports));
});

test("a key that applies only while another has a value names a top-level key and one of its values", async () => {
  const gan = await loadGan();
  const byKey = new Map(gan.description.keys.map((entry) => [entry.key, entry]));
  const conditional = gan.description.keys.filter((entry) => entry.when);
  assert.deepEqual(conditional.map((entry) => `${entry.key} when ${entry.when.key}=${entry.when.value}`), [
    'd_steps_max when adaptive_k=1', 'd_accuracy_low when adaptive_k=1', 'd_accuracy_high when adaptive_k=1',
    'g_class_loss_weight when conditional=auxiliary', 'd_fake_class_loss_weight when conditional=auxiliary']);
  for (const { key, when } of conditional) {
    const setter = byKey.get(when.key);
    assert.ok(setter && !setter.key.includes('.'), `${key}: ${when.key} is a top-level key`);
    // the value is one the setter takes, and gan_config_get gives it back as written
    assert.equal(gan.presetConfig('small', { [when.key]: when.value })[when.key], when.value, key);
    assert.equal(setter.page, byKey.get(key).page, `${key} is on the page exactly when ${when.key} is`);
  }
});

test('rejects a bad simd option', async () => {
  await assert.rejects(loadGan({ simd: 'maybe' }), /simd must be/);
});

for (const simd of [true, false]) {
  const name = simd ? 'SIMD' : 'scalar';

  test(`${name} build: presets, config keys and errors`, async () => {
    const gan = await loadGan({ simd });
    assert.equal(gan.simd, simd);
    const keys = gan.description.keys.map((entry) => entry.key);
    for (const key of ['batch_size', 'd_steps', 'generator_loss', 'g.learning_rate', 'd.optimizer', 'prior', 'seed']) {
      assert.ok(keys.includes(key), key);
    }
    const paper = gan.presetConfig('paper');
    assert.equal(paper.batch_size, '100');
    assert.equal(paper.noise_dim, '100');
    assert.equal(paper['g.layers.0.units'], '1200');
    assert.equal(paper['d.optimizer'], 'sgd');
    const custom = gan.presetConfig('small', { d_steps: 3, generator_loss: 'minimax', 'g.learning_rate': 0.0005 }, 99);
    assert.equal(custom.d_steps, '3');
    assert.equal(custom.generator_loss, 'minimax');
    assert.equal(Math.fround(Number(custom['g.learning_rate'])), Math.fround(0.0005));
    assert.equal(custom.seed, '99');
    assert.throws(() => gan.presetConfig('huge'), (e) => e instanceof GanError && /unknown preset/.test(e.message));
    assert.throws(() => gan.presetConfig('small', { no_such_key: 1 }), (e) => e.code === 'GAN_ERR_INVALID_ARGUMENT' && /no_such_key/.test(e.message));
    assert.throws(() => gan.presetConfig('small', { batch_size: -4 }), /batch_size/);
    assert.equal(gan.statusName(gan.statusCode('GAN_ERR_CHECKPOINT_MISMATCH')), 'GAN_ERR_CHECKPOINT_MISMATCH');
    assert.match(gan.statusText(gan.statusCode('GAN_ERR_NO_DATA')), /data/);
    assert.equal(paper.preset, 'paper', 'configs record their preset');
  });

  test(`${name} build: trains, samples, checkpoints and frees`, async () => {
    const gan = await loadGan({ simd });
    const model = gan.create('small', {}, 5);
    const nd = model.noiseDim;
    assert.equal(nd, Number(model.config().noise_dim));
    assert.equal(model.dataDim, 784);
    assert.throws(() => model.train(1), /GAN_ERR_NO_DATA|no data|data/i);
    model.attachData(train, 2000);
    model.initGeneratorBias();
    const stats = model.train(5);
    assert.equal(stats.status, 'GAN_OK');
    assert.deepEqual(Object.keys(stats).filter((k) => k !== 'status'), gan.description.stats);
    assert.deepEqual(model.position(), { step: 5, epoch: stats.epoch });
    assert.equal(stats.step, 5);
    for (const field of ['d_loss', 'g_loss', 'd_real', 'd_fake']) assert.ok(Number.isFinite(stats[field]), field);
    assert.ok(stats.d_real > 0 && stats.d_real < 1);

    // Zero-copy parameter views; the count matches the architecture.
    const config = model.config();
    const g = model.parameters(GENERATOR);
    assert.equal(g.length, parameterCount(config, 'g'));
    assert.equal(model.parameters(DISCRIMINATOR).length, parameterCount(config, 'd'));
    g[0] = 0.25; // writes through the view reach the model
    assert.equal(model.parameters(GENERATOR)[0], 0.25);

    const z = model.sampleNoise(7, 3);
    assert.equal(z.length, 3 * nd);
    assert.deepEqual(model.sampleNoise(7, 3), z, 'noise depends on the seed alone');
    const images = model.generate(z);
    assert.equal(images.length, 3 * 784);
    assert.ok(images.every((v) => v >= 0 && v <= 1));
    const p = model.discriminate(images);
    assert.equal(p.length, 3);
    assert.ok(p.every((v) => v > 0 && v < 1));
    const line = gan.interpolate(z.subarray(0, nd), z.subarray(nd, 2 * nd), 5, true);
    assert.equal(line.length, 5 * nd);
    assert.deepEqual(line.subarray(0, nd), z.subarray(0, nd));

    // Checkpoint round trip: save, train on, load, train on again: identical.
    const bytes = model.checkpointSave();
    const after = model.train(3);
    model.checkpointLoad(bytes);
    const again = model.train(3);
    assert.deepEqual(again, after);
    assert.deepEqual(model.generate(z), gan.createFromCheckpoint(model.checkpointSave()).generate(z));

    // A corrupt checkpoint is refused and leaves the model as it was.
    const before = model.checkpointSave();
    const corrupt = bytes.slice();
    corrupt[20] ^= 0xff;
    assert.throws(() => model.checkpointLoad(corrupt), (e) => e instanceof GanError && /CHECKPOINT/.test(e.code));
    assert.throws(() => model.checkpointLoad(bytes.subarray(0, bytes.length - 10)), (e) => e.code === 'GAN_ERR_CHECKPOINT_TRUNCATED' || e.code === 'GAN_ERR_CHECKPOINT_MALFORMED');
    assert.deepEqual(model.checkpointSave(), before);
    // Another architecture: refused by load, accepted by createFromCheckpoint.
    const paper = gan.create('paper', {}, 1);
    assert.throws(() => model.checkpointLoad(paper.checkpointSave()), (e) => e.code === 'GAN_ERR_CHECKPOINT_MISMATCH');
    paper.free();
    model.free();
    assert.throws(() => model.train(1), /freed/);
  });

  test(`${name} build: memory growth keeps helpers valid`, async () => {
    const gan = await loadGan({ simd });
    const model = gan.create('small', {}, 1);
    const z = model.sampleNoise(1, 2);
    const reference = model.generate(z);
    const pages = gan.memory.buffer.byteLength;
    const big = gan.alloc(256 << 20); // forces growth: every old view is detached
    assert.ok(gan.memory.buffer.byteLength > pages);
    assert.deepEqual(model.generate(z), reference);
    assert.equal(model.parameters(GENERATOR).length, model.parametersInfo(GENERATOR).count);
    gan.release(big);
    model.free();
  });
}

test('the core describes itself: statuses, stats fields, struct sizes, presets, keys', async () => {
  const gan = await loadGan({ threads: 1 });
  const { description } = gan;
  assert.equal(description.format, 'wasm-gan-description');
  assert.equal(description.statuses[0].name, 'GAN_OK');
  assert.equal(gan.OK, 0);
  assert.equal(gan.statusName(gan.NON_FINITE), 'GAN_ERR_NON_FINITE');
  assert.equal(description.sizes.gan_step_stats, description.stats.length * 8);
  assert.equal(description.sizes.gan_parzen_result, (3 + 2 * description.parzen_sigma_count) * 8);
  assert.deepEqual(gan.presets, ['small', 'cgan', 'paper', 'toy', 'conv', 'paper-cifar-conv']);
  assert.throws(() => gan.presetConfig('huge'), /use small, cgan, paper, toy, conv, paper-cifar-conv/);
});

test('a fresh model of the same configuration: same weights as a new one, step 0, the old one untouched', async () => {
  const gan = await loadGan({ threads: 1 });
  const model = gan.create('small', { d_steps: 2 }, 8);
  model.attachData(train, 2000);
  model.initGeneratorBias();
  model.train(3);
  const trained = model.checkpointSave();
  const fresh = model.fresh();
  assert.deepEqual(fresh.config(), model.config());
  assert.deepEqual(fresh.position(), { step: 0, epoch: 0 });
  assert.equal(fresh.dataCount, 0);
  const z = model.sampleNoise(1, 4);
  const reference = gan.create('small', { d_steps: 2 }, 8);
  assert.deepEqual(fresh.generate(z), reference.generate(z));
  assert.deepEqual(model.checkpointSave(), trained);
  for (const m of [model, fresh, reference]) m.free();
});

// A checkpoint loaded into a model that has no data yet, then data attached,
// continues exactly where the file stopped: the core keeps the data position
// on attach, so nothing needs loading twice.
for (const preset of ['small', 'toy']) {
  test(`${preset}: checkpoint, then data attached, trains bit-identically to the uninterrupted run`, async () => {
    const gan = await loadGan({ threads: 1 });
    const rows = 700; // batches of 100: the 9th step starts a new epoch
    const data = preset === 'toy' ? Float32Array.from({ length: rows }, (_, i) => Math.sin(i)) : train.subarray(0, rows * 784);
    const straight = gan.create(preset, { batch_size: 100 }, 3);
    straight.attachData(data, rows);
    straight.initGeneratorBias();
    straight.train(9);
    const saved = straight.checkpointSave();
    straight.train(6);
    const want = straight.checkpointSave();

    const restored = gan.createFromCheckpoint(saved);
    assert.equal(restored.position().step, 9, 'the position comes with the file');
    assert.equal(restored.dataCount, 0);
    restored.attachData(data, rows);
    assert.equal(restored.position().step, 9);
    restored.train(6);
    const got = restored.checkpointSave();
    assert.equal(Buffer.compare(Buffer.from(got), Buffer.from(want)), 0, 'the restored run differs');

    // The same through checkpointLoad into a model without data.
    const other = gan.create(preset, { batch_size: 100 }, 3);
    other.checkpointLoad(saved);
    assert.equal(other.position().step, 9);
    other.attachData(data, rows);
    other.train(6);
    assert.equal(Buffer.compare(Buffer.from(other.checkpointSave()), Buffer.from(want)), 0, 'the loaded run differs');
    for (const m of [straight, restored, other]) m.free();
  });
}

test('SIMD and scalar builds agree closely after training', async () => {
  const run = async (simd) => {
    const gan = await loadGan({ simd });
    const model = gan.create('small', {}, 11);
    model.attachData(train, 2000);
    model.initGeneratorBias();
    const stats = model.train(10);
    const images = model.generate(model.sampleNoise(3, 4));
    model.free();
    return { stats, images };
  };
  const simd = await run(true);
  const scalar = await run(false);
  assert.ok(Math.abs(simd.stats.d_loss - scalar.stats.d_loss) < 1e-3, `${simd.stats.d_loss} vs ${scalar.stats.d_loss}`);
  let worst = 0;
  for (let i = 0; i < simd.images.length; i++) worst = Math.max(worst, Math.abs(simd.images[i] - scalar.images[i]));
  assert.ok(worst < 1e-3, `largest pixel difference ${worst}`);
});
