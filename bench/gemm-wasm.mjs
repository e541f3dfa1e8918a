// GEMM GFLOP/s of the wasm builds on the paper model's shapes, per layout.
//
//   node bench/gemm-wasm.mjs [--simd build/wasm-test/gan-simd.wasm] [--scalar build/wasm-test/gan-scalar.wasm]
//                            [--reps 5] [--min-ms 40] [--clock cpu|wall] [--conv-model conv|JSON|'']
//                            [--parzen 10000] [--json]
//
// Each figure is the best of --reps timings of a loop that runs for at least
// --min-ms, after 150 ms of warm-up calls (V8 compiles wasm in two tiers and
// swaps in the optimised code between calls). --clock cpu (the default) times
// with the process's CPU time, so that on a shared machine the time this
// process waits for a core is not counted; --clock wall uses the wall clock.
// --json prints one JSON object per line instead of the table. The modules are
// the test build (build/wasm-test: the shipped code, plus src/exports-test.txt),
// whose exports include gemm_nn/nt/tn (the build's kernel) and gemm_*_scalar
// (the reference).
// --conv-model then times the convolutional layers of a model in the SIMD
// module on one thread (network.c's conv_forward / conv_backward and their
// transposed twins, exported by the test build), pass by pass at the bench's
// batch, and sets their GFLOP/s beside the dense GEMM's above: MODEL is a bench
// model name read from the core (default conv, the conv preset) or its JSON as
// bench.mjs read it; '' skips it. Each pass's time is weighted by how often an
// iteration runs it (bench/flops.mjs layerPasses), so the overall figure is
// the conv layers' rate within a training iteration. The passes are timed in two
// rounds, the dense shapes again between them; each figure is its best.
// --parzen N then times the paper's Parzen evaluation in the SIMD module:
// N samples, 1,000 validation points (10 sigmas), N test points, 784 dims
// (0 skips it).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { benchArgs } from './args.mjs';
import { layerPasses } from './flops.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { simd: simdPath, scalar: scalarPath, reps, minMs, parzen: parzenCount, clock, json, convModel } = benchArgs(import.meta.url, {
  simd: { type: 'string', default: path.join(root, 'build/wasm-test/gan-simd.wasm') },
  scalar: { type: 'string', default: path.join(root, 'build/wasm-test/gan-scalar.wasm') },
  reps: { type: 'number', default: 5 },
  'min-ms': { type: 'number', default: 40 },
  clock: { type: 'string', default: 'cpu', choices: ['cpu', 'wall'] },
  parzen: { type: 'number', default: 10000 },
  'conv-model': { type: 'string', default: 'conv' },
  json: { type: 'boolean' },
});
const now = clock === 'wall'
  ? () => performance.now()
  : () => { const u = process.cpuUsage(); return (u.user + u.system) / 1000; };

// A standalone module imports a few WASI/env functions it never needs here.
function instantiate(file) {
  const module = new WebAssembly.Module(readFileSync(file));
  const imports = {};
  for (const { module: name, name: field, kind } of WebAssembly.Module.imports(module)) {
    if (kind !== 'function') throw new Error(`${file}: unexpected import ${name}.${field} (${kind})`);
    imports[name] ??= {};
    imports[name][field] = field === 'proc_exit'
      ? (code) => { throw new Error(`proc_exit(${code})`); }
      : () => 0;
  }
  const instance = new WebAssembly.Instance(module, imports);
  const e = instance.exports;
  e._initialize?.();
  const alloc = e.gan_alloc ?? e.malloc;
  return { e, alloc };
}

// [layout, M, N, K, what]; batch 100, G 100-1200-1200-784, D maxout 784-(240x5)-(240x5)-1.
const shapes = [
  ['nn', 100, 1200, 100, 'G fwd z->h1'],
  ['nn', 100, 1200, 1200, 'G fwd h1->h2'],
  ['nn', 100, 784, 1200, 'G fwd h2->x'],
  ['nn', 100, 1200, 784, 'D fwd x->h1'],
  ['nn', 100, 1200, 240, 'D fwd h1->h2'],
  ['nt', 100, 1200, 1200, 'G bwd dh1'],
  ['nt', 100, 1200, 784, 'G bwd dh2'],
  ['nt', 100, 784, 1200, 'D bwd dx'],
  ['nt', 100, 240, 1200, 'D bwd dh1'],
  ['tn', 100, 1200, 100, 'G dW1'],
  ['tn', 1200, 1200, 100, 'G dW2'],
  ['tn', 1200, 784, 100, 'G dW3'],
  ['tn', 784, 1200, 100, 'D dW1'],
  ['tn', 240, 1200, 100, 'D dW2'],
];

