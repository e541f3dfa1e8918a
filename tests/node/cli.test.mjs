// The wasm-gan CLI end to end: every output file, determinism, resume,
// sample/eval, another data set, Ctrl-C, and bad options.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseIdx } from '../../web/runtime/idx.js';
import { checkpointInfo, runCli } from './helpers.mjs';
import { readPng } from '../../cli/images.js';
import { coreDescription } from '../../cli/describe.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const tmp = mkdtempSync(join(tmpdir(), 'wasm-gan-cli-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));

const run = runCli;

const out = (name) => join(tmp, name);
const STEPS = 40;
const common = ['--preset', 'small', '--seed', '11', '--sample-every', '20', '--checkpoint-every', '20', '--log-interval', '0'];

test('a short train run writes every file', async () => {
  const dir = out('full');
  const result = await run(['train', ...common, '--steps', String(STEPS), '--out', dir]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /preset small, wasm SIMD, \d+ threads?, 40 steps/);
  assert.match(result.stdout, /step \d+\/40 .*steps\/s +ETA .*D loss .*G loss .*D\(x\) .*D\(G\(z\)\)/, 'plain progress lines when not a TTY');
  for (const file of ['samples.png', 'interpolation.png', 'neighbours.png', 'metrics.jsonl', 'checkpoint.safetensors']) {
    assert.ok(existsSync(join(dir, file)), file);
  }
  // 28x28 tiles drawn at 2x with 2-pixel gaps (3 in neighbours.png).
  const samples = readPng(readFileSync(join(dir, 'samples.png')));
  assert.deepEqual([samples.width, samples.height], [10 * 58 + 2, 10 * 58 + 2]);
  const interpolation = readPng(readFileSync(join(dir, 'interpolation.png')));
  assert.deepEqual([interpolation.width, interpolation.height], [10 * 58 + 2, 8 * 58 + 2]);
  const neighbours = readPng(readFileSync(join(dir, 'neighbours.png')));
  assert.deepEqual([neighbours.width, neighbours.height], [8 * 59 + 3, 6 * 59 + 3]);
  // The sample grid is not blank: the images (gaps are grey 40) have dark and lit pixels.
  let lit = 0;
  let dark = 0;
  for (let i = 0; i < samples.data.length; i += 4) {
    if (samples.data[i] > 100) lit++;
    if (samples.data[i] < 20) dark++;
  }
  assert.ok(lit > 1000 && dark > 1000, `lit pixels: ${lit}, dark: ${dark}`);

  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.ok(lines.length >= 2);
  for (const line of lines) {
    for (const field of ['step', 'epoch', 'elapsed_s', 'steps_per_s', 'd_loss', 'g_loss', 'd_real', 'd_fake']) {
      assert.equal(typeof line[field], 'number', `${field} in ${JSON.stringify(line)}`);
    }
    assert.ok(line.d_real > 0 && line.d_real < 1 && line.d_fake > 0 && line.d_fake < 1);
  }
  assert.deepEqual(lines.map((l) => l.step), [...lines.map((l) => l.step)].sort((a, b) => a - b));
  assert.equal(lines[lines.length - 1].step, STEPS);
  const info = await checkpointInfo(readFileSync(join(dir, 'checkpoint.safetensors')));
  assert.equal(info.step, STEPS);
  const batch = Number(info.config.batch_size);
  assert.ok(Math.abs(lines[lines.length - 1].epoch - (STEPS * batch) / 50000) < 1e-9, 'epochs of the 50,000 training rows');
});

test('two runs with the same seed give byte-identical checkpoints; another seed does not', async () => {
  const [a, b, c] = await Promise.all([
    run(['train', ...common, '--steps', '30', '--out', out('same-a'), '-q']),
    run(['train', ...common, '--steps', '30', '--out', out('same-b'), '-q', '--sample-every', '7']),
    run(['train', ...common, '--steps', '30', '--out', out('other'), '-q', '--seed', '12']),
  ]);
  for (const r of [a, b, c]) assert.equal(r.code, 0, r.stderr);
  const bytes = (name) => readFileSync(join(out(name), 'checkpoint.safetensors'));
  assert.ok(bytes('same-a').equals(bytes('same-b')), 'same seed, same bytes');
  assert.ok(!bytes('same-a').equals(bytes('other')), 'another seed differs');
});

