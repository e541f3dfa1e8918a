#!/usr/bin/env node
// A/B timing of two wasm builds in one process, for kernel work on a shared
// machine: both train the same model, in alternating windows, and the best
// window of each is compared (load from other programs hits both alike).
//
//   node bench/ab-wasm.mjs --a DIR --b DIR [--model mlp256|small|paper] [--threads N]
//                          [--seconds 1] [--rounds 8] [--threads-b N]
//
// DIR holds gan-simd.wasm (and gan-simd-threads.wasm for --threads > 1).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.mjs';
import { loadMnist } from './serve.mjs';
import { ganSetup, loadCore } from './peers/models.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const opts = benchArgs(import.meta.url, {
  a: { type: 'string', default: path.join(root, 'web/wasm') },
  b: { type: 'string', default: path.join(root, 'web/wasm') },
  model: { type: 'string', default: 'mlp256' },
  threads: { type: 'number', default: 1 },
  'threads-b': { type: 'number' }, // default: --threads
  seconds: { type: 'number', default: 1 },
  rounds: { type: 'number', default: 8 },
});
const { model, seconds, rounds } = opts;
const dirA = path.resolve(opts.a), dirB = path.resolve(opts.b);
const data = loadMnist(50000);

async function setup(dir, threads) {
  const gan = await loadCore({ threads, wasmDir: dir });
  const { preset, overrides } = ganSetup(model);
  const m = gan.create(preset, overrides, 1);
  m.attachData(data.images, data.count);
  m.initGeneratorBias();
  m.train(5);
  return { gan, m, best: 0, all: [] };
}
const a = await setup(dirA, opts.threads), b = await setup(dirB, opts.threadsB ?? opts.threads);
for (let r = 0; r < rounds; r++) {
  for (const x of r % 2 ? [b, a] : [a, b]) {
    const t0 = performance.now();
    let n = 0;
    while (performance.now() - t0 < seconds * 1000) { x.m.train(1); n++; }
    const rate = n / ((performance.now() - t0) / 1000);
    x.all.push(rate);
    x.best = Math.max(x.best, rate);
  }
}
const fmt = (x) => x.all.map((v) => v.toFixed(1)).join(' ');
console.log(`${model}: A ${path.relative(root, dirA) || '.'} (${a.gan.threads} thr) best ${a.best.toFixed(1)} it/s [${fmt(a)}]`);
console.log(`${model}: B ${path.relative(root, dirB) || '.'} (${b.gan.threads} thr) best ${b.best.toFixed(1)} it/s [${fmt(b)}]`);
console.log(`B/A ${(b.best / a.best).toFixed(3)}`);
a.gan.close(); b.gan.close();
process.exit(0);