// The best time of one call, in ms: warm-up calls for 150 ms (V8's tiers),
// then the best of `reps` loops of at least `minMs` each.
function bestMs(call) {
  for (const t0 = performance.now(); performance.now() - t0 < 150;) call();
  let best = Infinity;
  for (let r = 0; r < reps; r++) {
    let n = 0;
    const t0 = now();
    let t;
    do { call(); n++; t = now() - t0; } while (t < minMs);
    best = Math.min(best, t / n);
  }
  return best;
}

function gflops(mod, fn, layout, M, N, K) {
  const { e, alloc } = mod;
  const [aRows, aCols] = layout === 'tn' ? [K, M] : [M, K];
  const [bRows, bCols] = layout === 'nt' ? [N, K] : [K, N];
  const pa = alloc(aRows * aCols * 4), pb = alloc(bRows * bCols * 4), pc = alloc(M * N * 4);
  const heap = () => new Float32Array(e.memory.buffer);
  let seed = 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
  heap().subarray(pa / 4, pa / 4 + aRows * aCols).forEach((_, i, v) => { v[i] = rnd(); });
  heap().subarray(pb / 4, pb / 4 + bRows * bCols).forEach((_, i, v) => { v[i] = rnd(); });
  const f = e[fn];
  const best = bestMs(() => f(M, N, K, pa, aCols, pb, bCols, pc, N, 0));
  const release = e.gan_release ?? e.free;
  release(pa); release(pb); release(pc);
  return (2 * M * N * K) / (best * 1e6);
}

const simd = instantiate(simdPath);
const scalar = instantiate(scalarPath);
const rows = [];
for (const [layout, M, N, K, what] of shapes) {
  const s = gflops(simd, `gemm_${layout}`, layout, M, N, K);
  const r = gflops(simd, `gemm_${layout}_scalar`, layout, M, N, K);
  const p = gflops(scalar, `gemm_${layout}`, layout, M, N, K);
  rows.push([layout, `${M}x${N}x${K}`, what, s, r, p, s / p]);
  if (json) {
    console.log(JSON.stringify({ kind: 'gemm', layout, M, N, K, what, clock, simd_gflops: +s.toFixed(2),
      reference_in_simd_gflops: +r.toFixed(2), scalar_gflops: +p.toFixed(2) }));
  }
}
const header = ['layout', 'MxNxK', 'shape', 'SIMD', 'ref in SIMD', 'scalar wasm', 'SIMD/scalar'];
const fmt = (row) => row.map((v, i) => (typeof v === 'number'
  ? (i === 6 ? `${v.toFixed(1)}x` : v.toFixed(1)) : v)).map((v, i) => (i < 3 ? v.padEnd([6, 14, 14][i]) : v.padStart(12))).join(' ');
if (!json) {
  console.log(`wasm GEMM, GFLOP/s (best of ${reps}, >= ${minMs} ms of ${clock === 'wall' ? 'wall-clock' : 'CPU'} time each), node ${process.version}`);
  console.log(`SIMD:   ${path.relative(process.cwd(), simdPath)}  (gemm_*; "ref in SIMD" is gemm_*_scalar compiled with -msimd128)`);
  console.log(`scalar: ${path.relative(process.cwd(), scalarPath)}\n`);
  console.log(fmt(header));
  for (const row of rows) console.log(fmt(row));
}

// The dense GEMMs' rate over the paper's shapes, each once: total FLOPs over
// total time, from each shape's best time (`best`: GFLOP/s per shape).
const denseFlops = shapes.reduce((a, [, M, N, K]) => a + 2 * M * N * K, 0);
const denseRate = (best) => denseFlops / best.reduce((a, gf, i) => a + (2 * shapes[i][1] * shapes[i][2] * shapes[i][3]) / gf, 0);

// ---- the convolutional layers, in isolation ----------------------------------

/** A bench model: a name read from wasm-gan's core (bench/peers/models.mjs) or its JSON. */
async function convModelSpec(text) {
  if (text.trim().startsWith('{')) return JSON.parse(text);
  const { loadCore, modelFromCore } = await import('./peers/models.mjs');
  const gan = await loadCore();
  try { return modelFromCore(gan, text).model; } finally { gan.close?.(); }
}

// Examples per pass through col, as network_create picks it (network.c,
// COL_BUDGET_FLOATS): what fits in 4 MiB of patch rows, at most the network's
// batch (D runs 2B rows: the real and the fake batch).
const COL_BUDGET_FLOATS = 1 << 20;
const chunkOf = (colPerExample, maxBatch) => Math.min(maxBatch, Math.max(1, Math.floor(COL_BUDGET_FLOATS / colPerExample)));

/**
 * Times each pass of every conv / conv_transpose layer of `model` at its batch
 * (forward, weight gradient with the bias's, input gradient), on random
 * values, with the SIMD module's exports. Returns one record per pass.
 */