test('resume equals an uninterrupted run, bit for bit', async () => {
  const whole = out('whole');
  const part = out('part');
  const [full, first] = await Promise.all([
    run(['train', ...common, '--steps', '50', '--out', whole, '-q']),
    run(['train', ...common, '--steps', '23', '--out', part, '-q']),
  ]);
  assert.equal(full.code, 0, full.stderr);
  assert.equal(first.code, 0, first.stderr);
  const resumed = await run(['train', '--resume', join(part, 'checkpoint.safetensors'), '--steps', '50', '--out', part,
    '--sample-every', '20', '--checkpoint-every', '20']);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /resuming .* at step 23/);
  assert.ok(readFileSync(join(part, 'checkpoint.safetensors')).equals(readFileSync(join(whole, 'checkpoint.safetensors'))));
  // metrics.jsonl was appended to, not restarted.
  const steps = readFileSync(join(part, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step);
  assert.ok(steps.includes(23) && steps[steps.length - 1] === 50);
});

test('sample writes MNIST-format IDX3 u8 images; eval prints the Parzen estimate', async () => {
  const checkpoint = join(out('full'), 'checkpoint.safetensors');
  const file = out('samples.idx3-ubyte');
  const sampled = await run(['sample', '--checkpoint', checkpoint, '--count', '1500', '--out', file, '--png', out('sampled.png')]);
  assert.equal(sampled.code, 0, sampled.stderr);
  const images = parseIdx(new Uint8Array(readFileSync(file)), { expect: 'images' });
  assert.deepEqual(images.dims, [1500, 28, 28]);
  assert.ok(images.data.some((v) => v > 200) && images.data.some((v) => v < 20));
  assert.equal(readPng(readFileSync(out('sampled.png'))).width, 39 * 30 + 2);
  const again = await run(['sample', '-c', checkpoint, '-n', '1500', '-o', out('again.idx')]);
  assert.equal(again.code, 0, again.stderr);
  assert.ok(readFileSync(out('again.idx')).equals(readFileSync(file)), 'same seed, same images (chunking does not matter)');

  const evaluated = await run(['eval', '--checkpoint', checkpoint, '--samples', '1000', '--validation', '200', '--test', '300']);
  assert.equal(evaluated.code, 0, evaluated.stderr);
  assert.match(evaluated.stdout, /Parzen window log-likelihood on the test set \(300 images\): -?\d+\.\d ± \d+\.\d nats/);
  assert.match(evaluated.stdout, /sigma 0\.\d+, chosen on 200 validation images; 1000 samples from step 40/);
  const json = await run(['eval', '-c', checkpoint, '--samples', '500', '--validation', '100', '--test', '100', '--json']);
  assert.equal(json.code, 0, json.stderr);
  const result = JSON.parse(json.stdout);
  assert.equal(result.sigmas.length, 10);
  assert.ok(result.sigmas.includes(result.sigma));
  assert.ok(Number.isFinite(result.mean) && result.std_error > 0);
});

test('trains on Fashion-MNIST through --data-dir', async () => {
  const dir = out('fashion');
  const result = await run(['train', '--data-dir', FASHION, '--steps', '15', '--sample-every', '15', '--out', dir, '--seed', '2']);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(existsSync(join(dir, 'neighbours.png')));
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n');
  assert.equal(JSON.parse(lines[lines.length - 1]).step, 15);
  const bad = await run(['train', '--data-dir', tmp, '--steps', '5', '--out', out('nodata')]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /train-images-idx3-ubyte: not found/);
});

test('the toy preset trains from the CLI without image files', async () => {
  const dir = out('toy');
  const result = await run(['train', '--preset', 'toy', '--steps', '200', '--out', dir, '--seed', '3']);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(existsSync(join(dir, 'checkpoint.safetensors')));
  assert.ok(!existsSync(join(dir, 'samples.png')));
});

