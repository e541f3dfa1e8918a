#!/usr/bin/env node
// wasm-gan side of `npm run bench`: trains one preset with one wasm build in
// this process, through the project's loader (web/runtime/loader.js), on real
// MNIST rows 0..49999 drawn by the core itself (gan_attach_data + gan_train).
//
//   node bench/train-wasm.mjs --variant simd|scalar --model paper|small
//        [--threads N] [--seconds 5] [--windows 3] [--warmup 3] [--min-iters 2]
//        [--long STEPS] [--seed 1] [--batch 100 (0: the preset's own)] [--describe] [--serve]
//
// Prints one JSON line: iterations/s (best window), GFLOP/s from bench/flops.mjs,
// the architecture read back from the core (so the TF.js peer can train the same
// one), wasm memory (total, beyond the dataset) and, with --long, wasm memory
// every 1,000 steps of a STEPS-step run (the issue's "no growth over 10,000 steps").
// --serve: set up, then time one window per "window SECONDS" line on stdin and
// print the same result line on "end" (bench/serve.mjs; --windows is ignored).

import { CHILD_OPTIONS, benchArgs } from './args.mjs';
import { iterationFlops } from './flops.mjs';
import { loadMnist, serve, timing, windowTimer } from './serve.mjs';
import { describe, loadCore, modelFromCore } from './peers/models.mjs';

const OPTIONS = {
  ...CHILD_OPTIONS,
  variant: { type: 'string', default: 'simd', choices: ['simd', 'scalar'] },
  threads: { type: 'number', default: 1 },
  warmup: { type: 'number', default: 3 },
  long: { type: 'number', default: 0 },
  batch: { type: 'number', default: 100 }, // 0 = the preset's own
  'wasm-dir': { type: 'string' }, // default web/wasm
  describe: { type: 'boolean' }, // print the preset's architecture only
};

async function main() {
  const opts = benchArgs(import.meta.url, OPTIONS);
  // CPU time adds up every thread's work: threaded rows are timed by the wall clock.
  const clock = opts.threads > 1 ? 'wall' : opts.clock;
  const gan = await loadCore({ simd: opts.variant === 'simd', threads: opts.threads, wasmDir: opts.wasmDir });
  // Threads: loadGan picks gan-simd-threads.wasm and starts helper workers on a
  // shared memory; it falls back to one thread silently and says why in threadsNote.
  const threadsActual = gan.threads ?? 1;
  const done = (line) => { process.stdout.write(JSON.stringify(line) + '\n'); gan.close?.(); };

  // The bench's common ground (batch 100, k = 1, alternating: ganSetup); a
  // model that is not a preset (the issue's 784-256 MLP) is its base preset
  // with the architecture set key by key (gan_config_set, as any user can).
  const { preset, overrides, config: presetConfig, model } = modelFromCore(gan, opts.model, { batch: opts.batch, seed: opts.seed });
  if (opts.describe) {
    done({ system: 'wasm-gan', model: opts.model, spec: model, config: presetConfig });
    return;
  }
  if (opts.threads > 1 && threadsActual < opts.threads) {
    process.stdout.write(JSON.stringify({ system: `wasm-gan-${opts.variant}-t${opts.threads}`, label: `wasm-gan SIMD, ${opts.threads} threads`, model: opts.model, threads: opts.threads,
      skipped: `${threadsActual} thread(s) running: ${gan.threadsNote ?? 'threads not available'}` }) + '\n');
    gan.close?.();
    return;
  }

  const memory = () => gan.memory.buffer.byteLength;
  const memoryAtLoad = memory();
  const data = loadMnist(model.examplesPerEpoch || 50000);
  const m = gan.create(preset, overrides, opts.seed);
  const memoryAfterCreate = memory();
  m.attachData(data.images, data.count);
  m.initGeneratorBias();
  const datasetBytes = data.images.byteLength;
  const memoryAfterData = memory();

  const t0 = performance.now();
  let last = m.train(Math.max(1, opts.warmup));
  const warmupSeconds = (performance.now() - t0) / 1000;
  const memoryAfterWarmup = memory();

  let long = null;
  const timer = windowTimer({ clock, minIters: opts.minIters, step: () => { last = m.train(1); } });
  timer.iterations = opts.warmup;
  const timedWindow = (seconds) => ({ ...timer.run(seconds), status: last.status });

  // The result line, from the windows run so far (and the --long run).
  const result = () => {
    const flops = iterationFlops(model).total;
    const memoryEnd = memory();
    return {
      system: systemName(opts, threadsActual),
      label: `wasm-gan ${opts.variant === 'simd' ? 'SIMD' : 'scalar'}, ${threadsActual} thread${threadsActual > 1 ? 's' : ''}`,
      model: opts.model,
      architecture: describe(model),
      spec: model,
      simd: gan.simd,
      threads: threadsActual,
      threadsNote: gan.threadsNote ?? null,
      ...timing({ windows: timer.windows, wallWindows: timer.wallWindows, clock, iterations: timer.iterations, warmupSeconds, flopsPerIt: flops }),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      wasmMemoryBytes: memoryEnd,
      datasetBytes,
      wasmMemoryBeyondDatasetBytes: memoryEnd - datasetBytes,
      wasmMemoryTrace: { atLoad: memoryAtLoad, afterCreate: memoryAfterCreate, afterData: memoryAfterData, afterWarmup: memoryAfterWarmup, end: memoryEnd },
      trainingGrowthBytes: memoryEnd - memoryAfterWarmup,
      long,
      dLoss: last.d_loss,
      gLoss: last.g_loss,
      status: last.status,
      node: process.version,
    };
  };

  if (opts.serve) {
    // bench.mjs's interleaved rounds: one window per request, the result on "end".
    await serve({
      ready: { system: systemName(opts, threadsActual), model: opts.model, threads: threadsActual, warmupSeconds },
      runWindow: timedWindow,
      finish: () => { const r = result(); m.free(); gan.close?.(); return r; },
    });
    return;
  }
  for (let w = 0; w < opts.windows; w++) {
    timedWindow(opts.seconds);
    if (last.status !== 'GAN_OK') break;
  }

  if (opts.long > 0) {
    const trace = [{ step: last.step, memoryBytes: memory() }];
    const start = performance.now();
    for (let done = 0; done < opts.long;) {
      const chunk = Math.min(1000, opts.long - done);
      last = m.train(chunk);
      done += chunk;
      trace.push({ step: last.step, memoryBytes: memory() });
      if (last.status !== 'GAN_OK') break;
    }
    long = {
      steps: opts.long,
      seconds: (performance.now() - start) / 1000,
      memoryBeforeBytes: trace[0].memoryBytes,
      memoryAfterBytes: trace[trace.length - 1].memoryBytes,
      growthBytes: trace[trace.length - 1].memoryBytes - trace[0].memoryBytes,
      trace,
      finalStats: last,
    };
  }

  const r = result();
  m.free();
  done(r);
}

const systemName = (opts, threads) => `wasm-gan-${opts.variant}${threads > 1 ? `-t${threads}` : ''}`;

main().then(() => process.exit(0), (err) => {
  process.stdout.write(JSON.stringify({ system: 'wasm-gan', error: String(err?.stack ?? err) }) + '\n');
  process.exit(1);
});