function timeConvLayers({ e, alloc }, model) {
  const release = e.gan_release ?? e.free;
  const B = model.batch;
  const out = [];
  for (const pass of layerPasses(model)) {
    const { shape } = pass;
    if (shape.kind !== 'conv' && shape.kind !== 'conv_transpose') continue;
    const g = shape.geometry;
    const transpose = shape.kind === 'conv_transpose';
    const imageSize = g.height * g.width * g.channels, gridSize = g.outHeight * g.outWidth * g.gridChannels;
    const [inSize, outSize] = transpose ? [gridSize, imageSize] : [imageSize, gridSize];
    const weightCount = g.kernel * g.kernel * g.channels * g.gridChannels;
    const biasCount = shape.untied ? outSize : (transpose ? g.channels : g.gridChannels);
    // col's row stride and the examples per pass through col, as network_create sets them
    const colStride = e.conv_col_stride ? e.conv_col_stride(g.kernel * g.kernel * g.channels) : 0;
    const rowFloats = colStride || g.kernel * g.kernel * g.channels;
    const chunk = chunkOf(g.outHeight * g.outWidth * rowFloats, pass.net === 'd' ? 2 * B : B);
    const colCount = chunk * g.outHeight * g.outWidth * rowFloats;
    const sizes = { inp: B * inSize, out: B * outSize, dinp: B * inSize, dout: B * outSize, weight: weightCount,
      dweight: weightCount, bias: biasCount, dbias: biasCount, col: colCount };
    const ptr = {};
    for (const [name, n] of Object.entries(sizes)) ptr[name] = alloc(n * 4);
    const geometry = alloc(9 * 4); // network.h's conv_geometry
    new Int32Array(e.memory.buffer, geometry, 9).set([g.height, g.width, g.channels, g.outHeight, g.outWidth, g.kernel, g.stride, g.padding, colStride]);
    let seed = 3;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32) - 0.5;
    for (const name of ['inp', 'dout', 'weight', 'bias']) new Float32Array(e.memory.buffer, ptr[name], sizes[name]).forEach((_, i, v) => { v[i] = rnd(); });
    const channelsArg = transpose ? g.gridChannels : g.gridChannels; // OC of a conv, C (the grid side) of a transposed one
    const untied = shape.untied ? 1 : 0;
    // the partial sums of the bias's and the weight's gradients (network.h's conv_sums_count, in doubles)
    ptr.sums = alloc(e.conv_sums_count(geometry, channelsArg, transpose ? 1 : 0) * 8);
    const fwd = transpose ? e.conv_transpose_forward : e.conv_forward;
    const bwd = transpose ? e.conv_transpose_backward : e.conv_backward;
    const calls = {
      forward: () => fwd(ptr.out, ptr.inp, ptr.weight, ptr.bias, ptr.col, B, geometry, channelsArg, untied, chunk),
      weightGradient: () => bwd(0, ptr.dweight, ptr.dbias, ptr.dout, ptr.inp, ptr.weight, ptr.col, B, geometry, channelsArg, untied, chunk, ptr.sums),
      inputGradient: () => bwd(ptr.dinp, 0, 0, ptr.dout, ptr.inp, ptr.weight, ptr.col, B, geometry, channelsArg, untied, chunk, ptr.sums),
    };
    for (const [kind, call] of Object.entries(calls)) {
      const ms = bestMs(call);
      out.push({ net: pass.net, layer: shape.layer, layerKind: shape.kind, pass: kind, count: pass[kind], chunk, colStride,
        what: `${pass.net}.layers.${shape.layer} ${transpose ? 'convT' : 'conv'} ${g.channels}x${g.height}x${g.width} ${transpose ? '<-' : '->'} ${g.gridChannels}x${g.outHeight}x${g.outWidth} k${g.kernel}s${g.stride}p${g.padding}`,
        flops: pass.flopsPerBatch, ms, gflops: pass.flopsPerBatch / (ms * 1e6) });
    }
    for (const p of Object.values(ptr)) release(p);
    release(geometry);
  }
  return out;
}

