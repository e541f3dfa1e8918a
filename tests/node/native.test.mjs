// The native engine (build/native/wasm-gan-native) against the wasm one,
// through the CLI: the same checkpoint bytes after N steps (small preset;
// paper in both update orders, native on 2 threads), checkpoints resumed
// across engines both ways, and `wasm-gan reproduce` resumed equal to an
// uninterrupted run.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NATIVE_ENGINE } from '../../cli/native-engine.js';
import { runCli } from './helpers.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'wasm-gan-native-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const skip = !existsSync(NATIVE_ENGINE) && `${NATIVE_ENGINE} not built`;

const checkpoint = (dir) => readFileSync(join(dir, 'checkpoint.safetensors'));

async function train(name, args) {
  const dir = join(tmp, name);
  const result = await runCli(['train', '--quiet', '--out', dir, ...args]);
  assert.equal(result.code, 0, result.stderr);
  return dir;
}

function assertSameBytes(a, b, what) {
  assert.equal(a.length, b.length, `${what}: sizes differ`);
  assert.ok(Buffer.compare(a, b) === 0, `${what}: bytes differ`);
}

test('small preset: native and wasm checkpoints are the same bytes after 60 steps', { skip }, async () => {
  const args = ['--preset', 'small', '--seed', '3', '--steps', '60', '--checkpoint-every', '1000'];
  const native = await train('small-native', [...args, '--engine', 'native', '--threads', '1']);
  const wasm = await train('small-wasm', [...args, '--engine', 'wasm', '--threads', '1']);
  assertSameBytes(checkpoint(native), checkpoint(wasm), 'small, 60 steps');
  for (const file of ['samples.png', 'interpolation.png', 'neighbours.png', 'metrics.jsonl']) {
    assert.ok(existsSync(join(native, file)), `native run wrote ${file}`);
  }
  assertSameBytes(readFileSync(join(native, 'samples.png')), readFileSync(join(wasm, 'samples.png')), 'samples.png');
});

test('paper preset, both update orders: native on 2 threads gives wasm\'s bytes', { skip }, async () => {
  for (const order of ['simultaneous', 'alternating']) {
    const args = ['--preset', 'paper', '--seed', '5', '--steps', '4', '--update-order', order];
    const native = await train(`paper-${order}-native`, [...args, '--engine', 'native', '--threads', '2']);
    const wasm = await train(`paper-${order}-wasm`, [...args, '--engine', 'wasm', '--threads', '1']);
    assertSameBytes(checkpoint(native), checkpoint(wasm), `paper ${order}, 4 steps`);
  }
});

test('max_col_norm: native on 2 threads gives wasm\'s bytes (dense, maxout; convolutions, transposed, class weights)', { skip }, async () => {
  const runs = [
    ['paper', ['--preset', 'paper', '--steps', '4']],
    ['conv', ['--preset', 'conv', '--conditional', 'concat', '--steps', '2']],
  ];
  for (const [name, model] of runs) {
    const args = [...model, '--seed', '6', '--max-col-norm', '0.5'];
    const native = await train(`max-col-norm-${name}-native`, [...args, '--engine', 'native', '--threads', '2']);
    const wasm = await train(`max-col-norm-${name}-wasm`, [...args, '--engine', 'wasm', '--threads', '1']);
    assertSameBytes(checkpoint(native), checkpoint(wasm), `${name} with max_col_norm`);
  }
});

test('checkpoints resume across engines, both ways, bit-identically', { skip }, async () => {
  const args = ['--preset', 'small', '--seed', '9'];
  const straight = await train('straight', [...args, '--steps', '40', '--engine', 'wasm', '--threads', '1']);
  const half = await train('half-native', [...args, '--steps', '20', '--engine', 'native']);
  const onWasm = await train('resumed-wasm', ['--resume', join(half, 'checkpoint.safetensors'), '--steps', '40', '--engine', 'wasm']);
  assertSameBytes(checkpoint(onWasm), checkpoint(straight), 'native 20 + wasm 20');
  const halfWasm = await train('half-wasm', [...args, '--steps', '20', '--engine', 'wasm']);
  const onNative = await train('resumed-native', ['--resume', join(halfWasm, 'checkpoint.safetensors'), '--steps', '40', '--engine', 'native']);
  assertSameBytes(checkpoint(onNative), checkpoint(straight), 'wasm 20 + native 20');
});

