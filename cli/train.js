// `wasm-gan train`: runs training in the worker (the page's code path),
// writing samples.png, interpolation.png, neighbours.png, metrics.jsonl and
// checkpoint.safetensors into --out.
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { loadCheckpoint, readInputFile, writingTo } from './files.js';
import { join } from 'node:path';
import { GanClient } from '../web/runtime/client.js';
import { loadTrainingSet } from './data.js';
import { UsageError } from './options.js';
import { nearest, searchIndex } from '../web/runtime/neighbours.js';
import { imageShape, tileGrid, tilesOf, writeFileAtomically, writePng } from './images.js';
import { Progress, fixed } from './progress.js';

// Fixed noise seeds of the figures, so that samples.png shows the same z
// throughout a run (and across runs).
export const GRID_SEED = 20140610;
const GRID_COUNT = 100;
const INTERPOLATION_SEED = 3;
const INTERPOLATION_ROWS = 8;
const INTERPOLATION_STEPS = 10;
const NEIGHBOUR_SEED = 2;
const NEIGHBOUR_COUNT = 24;
const DEFAULT_STEPS = 5000;
const FIGURE_SCALE = 2; // pixels per image pixel in the PNGs

export const METRIC_FIELDS = ['step', 'epoch', 'elapsed_s', 'steps_per_s', 'd_loss', 'g_loss', 'd_real', 'd_fake',
  'd_grad_norm', 'g_grad_norm', 'd_learning_rate', 'g_learning_rate', 'momentum', 'non_finite_total'];

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

  const client = await GanClient.create({ simd: options.simd, threads: options.threads });
  let interrupted = false;
  let progress = null;
  const onSigint = () => {
    if (interrupted) process.exit(130); // second Ctrl-C: leave at once
    interrupted = true;
    progress?.log('Interrupted: saving a checkpoint (Ctrl-C again to quit without it)');
    client.pause().catch(() => {});
  };
  process.on('SIGINT', onSigint);
  try {
    let config;
    let step;
    if (resumeBytes) {
      const loaded = await loadCheckpoint(client, resumeBytes, options.resume);
      config = loaded.config;
      step = loaded.step;
    } else {
      const configured = await client.configure(options.preset, options.overrides).catch((error) => {
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
      if (dataset.dim !== dataDim) {
        throw new Error(`${dataset.dir}: images have ${dataset.rows}x${dataset.cols} = ${dataset.dim} pixels, the model's data_dim is ${dataDim}`);
      }
      await client.setData(dataset.train, dataset.trainCount, dataset.dim);
    }
    const examplesPerEpoch = Number(config.examples_per_epoch) || (dataset ? dataset.trainCount : 20000);
    const stepsPerEpoch = examplesPerEpoch / (Number(config.batch_size) * Number(config.d_steps));
    const target = options.epochs !== undefined ? Math.ceil(options.epochs * stepsPerEpoch - 1e-9) : (options.steps ?? DEFAULT_STEPS);

    const [height, width] = dataset ? [dataset.rows, dataset.cols] : imageShape(dataDim);
    const images = dataDim > 1;
    const gridZ = images ? (await client.noise(GRID_SEED, GRID_COUNT)).z : null;

    const writeSamples = async () => {
      const { images: pixels } = await client.sample({ z: gridZ });
      writePng(paths.samples, tileGrid(tilesOf(pixels, dataDim), 10, { height, width, scale: FIGURE_SCALE }));
    };
    let searchable = null; // the neighbour search's index of the training images, built at the first figures
    const writeFigures = async () => {
      await writeSamples();
      const { z: ends } = await client.noise(INTERPOLATION_SEED, 2 * INTERPOLATION_ROWS);
      const noiseDim = ends.length / (2 * INTERPOLATION_ROWS);
      const tiles = [];
      for (let row = 0; row < INTERPOLATION_ROWS; row++) {
        const z0 = ends.slice(2 * row * noiseDim, (2 * row + 1) * noiseDim);
        const z1 = ends.slice((2 * row + 1) * noiseDim, (2 * row + 2) * noiseDim);
        const { images: strip } = await client.interpolate(z0, z1, INTERPOLATION_STEPS, false);
        tiles.push(...tilesOf(strip, dataDim));
      }
      writePng(paths.interpolation, tileGrid(tiles, INTERPOLATION_STEPS, { height, width, scale: FIGURE_SCALE }));
      const { images: samples } = await client.sample({ seed: NEIGHBOUR_SEED, count: NEIGHBOUR_COUNT });
      searchable ??= searchIndex(dataset.train, dataset.trainCount, dataDim);
      const { images: neighbours } = nearest(searchable, samples, NEIGHBOUR_COUNT);
      const pairs = [];
      for (let i = 0; i < NEIGHBOUR_COUNT; i++) {
        pairs.push({ pixels: samples.subarray(i * dataDim, (i + 1) * dataDim) });
        pairs.push({ pixels: neighbours.subarray(i * dataDim, (i + 1) * dataDim), frame: [230, 200, 40] });
      }
      // Paper Figure 2: each sample, then (framed) its nearest training image.
      writePng(paths.neighbours, tileGrid(pairs, 8, { height, width, pad: 3, scale: FIGURE_SCALE }));
    };
    const writeCheckpoint = async () => {
      const { bytes } = await client.save();
      writeFileAtomically(paths.checkpoint, bytes);
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
    client.on('stats', (stats) => {
      lastStats = stats;
      progress?.update(stats);
      if (Date.now() - lastLine >= options.logInterval * 1000) logLine(stats);
    });
    client.on('error', (error) => progress?.log(`worker: ${error.message}`));

    if (!options.quiet) {
      stdout.write(`wasm-gan train: ${resumeBytes ? `resuming ${options.resume} at step ${step}` : `preset ${options.preset}`}, ` +
        `${client.simd ? 'wasm SIMD' : 'wasm scalar'}, ${client.threads} thread${client.threads === 1 ? '' : 's'}, ${target} steps ` +
        `(${(target / stepsPerEpoch).toFixed(2)} epochs of ${examplesPerEpoch}), output in ${out}\n`);
    }
    progress = new Progress({ total: target, start: Math.min(step, target), stream: stdout, quiet: options.quiet });
    let failure = null;
    while (step < target && !interrupted) {
      const until = Math.min(target, nextMultiple(step, options.sampleEvery), nextMultiple(step, options.checkpointEvery));
      const stopped = client.waitFor('state', (m) => !m.running);
      await client.start(until);
      const state = await stopped;
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
    client.terminate();
  }
}
