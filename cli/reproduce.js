// `wasm-gan reproduce`: the paper's MNIST run (Table 1, Figures 2 and 3) as
// one resumable command. Trains the `paper` preset (the authors' simultaneous
// updates) with the chosen prior; every --eval-every steps saves the
// checkpoint, then appends the Parzen estimate with the paper's protocol
// (cli/eval.js: 10,000 samples, sigma on the first 1,000 validation images,
// the 10,000 test images) to parzen.jsonl, redraws parzen.png and the
// figures, and rewrites REPORT.md. Started again on the same folder it
// continues from checkpoint.safetensors: the same run, bit for bit (the
// checkpoint holds the whole training state; evaluation and figures use
// their own fixed noise seeds and never touch it).
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkDataFits, loadTestImages, loadTrainingSet } from './data.js';
import { imageFormat } from '../web/runtime/image-format.js';
import { openTraining } from './engines.js';
import { parzenEstimate } from './eval.js';
import { figureWriter } from './figures.js';
import { writeFileAtomically, writePng } from './images.js';
import { lineChart } from './plot.js';
import { Progress, fixed } from './progress.js';

// The paper's Table 1 (MNIST, nats) and the reference line of the plot.
const TABLE_1 = [['DBN', '138 ± 2'], ['Stacked CAE', '121 ± 1.6'], ['Deep GSN', '214 ± 1.1'], ['Adversarial nets', '225 ± 2']];
const PAPER_NATS = 225;
const METRIC_FIELDS = ['step', 'epoch', 'elapsed_s', 'steps_per_s', 'd_loss', 'g_loss', 'd_real', 'd_fake', 'g_grad_norm', 'd_learning_rate',
  'g_learning_rate', 'momentum'];

const readJsonLines = (path) => (existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line)) : []);

