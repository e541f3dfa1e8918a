// `wasm-gan train`: trains on the wasm worker (the page's code path) or the
// native engine (--engine, cli/engines.js), writing samples.png,
// interpolation.png, neighbours.png, metrics.jsonl and checkpoint.safetensors
// into --out.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadCheckpoint, readInputFile, writingTo } from './files.js';
import { join } from 'node:path';
import { checkDataFits, checkLabelsFit, loadTrainingSet } from './data.js';
import { openTraining } from './engines.js';
import { figureWriter } from './figures.js';
import { UsageError } from './options.js';
import { writeFileAtomically } from './images.js';
import { imageFormat } from '../web/runtime/image-format.js';
import { Progress, fixed } from './progress.js';

export { GRID_SEED } from './figures.js';
const DEFAULT_STEPS = 5000;

export const METRIC_FIELDS = ['step', 'epoch', 'elapsed_s', 'steps_per_s', 'd_loss', 'g_loss', 'd_real', 'd_fake',
  'd_grad_norm', 'g_grad_norm', 'd_learning_rate', 'g_learning_rate', 'momentum', 'non_finite_total', 'd_steps', 'd_accuracy'];

const nextMultiple = (step, every) => (Math.floor(step / every) + 1) * every;

export async function runTrain(options, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const out = options.out;
  writingTo(out, () => mkdirSync(out, { recursive: true }));
  const paths = {
    samples: join(out, 'samples.png'),
    interpolation: join(out, 'interpolation.png'),
    neighbours: join(out, 'neighbours.png'),
    metrics: join(out, 'metrics.jsonl'),
    checkpoint: join(out, 'checkpoint.safetensors'),
  };
  const resumeBytes = options.resume !== undefined ? readInputFile(options.resume, 'checkpoint') : null;

  const training = await openTraining({ engine: options.engine, simd: options.simd, threads: options.threads });
  let interrupted = false;
  let progress = null;
  const onSigint = () => {
    if (interrupted) process.exit(130); // second Ctrl-C: leave at once
    interrupted = true;
    progress?.log('Interrupted: saving a checkpoint (Ctrl-C again to quit without it)');
    training.pause();
  };
  process.on('SIGINT', onSigint);
  try {
    let config;
    let step;
    if (resumeBytes) {
      const loaded = await loadCheckpoint(training, resumeBytes, options.resume);
      config = loaded.config;
      step = loaded.step;
    } else {
      const configured = await training.configure(options.preset, options.overrides).catch((error) => {
        // The core checks every field; a value it refuses is a bad option.
        throw error.code === 'GAN_ERR_INVALID_ARGUMENT' ? new UsageError(error.message, 'train') : error;
      });
      config = configured.config;
      step = 0;
    }
    const dataDim = Number(config.data_dim);
    let dataset = null;
    if (dataDim === 1 && options.dataDir !== undefined) {
      throw new UsageError(`--data-dir ${options.dataDir}: the checkpoint's model (data_dim 1) draws its own 1-D data and reads no image files`, 'train');
    }
    if (dataDim !== 1) {
      dataset = loadTrainingSet(options.dataDir);
      checkDataFits(config, dataset, resumeBytes ? `the checkpoint ${options.resume}'s model` : `the ${options.preset} model`);
      checkLabelsFit(config, dataset);
      await training.setData(dataset);
    }
    const examplesPerEpoch = Number(config.examples_per_epoch) || (dataset ? dataset.trainCount : 20000);
    const stepsPerEpoch = examplesPerEpoch / (Number(config.batch_size) * Number(config.d_steps));
    const target = options.epochs !== undefined ? Math.ceil(options.epochs * stepsPerEpoch - 1e-9) : (options.steps ?? DEFAULT_STEPS);

    const images = dataDim > 1;
    const figures = figureWriter(imageFormat(config), dataset);
    const writeSamples = async () => figures.samples(await training.drawing(), paths.samples);
    const writeFigures = async () => {
      const client = await training.drawing();
      await figures.samples(client, paths.samples);
      await figures.interpolation(client, paths.interpolation);
      await figures.neighbours(client, paths.neighbours);
    };
    const writeCheckpoint = async () => {
      writeFileAtomically(paths.checkpoint, await training.checkpoint());
    };

    if (!resumeBytes) writingTo(paths.metrics, () => writeFileSync(paths.metrics, ''));
    let lastStats = null;
    let lastLine = 0;
    const logLine = (stats) => {
      const record = {};
      for (const field of METRIC_FIELDS) record[field] = Number.isFinite(stats[field]) ? stats[field] : null;
      writingTo(paths.metrics, () => appendFileSync(paths.metrics, `${JSON.stringify(record)}\n`));
      lastLine = Date.now();
    };
    const onStats = (stats) => {
      lastStats = stats;
      progress?.update(stats);
      if (Date.now() - lastLine >= options.logInterval * 1000) logLine(stats);
    };
    training.client?.on('error', (error) => progress?.log(`worker: ${error.message}`));

    if (!options.quiet) {
      stdout.write(`wasm-gan train: ${resumeBytes ? `resuming ${options.resume} at step ${step}` : `preset ${options.preset}`}, ` +
        `${training.label}, ${target} steps ` +
        `(${(target / stepsPerEpoch).toFixed(2)} epochs of ${examplesPerEpoch}), output in ${out}\n`);
    }
    progress = new Progress({ total: target, start: Math.min(step, target), stream: stdout, quiet: options.quiet,
      showK: Number(config.adaptive_k) === 1 });
    let failure = null;
    while (step < target && !interrupted) {
      const until = Math.min(target, nextMultiple(step, options.sampleEvery), nextMultiple(step, options.checkpointEvery));
      const state = await training.trainUntil(until, onStats);
      if (lastStats) step = lastStats.step;
      if (state.reason === 'non-finite' || state.reason === 'error') {
        failure = `training stopped at step ${step}: ${state.reason === 'non-finite' ? 'a non-finite step' : 'an error'}`;
        break;
      }
      if (lastStats) { logLine(lastStats); progress.update(lastStats, { force: true }); }
      if (interrupted) break;
      if (images && step % options.sampleEvery === 0 && step < target) await writeSamples();
      if (step % options.checkpointEvery === 0 && step < target) await writeCheckpoint();
    }
    progress.stop();
    await writeCheckpoint();
    if (images) await writeFigures();
    if (!options.quiet || failure || interrupted) {
      const s = lastStats ?? {};
      const summary = `step ${step}: D loss ${fixed(s.d_loss)}, G loss ${fixed(s.g_loss)}, D(x) ${fixed(s.d_real)}, D(G(z)) ${fixed(s.d_fake)}` +
        (s.steps_per_s ? `, ${fixed(s.steps_per_s, 1)} steps/s` : '');
      (failure ? stderr : stdout).write(`${failure ? `wasm-gan train: ${failure}\n` : ''}${summary}\n` +
        `wrote ${images ? 'samples.png, interpolation.png, neighbours.png, ' : ''}metrics.jsonl, checkpoint.safetensors in ${out}\n`);
    }
    if (failure) return 1;
    return interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    progress?.stop();
    training.terminate();
  }
}