test('Ctrl-C saves a checkpoint before exiting', async () => {
  const dir = out('interrupted');
  let child;
  const done = run(['train', '--steps', '100000', '--out', dir, '--sample-every', '100000', '--log-interval', '0'], { onSpawn: (c) => { child = c; } });
  // Wait until training runs (metrics lines appear), then interrupt.
  for (let i = 0; i < 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (existsSync(join(dir, 'metrics.jsonl')) && readFileSync(join(dir, 'metrics.jsonl'), 'utf8').split('\n').length > 3) break;
  }
  child.kill('SIGINT');
  const result = await done;
  assert.equal(result.code, 130, result.stderr);
  const { step } = await checkpointInfo(readFileSync(join(dir, 'checkpoint.safetensors')));
  assert.ok(step > 0 && step < 100000, `checkpoint at step ${step}`);
  assert.ok(existsSync(join(dir, 'samples.png')));
});

test('bad options print the usage and exit non-zero', async () => {
  const cases = [
    [['train', '--bogus'], /Unknown option '--bogus'/],
    [['train', '--k', '0'], /--k must be a whole number from 1 to 100, not '0'/],
    [['train', '--steps', 'ten'], /--steps must be an integer/],
    [['train', '--preset', 'huge'], /--preset must be one of small, cgan, paper, toy/],
    [['train', '--loss', 'hinge'], /--loss must be one of non-saturating, minimax/],
    [['train', '--lr=-1'], /--lr must be a number greater than 0/],
    [['train', '--seed', '18446744073709551616'], /--seed must be a whole number from 0 to 18446744073709551615/],
    [['train', '--steps', '5', '--epochs', '1'], /not both/],
    [['train', '--resume', 'x.safetensors', '--lr', '0.1'], /--resume takes the configuration/],
    [['train', '--threads', '0'], /--threads must be in 1\.\.16/],
    [['train', '--set', 'no_such_key=3', '--steps', '1', '--out', out('bad')], /no_such_key/],
    [['sample', '--count', '5'], /--checkpoint is required/],
    [['eval'], /--checkpoint is required/],
    [['quality'], /a checkpoint is required/],
    [['quality', 'a', 'b'], /one checkpoint, not 2/],
    [['quality', 'a', '--checkpoint', 'b'], /give the checkpoint once/],
    [['quality', 'a', '--samples', '0'], /--samples must be in 1\.\.100000, not 0/],
    [['judge', '--bogus'], /Unknown option '--bogus'/],
    [['frobnicate'], /unknown command 'frobnicate'/],
  ];
  await Promise.all(cases.map(async ([args, pattern]) => {
    const result = await run(args);
    assert.equal(result.code, 2, `${args.join(' ')}: exit ${result.code}\n${result.stderr}`);
    assert.match(result.stderr, pattern, args.join(' '));
    assert.match(result.stderr, /Usage: wasm-gan/, args.join(' '));
  }));
  const help = await run(['train', '--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /--resume CKPT/);
  const missing = await run(['sample', '--checkpoint', out('nope.safetensors'), '--out', out('x')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.safetensors/);
});

test('train --help lists an option for every option the core describes, with its range', async () => {
  const description = await coreDescription();
  const help = await run(['train', '--help']);
  assert.equal(help.code, 0, help.stderr);
  const options = [...description.keys.filter((field) => field.option), ...description.groups];
  assert.ok(options.length >= 20, `${options.length} options described`);
  for (const { option } of options) assert.match(help.stdout, new RegExp(`--${option} `), `--${option} in the help`);
  const k = description.keys.find((field) => field.option === 'k');
  assert.match(help.stdout, new RegExp(`--k N .*\\n? *.*from ${k.min} to ${k.max}`), 'the range of --k from the description');
  for (const { name } of description.presets) assert.match(help.stdout, new RegExp(`^ +${name}: `, 'm'), `preset ${name}`);
  // a setting that applies only while another has a value says so
  assert.match(help.stdout.replace(/\s+/g, ' '), /--k-max N .*? used when --adaptive-k is 1 /);
});

test('eval --real scores training images in place of samples, with the paper\'s protocol', async () => {
  const real = await run(['eval', '--real', '--samples', '600', '--validation', '200', '--test', '300', '--json']);
  assert.equal(real.code, 0, real.stderr);
  const figures = JSON.parse(real.stdout);
  assert.deepEqual([figures.real, figures.samples, figures.validation, figures.test], [600, 600, 200, 300]);
  // real digits score far above a model that has not trained, and more samples score higher
  assert.ok(figures.mean > 50 && figures.mean < 400, `${figures.mean} nats`);
  const more = JSON.parse((await run(['eval', '--real', '--samples', '2400', '--validation', '200', '--test', '300', '--json'])).stdout);
  assert.ok(more.mean > figures.mean, `${more.mean} with 2400 samples, ${figures.mean} with 600`);
  const both = await run(['eval', '--real', '--checkpoint', 'x.safetensors']);
  assert.equal(both.code, 2);
  assert.match(both.stderr, /give one or the other/);
});

test('--max-col-norm limits the norm of the weights into each unit after every update, and the checkpoint keeps it', async () => {
  const dir = out('max-col-norm');
  const result = await run(['train', ...common, '--steps', '5', '--max-col-norm', '0.5', '--out', dir]);
  assert.equal(result.code, 0, result.stderr);
  const bytes = readFileSync(join(dir, 'checkpoint.safetensors'));
  const info = await checkpointInfo(bytes);
  assert.equal(info.config['g.max_col_norm'], '0.5');
  assert.equal(info.config['d.max_col_norm'], '0.5');
  // every dense weight [in][out] of both networks: column norms within the limit,
  // and some at it (small's initial weights are larger)
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + headerLength).toString());
  let columns = 0, atLimit = 0;
  for (const [name, t] of Object.entries(header)) {
    if (!/^(generator|discriminator)\.\d+\.weight$/.test(name) || t.shape.length !== 2) continue;
    const [rows, cols] = t.shape;
    const start = 8 + headerLength + t.data_offsets[0];
    const w = new Float32Array(bytes.buffer.slice(bytes.byteOffset + start, bytes.byteOffset + start + rows * cols * 4));
    for (let o = 0; o < cols; o++) {
      let sum = 0;
      for (let i = 0; i < rows; i++) sum += w[i * cols + o] ** 2;
      const norm = Math.sqrt(sum);
      assert.ok(norm <= 0.5 * (1 + 1e-6), `${name} column ${o}: norm ${norm}`);
      columns++;
      if (norm > 0.5 * (1 - 1e-5)) atLimit++;
    }
  }
  assert.ok(columns > 1000 && atLimit > 0, `${atLimit} of ${columns} columns at the limit`);
  for (const bad of ['--max-col-norm=-1', '--g-max-col-norm=2e6']) {
    const refused = await run(['train', ...common, '--steps', '1', bad, '--out', out('max-col-norm-bad')]);
    assert.equal(refused.code, 2, bad);
    assert.match(refused.stderr, /max-col-norm must be a number from 0 to 1000000/);
  }
});

test('--lr-step multiplies the learning rates by --lr-step-factor every N updates, and the checkpoint keeps the schedule', async () => {
  const dir = out('lr-step');
  const result = await run(['train', ...common, '--steps', '7', '--lr-decay', '1', '--lr-step', '3', '--lr-step-factor', '0.5', '--out', dir]);
  assert.equal(result.code, 0, result.stderr);
  const lines = readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const last = lines[lines.length - 1];
  assert.equal(last.step, 7);
  // small's Adam rates, G 2e-3 and D 5e-4 (as floats), halved after updates 3 and 6
  for (const [rate, base] of [[last.g_learning_rate, 2e-3], [last.d_learning_rate, 5e-4]])
    assert.ok(Math.abs(rate - Math.fround(base) / 4) < 1e-12, `rate ${rate}`);
  const info = await checkpointInfo(readFileSync(join(dir, 'checkpoint.safetensors')));
  assert.equal(info.config['g.learning_rate_step'], '3');
  assert.equal(info.config['d.learning_rate_step_factor'], '0.5');
});
