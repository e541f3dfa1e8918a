// WorkerClient (web/runtime/worker-client.js) on a small worker of its own:
// answers by id, progress reports, errors, events, and a worker that dies.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
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
