// `wasm-gan eval`: the paper's Parzen-window log-likelihood (Table 1) of a
// checkpoint's generator on the MNIST test set.
import { readFileSync } from 'node:fs';
import { GanClient } from '../web/runtime/client.js';
import { loadTestImages, loadTrainingSet } from './data.js';

/**
 * The paper's protocol on the model a client holds: `samples` samples from
 * noise seed `seed`, sigma chosen on the first `validation` validation images,
 * the mean log-likelihood of the first `test` test images (all by default).
 * Resolves {result: {sigma, mean, std_error, ...}, seconds}.
 */
export async function parzenEstimate(client, { training, testSet, samples = 10000, validation = 1000, test, seed = '0' }) {
  const dim = training.dim;
  const nValidation = Math.min(validation, training.validationCount);
  const nTest = Math.min(test ?? testSet.count, testSet.count);
  const started = Date.now();
  const result = await client.evaluate({
    samples,
    validation: training.validation.slice(0, nValidation * dim),
    test: testSet.images.slice(0, nTest * dim),
    seed,
  });
  return { result, seconds: (Date.now() - started) / 1000, validation: nValidation, test: nTest };
}

export async function runEval(options, { stdout = process.stdout } = {}) {
  const bytes = readFileSync(options.checkpoint);
  const training = loadTrainingSet(options.dataDir);
  const testSet = loadTestImages(options.dataDir);
  const dim = training.dim;
  const nValidation = Math.min(options.validation, training.validationCount);
  const nTest = Math.min(options.test ?? testSet.count, testSet.count);
  const client = await GanClient.create({ simd: options.simd });
  try {
    const loaded = await client.load(bytes);
    if (Number(loaded.config.data_dim) !== dim) {
      throw new Error(`${options.checkpoint}: the model makes ${loaded.config.data_dim}-pixel images, the data set has ${dim}`);
    }
    const { result, seconds } = await parzenEstimate(client, { training, testSet, ...options });
    if (options.json) {
      stdout.write(`${JSON.stringify({ checkpoint: options.checkpoint, step: loaded.step, ...result, seconds })}\n`);
    } else {
      stdout.write(`Parzen window log-likelihood on the test set (${nTest} images): ` +
        `${result.mean.toFixed(1)} ± ${result.std_error.toFixed(1)} nats\n` +
        `sigma ${result.sigma.toFixed(4)}, chosen on ${nValidation} validation images; ` +
        `${options.samples} samples from step ${loaded.step}; ${seconds.toFixed(1)} s\n`);
    }
    return 0;
  } finally {
    client.terminate();
  }
}
