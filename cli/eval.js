// `wasm-gan eval`: the paper's Parzen-window log-likelihood (Table 1) of a
// checkpoint's generator on the MNIST test set.
import { GanClient } from '../web/runtime/client.js';
import { loadTestImages, loadTrainingSet } from './data.js';
import { loadCheckpoint, readInputFile } from './files.js';

export async function runEval(options, { stdout = process.stdout } = {}) {
  const bytes = readInputFile(options.checkpoint, 'checkpoint');
  const training = loadTrainingSet(options.dataDir);
  const testSet = loadTestImages(options.dataDir);
  const dim = training.dim;
  // Validation rows come from the training file, test rows from the test
  // file: both must be images of one shape, or rows would be cut across images.
  if (testSet.rows !== training.rows || testSet.cols !== training.cols) {
    throw new Error(`${testSet.path}: test images are ${testSet.rows}x${testSet.cols}, ` +
      `the training file's (${training.path}, validation rows included) are ${training.rows}x${training.cols}`);
  }
  if (training.validationCount < 1) throw new Error(`${training.path}: no rows left for validation (${training.trainCount + training.validationCount} images)`);
  const nValidation = Math.min(options.validation, training.validationCount);
  const nTest = Math.min(options.test ?? testSet.count, testSet.count);
  const client = await GanClient.create({ simd: options.simd });
  try {
    const loaded = await loadCheckpoint(client, bytes, options.checkpoint);
    if (Number(loaded.config.data_dim) !== dim) {
      throw new Error(`checkpoint ${options.checkpoint}: the model makes ${loaded.config.data_dim}-value images, ` +
        `the images of ${training.path} and ${testSet.path} are ${training.rows}x${training.cols} = ${dim}`);
    }
    const started = Date.now();
    const result = await client.evaluate({
      samples: options.samples,
      validation: training.validation.slice(0, nValidation * dim),
      test: testSet.images.slice(0, nTest * dim),
      seed: options.seed,
    });
    const seconds = (Date.now() - started) / 1000;
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
