// Hostile input to the CLI (issue 14, items 5-7): options that would have no
// effect or would be misread are refused, naming the option and the value;
// every failure names the file; eval checks its data's shape; non-regular
// files (a FIFO, a directory) are refused before reading.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GanClient } from '../../web/runtime/client.js';
import { encodeIdxImages } from '../../web/runtime/idx.js';
import { coreDescription } from '../../cli/describe.js';
import { parseTrain } from '../../cli/options.js';

const BIN = fileURLToPath(new URL('../../bin/wasm-gan.mjs', import.meta.url));
const FASHION = '/usr/share/datasets/fashion-mnist';
const tmp = mkdtempSync(join(tmpdir(), 'wasm-gan-cli-hostile-'));
process.on('exit', () => rmSync(tmp, { recursive: true, force: true }));
const at = (...parts) => join(tmp, ...parts);

/** Runs the CLI; a run that hangs (a FIFO read, say) is killed after `timeout` ms and reported as such. */
function run(args, { timeout = 60000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => { stderr += `[killed after ${timeout} ms]`; child.kill('SIGKILL'); }, timeout);
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

let checkpoint;
before(async () => {
  // a real `small` checkpoint at step 0, and files that are not what they claim
  const client = await GanClient.create({ threads: 1 });
  try {
    await client.configure('small', {}, 1);
    checkpoint = at('small.safetensors');
    writeFileSync(checkpoint, (await client.save()).bytes);
  } finally {
    client.terminate();
  }
  writeFileSync(at('corrupt.safetensors'), Buffer.from('{"this is": "not a checkpoint"}'.padEnd(200, ' ')));
  mkdirSync(at('folder.safetensors'));
  execFileSync('mkfifo', [at('fifo.safetensors')]);
  // eval data: 120 training images of 28x28, and 784 test images of 20x20,
  // whose 313,600 pixels divide by 784
  const data = (name) => { mkdirSync(at(name)); return (file, bytes) => writeFileSync(at(name, file), bytes); };
  const shapes = data('shapes');
  shapes('train-images-idx3-ubyte', encodeIdxImages(new Uint8Array(120 * 784).fill(9), 120, 28, 28));
  shapes('t10k-images-idx3-ubyte', encodeIdxImages(new Uint8Array(784 * 400).fill(9), 784, 20, 20));
  const fifo = data('fifo');
  execFileSync('mkfifo', [at('fifo', 'train-images-idx3-ubyte')]);
  fifo('t10k-images-idx3-ubyte', encodeIdxImages(new Uint8Array(10 * 784), 10, 28, 28));
  const folder = data('folder');
  folder('train-images-idx3-ubyte', encodeIdxImages(new Uint8Array(120 * 784), 120, 28, 28));
  mkdirSync(at('folder', 't10k-images-idx3-ubyte'));
});
after(() => {});

test('options that would have no effect or be misread are refused, naming the option and the value (item 5)', async () => {
  const cases = [
    [['train', '--resume', ''], /--resume must name a file, not ''/],
    [['train', '--set', 'g.layers.0.keep_prob=0.5'],
      /--set g\.layers\.0\.keep_prob=0\.5 would have no effect: g\.layers\.0 is a dense layer, which uses units and init_range, not keep_prob/],
    [['train', '--set', 'd.layers.1.units=8'], /--set d\.layers\.1\.units=8 would have no effect: d\.layers\.1 is a leaky_relu layer/],
    [['train', '--set', 'g.layers.9.units=5'], /--set g\.layers\.9\.units=5 would have no effect: G has 6 layers \(g\.layers\.0 to g\.layers\.5\); there is no layer 9/],
    [['train', '--preset', 'toy', '--data-dir', FASHION], /--data-dir \/usr\/share\/datasets\/fashion-mnist: the toy model \(data_dim 1\) draws its own 1-D data/],
    [['train', '--lr', '0x10'], /--lr must be a number greater than 0, not '0x10'/],
    [['train', '--lr', '0b1'], /--lr must be .*, not '0b1'/],
    [['train', '--lr', '1e'], /--lr must be .*, not '1e'/],
    [['train', '--lr', ' 3'], /--lr must be .*, not ' 3'/],
    [['train', '--lr', 'Infinity'], /--lr must be .*, not 'Infinity'/],
    [['train', '--set', 'g.learning_rate=0x10'], /--set g\.learning_rate=0x10: the core refuses g\.learning_rate=0x10/],
    [['train', '--steps', '0x10'], /--steps must be an integer, not '0x10'/],
    [['train', '--steps', '9007199254740993'], /--steps must be an integer below 2\^53, not '9007199254740993'/],
    [['train', '--log-interval', '0x1'], /--log-interval must be a decimal number, not '0x1'/],
    [['train', '--out', ''], /--out must name a folder, not ''/],
    [['train', '--data-dir', ''], /--data-dir must name a folder, not ''/],
    [['sample', '--checkpoint', checkpoint, '--out', at('x.idx'), '--png', ''], /--png must name a file, not ''/],
    [['sample', '--checkpoint', '', '--out', at('x.idx')], /--checkpoint must name a file, not ''/],
    // the core's own sentence (gan_config_explain), and the option that breaks it
    [['train', '--set', 'd.layers.6.units=2'],
      /invalid configuration: D must end in a dense layer of 1 unit \(its logit\); d\.layers\.6 is dense with output 2 x 1 x 1 \(--set d\.layers\.6\.units=2 on the small preset; without it the configuration is valid\)/],
    [['train', '--g-momentum-start-epoch', '20', '--g-momentum-end-epoch', '10'],
      /invalid configuration: g\.momentum_end_epoch \(10\) is before g\.momentum_start_epoch \(20\) \(--g-momentum-start-epoch 20 on the small preset; without it the configuration is valid\)/],
    [['train', '--preset', 'conv', '--set', 'd.layers.0.kernel=31'],
      /invalid configuration: d\.layers\.0 \(conv\): kernel 31 is larger than its input 1 x 28 x 28 padded by 1 on each side \(30 x 30\)/],
    [['train', '--preset', 'paper-cifar-conv', '--set', 'g.layers.4.channels=81'],
      /invalid configuration: g\.layers\.4 \(reshape\): 81 x 10 x 10 is 8100 values, but its input 8000 x 1 x 1 has 8000/],
  ];
  await Promise.all(cases.map(async ([args, pattern]) => {
    const result = await run(args);
    assert.equal(result.code, 2, `${args.join(' ')}: exit ${result.code}\n${result.stderr}`);
    assert.match(result.stderr, pattern, args.join(' '));
  }));
});

test('u64 options stay exact text; other integers must be safe', async () => {
  const description = await coreDescription();
  const options = parseTrain(['--seed', '18446744073709551615', '--set', 'seed=9007199254740993'], description);
  assert.equal(options.overrides.seed, '9007199254740993');
  assert.equal(parseTrain(['--seed', '9007199254740993'], description).overrides.seed, '9007199254740993');
  assert.equal(parseTrain(['--lr', '2e-4', '--k', '+2'], description).overrides.d_steps, '2');
  assert.throws(() => parseTrain(['--k', '2.0'], description), /--k must be a whole number/);
});

test('every failure names the file (item 6)', async () => {
  const corrupt = at('corrupt.safetensors');
  const missing = at('missing.safetensors');
  const cases = [
    [['sample', '-c', corrupt, '-o', at('s.idx')], `checkpoint ${corrupt}: checkpoint`],
    [['eval', '-c', corrupt, '--samples', '10', '--validation', '5', '--test', '5'], `checkpoint ${corrupt}: checkpoint`],
    [['train', '--resume', corrupt, '--steps', '1', '--out', at('r')], `checkpoint ${corrupt}: checkpoint`],
    [['sample', '-c', missing, '-o', at('s.idx')], `checkpoint ${missing}: no such file`],
    [['train', '--resume', at('folder.safetensors'), '--out', at('r2')], `checkpoint ${at('folder.safetensors')}: is not a regular file (a directory)`],
    [['sample', '-c', at('fifo.safetensors'), '-o', at('s.idx')], `checkpoint ${at('fifo.safetensors')}: is not a regular file (a FIFO)`],
    [['sample', '-c', checkpoint, '-o', at('no-such-folder', 's.idx')], `${at('no-such-folder', 's.idx')}: cannot write it (ENOENT)`],
  ];
  await Promise.all(cases.map(async ([args, text]) => {
    const result = await run(args, { timeout: 30000 });
    assert.equal(result.code, 1, `${args.join(' ')}: exit ${result.code}\n${result.stderr}`);
    assert.ok(result.stderr.startsWith(`wasm-gan: ${text}`), `${args.join(' ')}:\n${result.stderr}`);
  }));
});

test('eval --data-dir checks the images\' shape; non-regular data files are refused before reading (item 7)', async () => {
  const args = (dir) => ['eval', '-c', checkpoint, '--data-dir', at(dir), '--samples', '10', '--validation', '5', '--test', '5'];
  const [shapes, fifo, folder, trainFifo] = await Promise.all([
    run(args('shapes')),
    run(args('fifo'), { timeout: 30000 }),
    run(args('folder')),
    run(['train', '--data-dir', at('fifo'), '--steps', '1', '--out', at('t')], { timeout: 30000 }),
  ]);
  assert.equal(shapes.code, 1, shapes.stderr);
  assert.match(shapes.stderr, /t10k-images-idx3-ubyte: test images are 20x20, the training file's .* are 28x28/);
  for (const result of [fifo, trainFifo]) {
    assert.equal(result.code, 1, result.stderr);
    assert.match(result.stderr, /fifo\/train-images-idx3-ubyte: is not a regular file \(a FIFO\)/);
  }
  assert.equal(folder.code, 1, folder.stderr);
  assert.match(folder.stderr, /folder\/t10k-images-idx3-ubyte: is not a regular file \(a directory\)/);
});
