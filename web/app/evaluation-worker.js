// The Parzen evaluation (the paper's Table 1) in a worker of its own, so
// training goes on and the page keeps drawing while it runs (tens of seconds
// for the paper's 10,000 samples and 10,000 test images). It loads its own
// copy of the core and a copy of the model, as a checkpoint, and reports its
// progress part by part.
//
// In:  {type: 'evaluate', id, checkpoint: Uint8Array, validation, test: Uint8Array (n x data_dim),
//       samples, seed, wasmBase}
//        -> 'progress' {id, fraction, text}..., then
//           'evaluation' {id, sigma, mean, std_error, sigmas, validation_mean, samples, validation, test, step}
// Any failure: {type: 'error', id, code, message}. The conventions of the
// training worker (web/runtime/PROTOCOL.md), through the runtime's WorkerClient.

import { loadGan } from '../runtime/loader.js';
import { connectToParent } from '../runtime/loading.js';

let loading = null; // the core, loaded at the first request

const post = connectToParent(async (message) => {
  const { id } = message;
  try {
    if (message.type !== 'evaluate') throw new Error(`unknown request ${message.type}`);
    loading ??= loadGan({ threads: 1, wasmBase: message.wasmBase });
    loading.catch(() => { loading = null; });
    const gan = await loading;
    post({ type: 'evaluation', id, ...evaluate(gan, message, (fraction, text) => post({ type: 'progress', id, fraction, text })) });
  } catch (error) {
    post({ type: 'error', id, code: error.code ?? 'EVALUATE', message: error.message });
  }
});

function evaluate(gan, { checkpoint, validation, test, samples = 10000, seed = 0 }, report) {
  const model = gan.createFromCheckpoint(checkpoint);
  try {
    const dim = model.dataDim;
    const nValidation = validation.length / dim;
    const nTest = test.length / dim;
    if (!Number.isInteger(nValidation) || !Number.isInteger(nTest) || nValidation < 1 || nTest < 1) {
      throw new Error(`the model makes images of ${dim} values; the validation and test images do not divide into those`);
    }
    const { step } = model.position();
    report(0, `Generating ${samples.toLocaleString('en')} samples…`);
    // As the training worker's `evaluate` and `wasm-gan eval`: noise from the seed, then G.
    const generated = model.generate(model.sampleNoise(seed, samples));
    let last = 0;
    const result = gan.parzenEvaluateInParts(generated, samples, validation, nValidation, test, nTest, dim, {
      onProgress: (done, total, phase) => {
        const now = performance.now();
        if (done < total && now - last < 100) return;
        last = now;
        report(done / total, phase === 'validation'
          ? `Choosing sigma on ${nValidation.toLocaleString('en')} validation images… ${Math.round(100 * done / total)}%`
          : `Scoring ${nTest.toLocaleString('en')} test images… ${Math.round(100 * done / total)}%`);
      },
    });
    return { ...result, samples, validation: nValidation, test: nTest, step };
  } finally {
    model.free?.();
  }
}
