// `wasm-gan eval`: the paper's Parzen-window log-likelihood (Table 1) of a
// checkpoint's generator on the MNIST test set.
import { GanClient } from '../web/runtime/client.js';
import { loadGan } from '../web/runtime/loader.js';
import { loadTestImages, loadTrainingSet } from './data.js';
import { loadCheckpoint, readInputFile } from './files.js';

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
  const bytes = options.real ? null : readInputFile(options.checkpoint, 'checkpoint');
  const training = loadTrainingSet(options.dataDir);
  const testSet = loadTestImages(options.dataDir);
  const dim = training.dim;
  // Validation rows come from the training file, test rows from the test
  // file: both must be images of one shape, or rows would be cut across images.
  if (testSet.rows !== training.rows || testSet.cols !== training.cols || testSet.channels !== training.channels) {
    const shape = (set) => `${set.rows}x${set.cols}${set.channels === 1 ? '' : `x${set.channels}`}`;
    throw new Error(`${testSet.path}: test images are ${shape(testSet)}, ` +
      `the training file's (${training.path}, validation rows included) are ${shape(training)}`);
  }
  if (training.validationCount < 1) throw new Error(`${training.path}: no rows left for validation (${training.trainCount + training.validationCount} images)`);
  const nValidation = Math.min(options.validation, training.validationCount);
  const nTest = Math.min(options.test ?? testSet.count, testSet.count);
  if (options.real) return realEstimate(options, { training, testSet, nValidation, nTest }, stdout);
  const client = await GanClient.create({ simd: options.simd });
  try {
    const loaded = await loadCheckpoint(client, bytes, options.checkpoint);
    if (Number(loaded.config.data_dim) !== dim) {
      throw new Error(`checkpoint ${options.checkpoint}: the model makes ${loaded.config.data_dim}-value images, ` +
        `the images of ${training.path} and ${testSet.path} are ${training.rows}x${training.cols}` +
        `${training.channels === 1 ? '' : `x${training.channels}`} = ${dim}`);
    }
    if (Number(loaded.config.gcn_scale) > 0) {
      throw new Error(`checkpoint ${options.checkpoint}: the model makes contrast-normalised images (gcn_scale ` +
        `${loaded.config.gcn_scale}, ${loaded.config.preset || 'no preset'}); the paper's Parzen estimate is of pixel values in [0, 1] (MNIST, TFD)`);
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

/**
 * `eval --real`: the same protocol with the first `samples` training images
 * in place of generated samples, for scale: what a generator that drew the
 * training data itself would score.
 */
async function realEstimate(options, { training, testSet, nValidation, nTest }, stdout) {
  const dim = training.dim;
  const n = Math.min(options.samples, training.trainCount);
  const gan = await loadGan({ simd: options.simd });
  const started = Date.now();
  const result = gan.parzenEvaluate(training.train.subarray(0, n * dim), n,
    training.validation.subarray(0, nValidation * dim), nValidation, testSet.images.subarray(0, nTest * dim), nTest, dim);
  const seconds = (Date.now() - started) / 1000;
  if (options.json) {
    stdout.write(`${JSON.stringify({ real: n, ...result, samples: n, validation: nValidation, test: nTest, seconds })}\n`);
  } else {
    stdout.write(`Parzen window log-likelihood on the test set (${nTest} images): ` +
      `${result.mean.toFixed(1)} ± ${result.std_error.toFixed(1)} nats\n` +
      `sigma ${result.sigma.toFixed(4)}, chosen on ${nValidation} validation images; ` +
      `the first ${n} training images in place of samples; ${seconds.toFixed(1)} s\n`);
  }
  return 0;
}