if (convModel && simd.e.conv_forward) {
  const model = await convModelSpec(convModel);
  // Two rounds of the conv passes with the dense shapes timed again between
  // them, each figure the best of its rounds (and of the table's): the load of
  // a shared machine drifts over the half minute this takes.
  const denseBest = rows.map((row) => row[3]);
  const first = timeConvLayers(simd, model);
  shapes.forEach(([layout, M, N, K], i) => { denseBest[i] = Math.max(denseBest[i], gflops(simd, `gemm_${layout}`, layout, M, N, K)); });
  const passes = timeConvLayers(simd, model).map((p, i) => (first[i].ms < p.ms ? first[i] : p));
  const denseGflops = denseRate(denseBest);
  if (passes.length) {
    // Weighted by the passes of one iteration: the conv layers' rate inside training.
    const flops = passes.reduce((a, p) => a + p.count * p.flops, 0);
    const ms = passes.reduce((a, p) => a + p.count * p.ms, 0);
    const convGflops = flops / (ms * 1e6);
    if (json) {
      for (const p of passes) console.log(JSON.stringify({ kind: 'conv', model: model.name, ...p, ms: +p.ms.toFixed(3), gflops: +p.gflops.toFixed(2), clock }));
      console.log(JSON.stringify({ kind: 'conv-summary', model: model.name, batch: model.batch, clock, conv_gflops: +convGflops.toFixed(2),
        dense_gflops: +denseGflops.toFixed(2), ratio: +(convGflops / denseGflops).toFixed(3), conv_ms_per_iteration: +ms.toFixed(1),
        conv_gflop_per_iteration: +(flops / 1e9).toFixed(3) }));
    } else {
      console.log(`\nconv layers of ${model.name} (batch ${model.batch}), SIMD, 1 thread: each pass alone, x its count in an iteration`);
      console.log(['layer'.padEnd(48), 'pass'.padEnd(15), 'count', 'chunk', 'ms'.padStart(8), 'GFLOP/s'.padStart(8), 'of conv time'.padStart(13)].join(' '));
      for (const p of passes) {
        console.log([p.what.padEnd(48), p.pass.padEnd(15), String(p.count).padStart(5), String(p.chunk).padStart(5), p.ms.toFixed(2).padStart(8),
          p.gflops.toFixed(1).padStart(8), `${((100 * p.count * p.ms) / ms).toFixed(1)}%`.padStart(13)].join(' '));
      }
      console.log(`conv layers ${convGflops.toFixed(1)} GFLOP/s (${(flops / 1e9).toFixed(2)} GFLOP in ${ms.toFixed(0)} ms an iteration) against the dense GEMM's ` +
        `${denseGflops.toFixed(1)} GFLOP/s on the paper's shapes (best of two timings each): ${(100 * convGflops / denseGflops).toFixed(0)}%`);
    }
  }
} else if (convModel && !json) {
  console.log('\nconv layers: the SIMD module does not export conv_forward (an older test build?)');
}

// The paper's protocol at full size: gan_parzen_evaluate on random pixels.
function timeParzen({ e, alloc }, n, dim = 784, nValidation = 1000) {
  if (!e.gan_parzen_evaluate) return null;
  const release = e.gan_release ?? e.free;
  const ps = alloc(n * dim * 4), pv = alloc(nValidation * dim * 4), pt = alloc(n * dim * 4);
  const result = alloc(256);
  let seed = 7;
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
  const heap = new Float32Array(e.memory.buffer);
  for (const [p, count] of [[ps, n], [pv, nValidation], [pt, n]]) {
    for (let i = 0; i < count * dim; i++) heap[p / 4 + i] = rnd();
  }
  // One long call, compiled cold, as a user runs it; wall and CPU time.
  const t0 = performance.now(), c0 = process.cpuUsage();
  const status = e.gan_parzen_evaluate(ps, n, pv, nValidation, pt, n, dim, result);
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(c0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const r = new Float64Array(e.memory.buffer, result, 3);
  const out = { status, ms, cpuMs, sigma: r[0], mean: r[1], stdError: r[2] };
  release(ps); release(pv); release(pt); release(result);
  return out;
}

if (parzenCount > 0) {
  const r = timeParzen(simd, parzenCount);
  if (!r) console.log(json ? JSON.stringify({ kind: 'parzen', error: 'no gan_parzen_evaluate' }) : '\nParzen: the SIMD module does not export gan_parzen_evaluate');
  else if (json) {
    console.log(JSON.stringify({ kind: 'parzen', samples: parzenCount, validation: 1000, test: parzenCount, dim: 784, status: r.status, seconds: +(r.ms / 1000).toFixed(3), cpu_seconds: +(r.cpuMs / 1000).toFixed(3) }));
  } else {
    const flop = 2 * 784 * parzenCount * (parzenCount + 1000);
    console.log(`\nParzen evaluate, SIMD: ${parzenCount} samples x (1000 validation x 10 sigmas + ${parzenCount} test) x 784:` +
      ` ${(r.ms / 1000).toFixed(2)} s wall, ${(r.cpuMs / 1000).toFixed(2)} s CPU (GEMM part ${(flop / 1e9).toFixed(0)} GFLOP; status ${r.status},` +
      ` sigma ${r.sigma.toFixed(3)}, mean ${r.mean.toFixed(1)} +- ${r.stdError.toFixed(2)} on random pixels)`);
  }
}
