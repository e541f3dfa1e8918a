// Do the generated digits look like digits? A short run of the page's
// default, `cgan` (small as a conditional GAN), through the CLI; then a small
// classifier trained here on real MNIST judges 1,000 samples read back from
// `wasm-gan sample`'s IDX file (sample i asks for digit i mod 10): it must
// recognise them with high confidence, find every class, and mostly see the
// asked digit. Then `wasm-gan eval` (the paper's Parzen estimate) must show
// the page's recipe at work: the issue's 200 nats need about 11,000 steps
// (docs/conditional.md); the bound below is for STEPS = 8,000.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findIdxFile, readIdxFile } from '../../web/runtime/idx-node.js';
import { parseIdx } from '../../web/runtime/idx.js';
import { defaultDataDir } from '../../cli/data.js';
import { mulberry32 } from '../../web/runtime/toy-data.js';
import { runCli } from './helpers.mjs';

const MEASURED_STEPS = 8000; // the Parzen bound below is for this many
const STEPS = Number(process.env.WASM_GAN_QUALITY_STEPS ?? MEASURED_STEPS);
const SAMPLES = 1000;
const tmp = mkdtempSync(join(tmpdir(), 'wasm-gan-quality-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

// A 784-128-10 ReLU MLP trained by plain SGD with a seeded initialisation:
// about 94% on the first 2,000 MNIST test images after two epochs over 20,000.
class Classifier {
  constructor(hidden = 128, seed = 1) {
    const random = mulberry32(seed);
    this.hidden = hidden;
    this.w1 = Float32Array.from({ length: 784 * hidden }, () => (random() * 2 - 1) * Math.sqrt(6 / 784));
    this.b1 = new Float32Array(hidden);
    this.w2 = Float32Array.from({ length: hidden * 10 }, () => (random() * 2 - 1) * Math.sqrt(6 / hidden));
    this.b2 = new Float32Array(10);
    this.h = new Float32Array(hidden);
    this.p = new Float32Array(10);
  }

  // x: 784 floats in [0, 1]; fills this.p with class probabilities.
  forward(x) {
    const { hidden, w1, b1, w2, b2, h, p } = this;
    h.set(b1);
    for (let i = 0; i < 784; i++) {
      const v = x[i];
      if (v === 0) continue;
      const row = i * hidden;
      for (let j = 0; j < hidden; j++) h[j] += v * w1[row + j];
    }
    for (let j = 0; j < hidden; j++) if (h[j] < 0) h[j] = 0;
    let max = -Infinity;
    for (let c = 0; c < 10; c++) {
      let s = b2[c];
      for (let j = 0; j < hidden; j++) s += h[j] * w2[j * 10 + c];
      p[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < 10; c++) { p[c] = Math.exp(p[c] - max); sum += p[c]; }
    for (let c = 0; c < 10; c++) p[c] /= sum;
    return p;
  }

  trainStep(x, label, rate) {
    const { hidden, w1, b1, w2, b2, h, p } = this;
    this.forward(x);
    const dh = new Float32Array(hidden);
    for (let c = 0; c < 10; c++) {
      const g = p[c] - (c === label ? 1 : 0);
      b2[c] -= rate * g;
      for (let j = 0; j < hidden; j++) {
        dh[j] += g * w2[j * 10 + c];
        w2[j * 10 + c] -= rate * g * h[j];
      }
    }
    for (let j = 0; j < hidden; j++) if (h[j] <= 0) dh[j] = 0;
    for (let i = 0; i < 784; i++) {
      const v = x[i];
      if (v === 0) continue;
      const row = i * hidden;
      for (let j = 0; j < hidden; j++) w1[row + j] -= rate * v * dh[j];
    }
    for (let j = 0; j < hidden; j++) b1[j] -= rate * dh[j];
  }
}

const toFloat = (bytes, index) => Float32Array.from(bytes.subarray(index * 784, (index + 1) * 784), (v) => v / 255);

// asked(i): the class generated image i was asked to be (none for real or noise images)
function judge(classifier, images, count, asked = null) {
  const counts = new Array(10).fill(0);
  let confident = 0;
  let meanConfidence = 0;
  let agree = 0;
  for (let i = 0; i < count; i++) {
    const p = classifier.forward(toFloat(images, i));
    let best = 0;
    for (let c = 1; c < 10; c++) if (p[c] > p[best]) best = c;
    counts[best]++;
    meanConfidence += p[best] / count;
    if (p[best] > 0.9) confident++;
    if (asked && best === asked(i)) agree++;
  }
  const classes = counts.filter((n) => n >= count * 0.05).length;
  return { counts, classes, confident: confident / count, meanConfidence, agreement: asked ? agree / count : null };
}

test(`after ${STEPS} steps of \`cgan\`, a classifier recognises the generated digits, each the one asked for`, { timeout: 15 * 60 * 1000 }, async () => {
  // Train the generator (in a child process) while the classifier trains here.
  const out = join(tmp, 'run');
  const training = runCli(['train', '--preset', 'cgan', '--steps', String(STEPS), '--seed', '1', '--out', out,
    '--sample-every', String(STEPS), '--checkpoint-every', String(STEPS), '-q']);

  const dir = defaultDataDir();
  const trainImages = readIdxFile(findIdxFile(dir, 'trainImages')).data;
  const trainLabels = readIdxFile(findIdxFile(dir, 'trainLabels')).data;
  const testImages = readIdxFile(findIdxFile(dir, 'testImages')).data;
  const testLabels = readIdxFile(findIdxFile(dir, 'testLabels')).data;
  const classifier = new Classifier();
  const order = mulberry32(7);
  const N = 20000;
  for (let epoch = 0; epoch < 2; epoch++) {
    for (let n = 0; n < N; n++) {
      const i = Math.floor(order() * N);
      classifier.trainStep(toFloat(trainImages, i), trainLabels[i], epoch === 0 ? 0.05 : 0.02);
    }
  }
  let correct = 0;
  for (let i = 0; i < 2000; i++) {
    const p = classifier.forward(toFloat(testImages, i));
    let best = 0;
    for (let c = 1; c < 10; c++) if (p[c] > p[best]) best = c;
    if (best === testLabels[i]) correct++;
  }
  const accuracy = correct / 2000;
  assert.ok(accuracy > 0.92, `classifier accuracy on real test digits: ${accuracy}`);
  const real = judge(classifier, testImages, SAMPLES);

  const trained = await training;
  assert.equal(trained.code, 0, trained.stderr);
  const file = join(tmp, 'generated.idx3-ubyte');
  const sampled = await runCli(['sample', '--checkpoint', join(out, 'checkpoint.safetensors'), '--count', String(SAMPLES), '--seed', '5', '--out', file]);
  assert.equal(sampled.code, 0, sampled.stderr);
  const generated = parseIdx(new Uint8Array(readFileSync(file)), { expect: 'images' });
  const fake = judge(classifier, generated.data, SAMPLES, (i) => i % 10);

  // Noise images, as a control: the criteria below must reject them.
  const random = mulberry32(3);
  const noise = Uint8Array.from({ length: 200 * 784 }, () => (random() < 0.15 ? 255 : 0));
  const control = judge(classifier, noise, 200);

  const report = (r) => `${r.classes} classes of 5% or more, ${(100 * r.confident).toFixed(0)}% with p > 0.9, mean confidence ${r.meanConfidence.toFixed(3)}, ${r.agreement !== null ? `the asked digit ${(100 * r.agreement).toFixed(1)}%, ` : ''}per class ${r.counts.join(' ')}`;
  console.log(`# classifier accuracy ${accuracy.toFixed(3)}\n# real test digits: ${report(real)}\n# generated:        ${report(fake)}\n# noise (control):  ${report(control)}`);
  assert.ok(!(control.classes === 10 && control.meanConfidence > 0.75 && control.confident > 0.4), 'the control must fail the check');
  assert.ok(fake.classes === 10, `generated digits cover too few classes: ${report(fake)}`);
  assert.ok(fake.agreement > 0.85, `the generated digits are not the ones asked for: ${report(fake)}`);
  assert.ok(fake.meanConfidence > 0.75, `the classifier is unsure of the generated digits: ${report(fake)}`);
  assert.ok(fake.confident > 0.4, `too few confidently recognised digits: ${report(fake)}`);

  if (STEPS !== MEASURED_STEPS) return;
  const evaluated = await runCli(['eval', '--checkpoint', join(out, 'checkpoint.safetensors')]);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  const nats = Number(/test set \(10000 images\): (-?[\d.]+) ±/.exec(evaluated.stdout)?.[1]);
  console.log(`# Parzen estimate after ${STEPS} steps: ${nats} nats`);
  assert.ok(nats >= 160, `Parzen estimate ${nats} nats after ${STEPS} steps: expected at least 160 (180 when measured)`);
});
