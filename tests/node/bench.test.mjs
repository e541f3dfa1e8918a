// The bench's method: rows timed in interleaved rounds by long-lived children
// (bench/serve.mjs, bench/rounds.mjs), run for real on a small configuration,
// and the serve protocol of bench/train-wasm.mjs and build/native/gan_bench.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { roundOrder } from '../../bench/rounds.mjs';

const path = (p) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const BENCH = path('bench/bench.mjs');
const TRAIN_WASM = path('bench/train-wasm.mjs');
const GAN_BENCH = path('build/native/gan_bench');

function run(args) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

// A serve-mode child: reply(command) writes one command line and resolves the next JSON line.
function serveChild(command, args) {
  const child = spawn(command, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  let pending = '';
  let stderr = '';
  const lines = [];
  const waiters = [];
  child.stdout.on('data', (d) => {
    pending += d;
    for (let i; (i = pending.indexOf('\n')) >= 0;) {
      const line = pending.slice(0, i).trim();
      pending = pending.slice(i + 1);
      if (!line.startsWith('{')) continue;
      const waiter = waiters.shift();
      if (waiter) waiter(JSON.parse(line)); else lines.push(JSON.parse(line));
    }
  });
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  const next = () => (lines.length ? Promise.resolve(lines.shift())
    : Promise.race([new Promise((resolve) => waiters.push(resolve)),
      exited.then((code) => { throw new Error(`exited ${code} before answering: ${stderr}`); })]));
  return {
    next,
    reply(command) { child.stdin.write(`${command}\n`); return next(); },
    exited,
  };
}

test('roundOrder: every row once per round, a new order each round, no fixed predecessor', () => {
  for (let n = 1; n <= 7; n++) {
    for (let r = 0; r < 2 * n; r++) {
      assert.deepEqual([...roundOrder(n, r)].sort((a, b) => a - b), [...Array(n).keys()], `n ${n}, round ${r}`);
    }
  }
  assert.deepEqual([0, 1, 2, 3].map((r) => roundOrder(2, r)), [[0, 1], [1, 0], [0, 1], [1, 0]]);
  // Even n: over n rounds each row runs right after each other row exactly once.
  for (const n of [4, 6]) {
    const pairs = new Map();
    for (let r = 0; r < n; r++) {
      const order = roundOrder(n, r);
      for (let i = 1; i < n; i++) pairs.set(`${order[i - 1]}>${order[i]}`, (pairs.get(`${order[i - 1]}>${order[i]}`) ?? 0) + 1);
    }
    assert.equal(pairs.size, n * (n - 1));
    assert.ok([...pairs.values()].every((count) => count === 1));
  }
});

test('bench.mjs times the rows of a model in interleaved rounds, one window at a time', async () => {
  const result = await run([BENCH, '--models', 'mlp256', '--only', 'wasm-simd,wasm-simd-threads,tfjs-wasm',
    '--threads', '2', '--seconds', '0.3', '--windows', '2', '--json']);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /interleaved in 2 rounds/);
  const rows = result.stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual(rows.map((r) => r.system), ['wasm-gan-simd', 'wasm-gan-simd-t2', 'tfjs-wasm']);
  for (const row of rows) {
    assert.equal(row.error, undefined, `${row.system}: ${row.error}`);
    assert.equal(row.model, 'mlp256');
    assert.ok(row.itPerSec > 0, `${row.system} it/s ${row.itPerSec}`);
    assert.equal(row.windows.length, 2, row.system);
    assert.equal(row.itPerSec, Math.max(...row.windows), `${row.system}: the best window`);
    assert.ok(row.peakRssBytes > 20 * 2 ** 20, `${row.system} peak RSS ${row.peakRssBytes}`);
    assert.equal(row.windowLog.length, 2, row.system);
    assert.deepEqual(row.windowLog.map((w) => w.itPerSec), row.windows, `${row.system}: the log is the windows`);
  }

  // In time order (start and end are each child's Unix-clock milliseconds), the
  // windows never overlap, and each round has one window of every row before
  // the next round starts. (A few ms of slack: the clocks of two processes.)
  const windows = rows.flatMap((row) => row.windowLog.map((w) => ({ ...w, system: row.system })))
    .sort((a, b) => a.start - b.start);
  for (let i = 1; i < windows.length; i++) {
    assert.ok(windows[i - 1].end <= windows[i].start + 5, `window ${i - 1} (${windows[i - 1].system}) overlaps window ${i} (${windows[i].system})`);
  }
  assert.deepEqual(windows.map((w) => w.round), [0, 0, 0, 1, 1, 1]);
  const order = (round) => windows.filter((w) => w.round === round).map((w) => w.system);
  for (const round of [0, 1]) assert.deepEqual([...order(round)].sort(), rows.map((r) => r.system).sort(), `round ${round}`);
  assert.notDeepEqual(order(0), order(1), 'the order changes each round');
  for (const w of windows) assert.ok(w.end - w.start >= 300 - 5, `a ${w.end - w.start} ms window of ${w.system}`);
});

test('train-wasm.mjs --serve: ready, window, errors for bad commands, end', async () => {
  const child = serveChild(process.execPath, [TRAIN_WASM, '--serve', '--model', 'mlp256', '--warmup', '1', '--min-iters', '1']);
  const ready = await child.next();
  assert.equal(ready.ready, true);
  assert.equal(ready.system, 'wasm-gan-simd');

  const first = await child.reply('window 0.2');
  assert.equal(first.window, 0);
  assert.ok(first.itPerSec > 0 && first.iterations >= 1);
  assert.ok(first.end - first.start >= 200 && first.seconds >= 0.2, JSON.stringify(first));
  assert.match((await child.reply('bogus')).error, /unknown command "bogus"; expected "window SECONDS" or "end"/);
  assert.match((await child.reply('window soon')).error, /window needs one positive number of seconds/);
  assert.match((await child.reply('window 0')).error, /window needs one positive number of seconds/);
  const second = await child.reply('window 0.1');
  assert.equal(second.window, 1, 'bad commands do not count as windows');
  assert.ok(second.start >= first.end);

  const end = await child.reply('end');
  assert.equal(end.system, 'wasm-gan-simd');
  assert.deepEqual(end.windows, [first.itPerSec, second.itPerSec]);
  assert.equal(end.itPerSec, Math.max(first.itPerSec, second.itPerSec));
  assert.equal(end.iterations, 1 + first.iterations + second.iterations);
  assert.ok(end.peakRssBytes > 0 && end.wasmMemoryBytes > 0);
  assert.equal(await child.exited, 0);
});

test('gan_bench --serve speaks the same protocol', { skip: !existsSync(GAN_BENCH) && 'build/native/gan_bench not built' }, async () => {
  const child = serveChild(GAN_BENCH, ['--serve', '--train', 'small']);
  const ready = await child.next();
  assert.equal(ready.ready, true, JSON.stringify(ready));
  const w = await child.reply('window 0.1');
  assert.equal(w.window, 0);
  assert.ok(w.itPerSec > 0 && w.iterations >= 1 && w.end > w.start, JSON.stringify(w));
  assert.match((await child.reply('window')).error, /window needs one positive number of seconds/);
  assert.match((await child.reply('nope "quoted"')).error, /unknown command "nope "quoted""; expected "window SECONDS" or "end"/);
  const end = await child.reply('end');
  assert.equal(end.kind, 'train');
  assert.deepEqual(end.windows.length, 1);
  assert.ok(end.itPerSec > 0 && end.peakRssBytes > 0);
  assert.equal(await child.exited, 0);
});