export async function runReproduce(options, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const out = options.out;
  mkdirSync(out, { recursive: true });
  const paths = {
    run: join(out, 'run.json'),
    checkpoint: join(out, 'checkpoint.safetensors'),
    parzen: join(out, 'parzen.jsonl'),
    plot: join(out, 'parzen.png'),
    metrics: join(out, 'metrics.jsonl'),
    samples: join(out, 'samples.png'),
    figure2: join(out, 'figure2-neighbours.png'),
    figure3: join(out, 'figure3-interpolation.png'),
    report: join(out, 'REPORT.md'),
  };
  // The run's identity: a folder holds one run; starting it with other settings is refused.
  const identity = { preset: 'paper', prior: options.prior, seed: options.seed, overrides: options.overrides };
  let run = existsSync(paths.run) ? JSON.parse(readFileSync(paths.run, 'utf8')) : null;
  if (run && JSON.stringify(run.identity) !== JSON.stringify(identity)) {
    throw new Error(`${out} holds another run (${JSON.stringify(run.identity)}); use another --out or the same settings`);
  }
  const resuming = existsSync(paths.checkpoint);
  run ??= { identity, started: new Date().toISOString(), wallSeconds: 0, sessions: [] };

  const training = await openTraining({ engine: options.engine, simd: options.simd, threads: options.threads });
  let stopping = null;
  let progress = null;
  const onSignal = (signal) => () => {
    if (stopping) process.exit(130);
    stopping = signal;
    progress?.log(`${signal}: saving a checkpoint, then stopping (the run resumes from it)`);
    training.pause();
  };
  const handlers = { SIGINT: onSignal('SIGINT'), SIGTERM: onSignal('SIGTERM') };
  for (const [signal, handler] of Object.entries(handlers)) process.on(signal, handler);
  const sessionStarted = Date.now();
  const wallSoFar = run.wallSeconds;
  const saveRun = () => {
    run.wallSeconds = wallSoFar + (Date.now() - sessionStarted) / 1000;
    writeFileAtomically(paths.run, `${JSON.stringify(run, null, 2)}\n`);
  };
  try {
    const overrides = { prior: options.prior, seed: options.seed, ...options.overrides };
    const { config, step: startStep } = resuming
      ? await training.load(readFileSync(paths.checkpoint), paths.checkpoint)
      : await training.configure('paper', overrides);
    let step = startStep;
    const dataset = loadTrainingSet(options.dataDir);
    checkDataFits(config, dataset, 'the paper model');
    const testSet = loadTestImages(options.dataDir);
    await training.setData(dataset);
    run.sessions.push({ started: new Date(sessionStarted).toISOString(), fromStep: step, engine: training.label });
    saveRun();
    if (!resuming) writeFileSync(paths.metrics, '');

    // Evaluations already made (a resumed run keeps those up to its checkpoint).
    let evaluations = readJsonLines(paths.parzen).filter((e) => e.step <= step);
    writeFileSync(paths.parzen, evaluations.map((e) => `${JSON.stringify(e)}\n`).join(''));
    const figures = figureWriter(imageFormat(config), dataset);

    const evaluate = async () => {
      const client = await training.drawing();
      const { result, seconds } = await parzenEstimate(client, {
        training: dataset, testSet, samples: options.samples, validation: options.validation, test: options.test, seed: '0',
      });
      const entry = {
        step, epoch: step / (Number(config.examples_per_epoch) / Number(config.batch_size)),
        mean: result.mean, std_error: result.std_error, sigma: result.sigma,
        samples: options.samples, validation: Math.min(options.validation, dataset.validationCount), test: Math.min(options.test ?? testSet.count, testSet.count),
        eval_seconds: seconds, wall_seconds: wallSoFar + (Date.now() - sessionStarted) / 1000, engine: training.label, time: new Date().toISOString(),
        // the rates and momentum the next updates use (unknown for an evaluation made on resuming)
        ...(lastStats?.step === step ? { g_learning_rate: lastStats.g_learning_rate, d_learning_rate: lastStats.d_learning_rate, momentum: lastStats.momentum } : {}),
      };
      evaluations.push(entry);
      appendFileSync(paths.parzen, `${JSON.stringify(entry)}\n`);
      writePng(paths.plot, lineChart({
        series: [{ points: evaluations.map((e) => [e.step, e.mean]), color: [30, 90, 200] }],
        lines: [{ y: PAPER_NATS, color: [200, 40, 40] }],
      }));
      progress?.log(`step ${step}: Parzen ${entry.mean.toFixed(1)} ± ${entry.std_error.toFixed(1)} nats (sigma ${entry.sigma.toFixed(3)}, ${seconds.toFixed(1)} s)`);
      await writeFigures();
      writeReport();
    };
    const writeFigures = async () => {
      const client = await training.drawing();
      await figures.samples(client, paths.samples);
      await figures.neighbours(client, paths.figure2);
      await figures.interpolation(client, paths.figure3);
    };
    const writeReport = () => writeFileAtomically(paths.report, report({ options, config, evaluations, step, run, training }));

    let lastLine = 0;
    let lastStats = null;
    const onStats = (stats) => {
      lastStats = stats;
      progress?.update(stats);
      if (Date.now() - lastLine >= 10000) logLine(stats);
    };
    const logLine = (stats) => {
      const record = {};
      for (const field of METRIC_FIELDS) record[field] = Number.isFinite(stats[field]) ? stats[field] : null;
      appendFileSync(paths.metrics, `${JSON.stringify(record)}\n`);
      lastLine = Date.now();
    };

    if (!options.quiet) {
      stdout.write(`wasm-gan reproduce: paper preset, ${options.prior} prior, seed ${options.seed}, ${training.label}; ` +
        `${resuming ? `resuming at step ${step}` : 'new run'}, to step ${options.steps}, Parzen every ${options.evalEvery} steps; output in ${out}\n`);
    }
    // A run stopped after its checkpoint but before its evaluation: evaluate now.
    if (step > 0 && step % options.evalEvery === 0 && !evaluations.some((e) => e.step === step)) await evaluate();

    progress = new Progress({ total: options.steps, start: Math.min(step, options.steps), stream: stdout, quiet: options.quiet });
    let failure = null;
    while (step < options.steps && !stopping) {
      const next = (every) => (Math.floor(step / every) + 1) * every;
      const until = Math.min(options.steps, next(options.evalEvery), next(options.checkpointEvery));
      const state = await training.trainUntil(until, onStats);
      if (state.stats) step = state.stats.step;
      if (state.reason === 'non-finite' || state.reason === 'error') {
        failure = `training stopped at step ${step}: ${state.reason === 'non-finite' ? 'a non-finite step' : 'an error'}`;
        break;
      }
      if (lastStats) logLine(lastStats);
      if (step % options.checkpointEvery === 0 || step % options.evalEvery === 0 || stopping || step >= options.steps) {
        writeFileAtomically(paths.checkpoint, await training.checkpoint());
        saveRun();
      }
      if (!stopping && (step % options.evalEvery === 0 || step >= options.steps)) {
        if (!evaluations.some((e) => e.step === step)) await evaluate();
      }
    }
    progress.stop();
    if (failure) {
      stderr.write(`wasm-gan reproduce: ${failure}\n`);
      return 1;
    }
    if (!stopping) {
      await writeFigures();
      run.finished = new Date().toISOString();
    }
    saveRun();
    writeReport();
    stdout.write(`step ${step}${lastStats ? `: D(x) ${fixed(lastStats.d_real)}, D(G(z)) ${fixed(lastStats.d_fake)}` : ''}; ` +
      `${evaluations.length ? `last Parzen ${evaluations.at(-1).mean.toFixed(1)} nats at step ${evaluations.at(-1).step}; ` : ''}` +
      `${stopping ? 'stopped; run the same command again to continue' : 'done'}; ${paths.report}\n`);
    return stopping ? 130 : 0;
  } finally {
    for (const [signal, handler] of Object.entries(handlers)) process.off(signal, handler);
    progress?.stop();
    training.terminate();
  }
}

