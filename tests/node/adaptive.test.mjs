// The adaptive k (issue 18) outside the core: its settings reach every
// caller through the description, its stats (d_steps, d_accuracy) reach the
// runtime, the CLI's metrics and progress line, on both engines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadGan } from '../../web/runtime/loader.js';
import { readIdxFile, findIdxFile } from '../../web/runtime/idx-node.js';
import { defaultDataDir } from '../../cli/data.js';
import { checkpointInfo, runCli } from './helpers.mjs';

const tmp = mkdtempSync(join(tmpdir(), 'wasm-gan-adaptive-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

// A band D never reaches: k climbs by one per iteration to k-max.
const CLIMB = { adaptive_k: 1, d_steps_max: 3, d_accuracy_low: 0.99, d_accuracy_high: 1 };

test('the description lists the settings and the stats; the runtime reports k climbing', async () => {
  const gan = await loadGan({ threads: 1 });
  const { keys, stats } = gan.description;
  assert.deepEqual(stats.slice(-2), ['d_steps', 'd_accuracy']);
  const options = Object.fromEntries(keys.map((k) => [k.key, k]));
  assert.equal(options.adaptive_k.option, 'adaptive-k');
  assert.equal(options.d_steps_max.option, 'k-max');
  for (const key of ['adaptive_k', 'd_steps_max', 'd_accuracy_low', 'd_accuracy_high']) assert.ok(options[key].page, key);
  assert.equal(gan.presetConfig('small').adaptive_k, '0');
  assert.throws(() => gan.presetConfig('small', { d_accuracy_low: 0.9, d_accuracy_high: 0.8 }), /d_accuracy_low/);

  const images = readIdxFile(findIdxFile(defaultDataDir(), 'trainImages')).data.subarray(0, 500 * 784);
  const model = gan.create('small', { ...CLIMB, batch_size: 16 });
  model.attachData(images, 500);
  model.initGeneratorBias();
  const ks = [];
  for (let i = 0; i < 4; i++) {
    const s = model.train(1);
    ks.push(s.d_steps);
    const rows = s.d_accuracy * 32;
    assert.ok(rows === Math.round(rows) && rows >= 0 && rows <= 32, `accuracy ${s.d_accuracy}`);
  }
  assert.deepEqual(ks, [1, 2, 3, 3]);
  model.free();
});

for (const engine of ['wasm', 'native']) {
  test(`the CLI (${engine}): metrics.jsonl has d_steps and d_accuracy, the progress line k`, async () => {
    const dir = join(tmp, engine);
    const result = await runCli(['train', '--preset', 'small', '--engine', engine, '--seed', '3', '--steps', '4',
      '--batch', '16', '--adaptive-k', '1', '--k-max', '3', '--d-accuracy-low', '0.99', '--d-accuracy-high', '1',
      '--log-interval', '0', '--sample-every', '100', '--checkpoint-every', '100', '--out', dir]);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /step 4\/4 .* k 3\n/);
    const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    for (const line of lines) {
      assert.equal(typeof line.d_steps, 'number', JSON.stringify(line));
      assert.ok(line.d_accuracy >= 0 && line.d_accuracy <= 1, JSON.stringify(line));
    }
    assert.equal(lines[lines.length - 1].d_steps, 3);
    const info = await checkpointInfo(readFileSync(join(dir, 'checkpoint.safetensors')));
    assert.equal(info.config.adaptive_k, '1');
    assert.equal(info.step, 4);
  });
}

test('the same k and the same bits on both engines', () => {
  const [wasm, native] = ['wasm', 'native'].map((engine) => readFileSync(join(tmp, engine, 'checkpoint.safetensors')));
  assert.ok(wasm.equals(native), 'the wasm and native checkpoints differ');
});