test('reproduce: evaluations, figures and report; stopped and started again it is the same run', { skip }, async () => {
  const trial = ['--samples', '300', '--validation', '100', '--test', '200', '--eval-every', '3', '--checkpoint-every', '2', '--quiet', '--threads', '1'];
  const whole = join(tmp, 'reproduce-whole');
  let result = await runCli(['reproduce', '--prior', 'gaussian', '--steps', '6', '--out', whole, ...trial]);
  assert.equal(result.code, 0, result.stderr);
  const parts = join(tmp, 'reproduce-parts');
  result = await runCli(['reproduce', '--prior', 'gaussian', '--steps', '4', '--out', parts, ...trial]);
  assert.equal(result.code, 0, result.stderr);
  result = await runCli(['reproduce', '--prior', 'gaussian', '--steps', '6', '--out', parts, ...trial, '--engine', 'wasm']);
  assert.equal(result.code, 0, result.stderr);
  assertSameBytes(checkpoint(parts), checkpoint(whole), 'reproduce 4 + 2 steps (native, then wasm) against 6');
  const lines = (dir) => readFileSync(join(dir, 'parzen.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  // every --eval-every steps, and at the end of each session (step 4 of the first)
  assert.deepEqual(lines(parts).map((e) => e.step), [3, 4, 6]);
  assert.deepEqual(lines(whole).map((e) => e.step), [3, 6]);
  assert.deepEqual(lines(parts).filter((e) => e.step !== 4).map((e) => e.mean), lines(whole).map((e) => e.mean), 'the same estimates');
  for (const file of ['parzen.png', 'figure2-neighbours.png', 'figure3-interpolation.png', 'samples.png', 'REPORT.md', 'run.json']) {
    assert.ok(existsSync(join(parts, file)), file);
  }
  const report = readFileSync(join(parts, 'REPORT.md'), 'utf8');
  assert.match(report, /Adversarial nets \(paper\) \| 225 ± 2/);
  assert.match(report, /wasm-gan, this run \(step 6\)/);
  assert.match(report, /update order simultaneous/);
  // Another prior in the same folder is refused.
  result = await runCli(['reproduce', '--prior', 'uniform', '--steps', '6', '--out', parts, ...trial]);
  assert.equal(result.code, 1);
  assert.match(result.stderr, /holds another run/);
  // Each evaluation records the learning rates: the authors' decay, one per update.
  for (const e of lines(whole)) assert.ok(Math.abs(e.g_learning_rate - Math.fround(0.1) / Math.fround(1.000004) ** e.step) < 1e-12, `step ${e.step}: ${e.g_learning_rate}`);
  assert.match(report, /\| 6 \| -?[\d.]+ \| [\d.]+ \| [\d.]+ \| 0\.100 \|/);
});

test('reproduce with a step schedule: its rates in the evaluations, and its --set in the report\'s command', { skip }, async () => {
  const dir = join(tmp, 'reproduce-step');
  const trial = ['--samples', '300', '--validation', '100', '--test', '200', '--eval-every', '3', '--quiet', '--threads', '1'];
  const result = await runCli(['reproduce', '--prior', 'gaussian', '--steps', '6', '--set', 'g.learning_rate_step=2', '--out', dir, ...trial]);
  assert.equal(result.code, 0, result.stderr);
  const entries = readFileSync(join(dir, 'parzen.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const decayed = (step) => Math.fround(0.1) / Math.fround(1.000004) ** step;
  // G's rate times 0.1 after updates 2, 4 and 6; D's only decays
  assert.deepEqual(entries.map((e) => e.step), [3, 6]);
  assert.ok(Math.abs(entries[0].g_learning_rate - decayed(3) * Math.fround(0.1)) < 1e-12, `${entries[0].g_learning_rate}`);
  assert.ok(Math.abs(entries[1].g_learning_rate - decayed(6) * Math.fround(0.1) ** 3) < 1e-12, `${entries[1].g_learning_rate}`);
  assert.ok(Math.abs(entries[1].d_learning_rate - decayed(6)) < 1e-12);
  const report = readFileSync(join(dir, 'REPORT.md'), 'utf8');
  assert.match(report, /wasm-gan reproduce --prior gaussian --seed 1 --set g\.learning_rate_step=2 --out /);
});