function report({ options, config, evaluations, step, run, training }) {
  const last = evaluations.at(-1);
  const best = evaluations.reduce((a, e) => (!a || e.mean > a.mean ? e : a), null);
  const hours = (run.wallSeconds / 3600).toFixed(2);
  const ours = last ? `${last.mean.toFixed(1)} ± ${last.std_error.toFixed(1)}` : '(no evaluation yet)';
  const lines = [
    `# Reproducing Table 1: the \`paper\` preset, ${options.prior} prior, seed ${options.seed}`,
    '',
    `${run.finished ? 'Finished' : 'In progress'}: step ${step} of ${options.steps} ` +
      `(${(step / (Number(config.examples_per_epoch) / Number(config.batch_size))).toFixed(1)} epochs), ${hours} h of training wall time over ${run.sessions.length} session(s); ` +
      `update order ${config.update_order}; last engine: ${training.label}.`,
    '',
    '## Table 1 (MNIST, Gaussian Parzen window log-likelihood, nats)',
    '',
    '| model | MNIST |',
    '| --- | --- |',
    ...TABLE_1.map(([name, value]) => `| ${name} (paper) | ${value} |`),
    `| **wasm-gan, this run (step ${last?.step ?? '-'})** | **${ours}** |`,
    '',
    `The estimate uses the paper's protocol: ${last?.samples ?? options.samples} samples, sigma chosen from 10 values in [0.1, 1] ` +
      `on the first ${last?.validation ?? options.validation} validation images (rows 50,000+), mean log-likelihood of ` +
      `${last?.test ?? 'the 10,000'} test images, ± its standard error. The authors had no stopping rule and no model ` +
      'selection, so the row above is the last evaluation, not the best' +
      (best && best !== last ? ` (the best so far: ${best.mean.toFixed(1)} ± ${best.std_error.toFixed(1)} at step ${best.step})` : '') + '.',
    '',
    '## The estimate against training steps',
    '',
    '![Parzen estimate against steps; dashed: the paper\'s 225](parzen.png)',
    '',
    '| step | nats | ± | sigma | G\'s learning rate | wall time (h) |',
    '| --- | --- | --- | --- | --- | --- |',
    ...evaluations.map((e) => `| ${e.step} | ${e.mean.toFixed(1)} | ${e.std_error.toFixed(1)} | ${e.sigma.toFixed(3)} | ` +
      `${Number.isFinite(e.g_learning_rate) ? e.g_learning_rate.toPrecision(3) : ''} | ${(e.wall_seconds / 3600).toFixed(2)} |`),
    '',
    '## Figures',
    '',
    'Figure 2: samples (plain) beside their nearest training images (framed).',
    '',
    '![Figure 2](figure2-neighbours.png)',
    '',
    'Figure 3: linear interpolation between points in z space.',
    '',
    '![Figure 3](figure3-interpolation.png)',
    '',
    `Command: \`wasm-gan reproduce --prior ${options.prior} --seed ${options.seed}` +
      `${Object.entries(options.overrides ?? {}).map(([key, value]) => ` --set ${key}=${value}`).join('')} --out ${options.out}\` (run again to continue).`,
    '',
  ];
  return lines.join('\n');
}
