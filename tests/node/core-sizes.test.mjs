// Sizes that pass 32 bits in wasm32: the core refuses them by status, and
// the model goes on working (issue 14, item 1). Natively size_t is 64 bits,
// so only the wasm build can show this.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadGan } from '../../web/runtime/loader.js';

test('wasm32: counts x dimensions past 4 GiB are refused, and the model still works', async () => {
  const gan = await loadGan({ threads: 1 });
  const model = gan.create('small', { noise_dim: 65536 });
  const invalid = gan.statusCode('GAN_ERR_INVALID_ARGUMENT');
  const buffer = gan.alloc(1024);
  try {
    // 98,304 x 65,536 floats is 24 GiB: a wrapped product would write far past `buffer`
    assert.equal(gan.exports.gan_sample_noise(model.pointer, 1n, 98304, buffer), invalid);
    assert.equal(gan.exports.gan_generate(model.pointer, buffer, 98304, buffer), invalid);
    assert.equal(gan.exports.gan_interpolate(buffer, buffer, 65536, 98304, 0, buffer), invalid);
    // 1.1e9 images of 784 bytes: more than wasm32 addresses
    assert.equal(gan.exports.gan_attach_data(model.pointer, buffer, 1_100_000_000), invalid);
  } finally {
    gan.release(buffer);
  }
  // nothing was written out of bounds: the model saves, samples and trains
  assert.ok(model.checkpointSave().length > 0);
  assert.equal(model.generate(model.sampleNoise(1, 2)).length, 2 * 784);
  model.free();
});
