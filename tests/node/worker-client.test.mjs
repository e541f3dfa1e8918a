// WorkerClient (web/runtime/worker-client.js) on a small worker of its own:
// answers by id, progress reports, errors, events, and a worker that dies.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { spawnSync } from 'node:child_process';
import { WorkerClient, WorkerError } from '../../web/runtime/worker-client.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-gan-worker-client-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const loading = new URL('../../web/runtime/loading.js', import.meta.url).href;
const file = path.join(dir, 'echo-worker.mjs');
writeFileSync(file, `
import { connectToParent } from ${JSON.stringify(loading)};
const post = connectToParent(async (message) => {
  const { type, id } = message;
  if (type === 'count') {
    for (let i = 1; i <= message.to; i++) post({ type: 'progress', id, done: i });
    post({ type: 'counted', id, total: message.to });
  } else if (type === 'announce') {
    post({ type: 'news', text: message.text });
    post({ type: 'announced', id });
  } else if (type === 'die') {
    process.exit(3);
  } else {
    post({ type: 'error', id, code: 'BAD_REQUEST', message: 'unknown ' + type });
  }
});
`);

test('requests, progress, errors, events and a failing worker', async () => {
  const client = WorkerClient.start(pathToFileURL(file), { name: 'echo' });
  try {
    const progress = [];
    const all = [];
    client.on('progress', (m) => all.push(m.done));
    const answer = await client.request('count', { to: 3 }, [], { onProgress: (m) => progress.push(m.done) });
    assert.deepEqual(answer, { type: 'counted', id: 1, total: 3 });
    assert.deepEqual(progress, [1, 2, 3]);
    assert.deepEqual(all, [1, 2, 3]);

    const news = client.waitFor('news');
    await client.request('announce', { text: 'hello' });
    assert.equal((await news).text, 'hello');

    await assert.rejects(client.request('nonsense'), (e) => e instanceof WorkerError && e.code === 'BAD_REQUEST');

    const failed = client.waitFor('failure');
    await assert.rejects(client.request('die'), /exited with code 3/);
    assert.match((await failed).message, /code 3/);
  } finally {
    client.terminate();
  }
  await assert.rejects(client.request('count', { to: 1 }), /terminated/);
});

test('GanClient.create: a worker silent too long is replaced, and after three the call says why', async () => {
  const { GanClient } = await import('../../web/runtime/client.js');
  const write = (name, source) => {
    const file = path.join(dir, name);
    writeFileSync(file, `import { connectToParent } from ${JSON.stringify(loading)};\n${source}\n`);
    return pathToFileURL(file);
  };
  // silent: never says hello
  const silent = write('silent-worker.mjs', 'connectToParent(() => {});');
  await assert.rejects(GanClient.create({ workerUrl: silent, startTimeoutMs: 300 }),
    /^Error: the worker did not start: worker 1 did not run within \d+\.\d s$/);
  await assert.rejects(GanClient.create({ workerUrl: silent, startTimeoutMs: 5000, helloTimeoutMs: 100 }),
    /the worker did not start: worker 1 did not run within \d+\.\d s; worker 2 did not run within \d+\.\d s; worker 3 did not run within \d+\.\d s$/);
  // says hello and what it does, never answers init: waited for until the end
  const mute = write('mute-worker.mjs', `const post = connectToParent((m) => {
  if (m.type === 'stage') post({ type: 'stage', id: m.id, stage: 'compiling on purpose' });
});
post({ type: 'hello' });`);
  await assert.rejects(GanClient.create({ workerUrl: mute, startTimeoutMs: 600, initCheckMs: 100 }),
    /^Error: the worker did not start: worker 1 did not answer init within \d+\.\d s \(it was compiling on purpose\)$/);
  // says hello, then stops answering anything: replaced
  const frozen = write('frozen-worker.mjs', "const post = connectToParent((m) => { if (m.type === 'init') for (;;); }); post({ type: 'hello' });");
  await assert.rejects(GanClient.create({ workerUrl: frozen, startTimeoutMs: 20000, initCheckMs: 100 }),
    /^Error: the worker did not start: worker 1 stopped answering within \d+\.\d s; worker 2 stopped answering within \d+\.\d s; worker 3 stopped answering within \d+\.\d s$/);
  // the first worker is silent (or says hello and no more), the second starts: create goes on with it
  for (const [name, firstSays] of [['silent', ''], ['frozen', "post({ type: 'hello' });"]]) {
    const flag = path.join(dir, `second-${name}`);
    const url = write(`second-${name}-worker.mjs`, `import { existsSync, writeFileSync } from 'node:fs';
const first = !existsSync(${JSON.stringify(flag)});
writeFileSync(${JSON.stringify(flag)}, '');
const post = connectToParent((m) => {
  if (first && m.type === 'init') for (;;);
  if (!first) post({ type: 'ready', id: m.id, simd: false, threads: 1, description: { format: 'test' } });
});
if (first) { ${firstSays} } else post({ type: 'hello' });`);
    const client = await GanClient.create({ workerUrl: url, helloTimeoutMs: 300, initCheckMs: 300 });
    try {
      assert.equal(client.startAttempts, 2, name);
      assert.match(client.startNotes.join(), name === 'silent' ? /^worker 1 did not run within \d+\.\d s$/ : /^worker 1 stopped answering within \d+\.\d s$/);
      assert.deepEqual(client.description, { format: 'test' });
    } finally {
      client.terminate();
    }
  }
  // a worker that fails is not replaced: its error is the answer
  const failing = write('failing-worker.mjs', "connectToParent(() => {}); throw new Error('broken on purpose');");
  await assert.rejects(GanClient.create({ workerUrl: failing }), /broken on purpose/);
});

test('workers start without concurrent recompilation, so ending one cannot abort Node', async () => {
  // Node takes an ended worker's isolate off its platform before disposing of
  // it; a TurboFan job still compiling for it then aborts the process
  // (web/runtime/loading.js). %IsConcurrentRecompilationSupported() says
  // whether an isolate has that background compiler.
  const probe = path.join(dir, 'recompilation-probe.mjs');
  writeFileSync(probe, `import { parentPort } from 'node:worker_threads';
parentPort.postMessage(new Function('return %IsConcurrentRecompilationSupported()')());`);
  const main = path.join(dir, 'recompilation-main.mjs');
  writeFileSync(main, `import { Worker } from 'node:worker_threads';
import { once } from 'node:events';
import { startWorker } from ${JSON.stringify(loading)};
const probe = ${JSON.stringify(pathToFileURL(probe).href)};
const ask = async (worker) => { const [value] = await once(worker, 'message'); await worker.terminate(); return value; };
const plain = await ask(new Worker(new URL(probe)));
const ours = await ask(startWorker(probe));
console.log(JSON.stringify({ plain, ours }));`);
  const run = spawnSync(process.execPath, ['--allow-natives-syntax', main], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  // plain: a worker started before ours shows the probe can see the compiler
  assert.deepEqual(JSON.parse(run.stdout), { plain: true, ours: false });
});
