// Threads (src/threads.c, web/runtime/gemm-thread.js): the GEMMs split across
// helper workers sharing one wasm memory must give the same bits as one
// thread, and every path without threads must quietly run on one.
//
//   node --test tests/node/threads.test.mjs
//
// GAN_WASM_DIR picks the folder holding the .wasm files (default web/wasm).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { loadGan } from '../../web/runtime/loader.js';
import { GanClient } from '../../web/runtime/client.js';
import { readIdxFile, findIdxFile } from '../../web/runtime/idx-node.js';
import { defaultDataDir } from '../../cli/data.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const wasmDir = path.resolve(process.env.GAN_WASM_DIR ?? path.join(root, 'web/wasm'));
const wasmBase = pathToFileURL(`${wasmDir}/`);
const threadsFile = path.join(wasmDir, 'gan-simd-threads.wasm');
assert.ok(existsSync(threadsFile), `${threadsFile} is missing: build the wasm first (npm run build)`);

const COUNT = 3000;
const pixels = readIdxFile(findIdxFile(defaultDataDir(), 'trainImages')).data.subarray(0, COUNT * 784);

/** Trains `steps` iterations on `threads` threads; returns the checkpoint and what ran. */
async function trainBytes(preset, steps, threads, overrides = {}) {
  const gan = await loadGan({ wasmBase, threads });
  try {
    const model = gan.create(preset, overrides, 11);
    model.attachData(pixels, COUNT);
    model.initGeneratorBias();
    const before = gan.memory.buffer.byteLength;
    const stats = model.train(steps);
    assert.equal(stats.status, 'GAN_OK');
    const z = model.sampleNoise(5, 16);
    const images = model.generate(z, 16);
    const bytes = model.checkpointSave();
    model.free();
    return { bytes, images, threads: gan.threads, shared: gan.memory.buffer instanceof SharedArrayBuffer, grew: gan.memory.buffer.byteLength > before || before > 32 << 20 };
  } finally {
    gan.close();
  }
}

/** Imports that link (every function a stub) with `memory` as the imported memory. */
function importsWith(module, memory) {
  const imports = {};
  for (const { module: name, name: field, kind } of WebAssembly.Module.imports(module)) {
    imports[name] ??= {};
    imports[name][field] = kind === 'memory' ? memory : () => 0;
  }
  return imports;
}

function assertSameBytes(a, b, what) {
  assert.equal(a.length, b.length, `${what}: sizes differ`);
  const first = a.findIndex((v, i) => v !== b[i]);
  assert.equal(first, -1, `${what}: first differing byte at ${first} of ${a.length}`);
}

test('the threads build imports a shared memory of the limits the build wrote to gan-build.json; loadGan runs it on 2 threads in Node', async () => {
  const { readFileSync } = await import('node:fs');
  const build = JSON.parse(readFileSync(path.join(wasmDir, 'gan-build.json'), 'utf8'));
  const limits = build.threads;
  assert.equal(limits.shared_memory, true);
  assert.ok(limits.initial_memory_bytes >= 65536 && limits.maximum_memory_bytes >= limits.initial_memory_bytes, JSON.stringify(limits));
  const imports = (file) => WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(path.join(wasmDir, file))));
  assert.ok(imports('gan-simd-threads.wasm').some((i) => i.kind === 'memory'), 'the threads build imports its memory');
  assert.ok(!imports('gan-simd.wasm').some((i) => i.kind === 'memory'), 'the SIMD build defines its own memory');
  // The module links only with a memory its declared limits accept: a
  // maximum above the declared one, or fewer initial pages, is refused.
  const threadsModule = new WebAssembly.Module(readFileSync(threadsFile));
  const link = (memory) => new WebAssembly.Instance(threadsModule, importsWith(threadsModule, memory));
  const pages = (bytes) => bytes / 65536;
  assert.throws(() => link(new WebAssembly.Memory({ initial: pages(limits.initial_memory_bytes), maximum: pages(limits.maximum_memory_bytes) + 1, shared: true })), WebAssembly.LinkError);
  assert.throws(() => link(new WebAssembly.Memory({ initial: pages(limits.initial_memory_bytes) - 1, maximum: pages(limits.maximum_memory_bytes), shared: true })), WebAssembly.LinkError);

  const gan = await loadGan({ wasmBase, threads: 2 });
  try {
    assert.equal(gan.threads, 2, gan.threadsNote ?? '');
    assert.equal(gan.threadsNote, null);
    assert.equal(gan.simd, true);
    assert.ok(gan.memory.buffer instanceof SharedArrayBuffer);
    assert.equal(gan.memory.buffer.byteLength, limits.initial_memory_bytes, "created with the build's initial size");
    assert.equal(gan.exports.memory, gan.memory, 'the imported memory is among the exports too');
    assert.equal(gan.exports.gan_threads_count(), 2);
    // Fewer, then more again: helpers end and start.
    assert.equal(await gan.setThreads(1), 1);
    assert.equal(gan.exports.gan_threads_count(), 1);
    assert.equal(await gan.setThreads(3), 3);
    assert.equal(gan.exports.gan_threads_count(), 3);
  } finally {
    gan.close();
  }
  assert.equal(gan.threads, 1);
});

test('small preset: 2 and 3 threads give the bits of 1 thread', async () => {
  const one = await trainBytes('small', 12, 1, { batch_size: 100 });
  assert.equal(one.threads, 1);
  assert.equal(one.shared, false, '1 thread loads the plain SIMD build');
  for (const threads of [2, 3]) {
    const many = await trainBytes('small', 12, threads, { batch_size: 100 });
    assert.equal(many.threads, threads);
    assert.equal(many.shared, true);
    assertSameBytes(many.bytes, one.bytes, `small, ${threads} threads, checkpoint`);
    assertSameBytes(new Uint8Array(many.images.buffer), new Uint8Array(one.images.buffer), `small, ${threads} threads, samples`);
  }
});

test('paper preset: 2 threads give the bits of 1 thread (memory grows on the way)', async () => {
  const one = await trainBytes('paper', 3, 1);
  const two = await trainBytes('paper', 3, 2);
  assert.equal(two.threads, 2);
  assert.ok(two.grew, 'the shared memory grew past its initial size');
  assertSameBytes(two.bytes, one.bytes, 'paper, 2 threads, checkpoint');
  assertSameBytes(new Uint8Array(two.images.buffer), new Uint8Array(one.images.buffer), 'paper, 2 threads, samples');
});

test('conv preset: 2 threads give the bits of 1 thread (convolutions: im2col, col2im and their GEMMs split)', async () => {
  const one = await trainBytes('conv', 3, 1);
  const two = await trainBytes('conv', 3, 2);
  assert.equal(two.threads, 2);
  assertSameBytes(two.bytes, one.bytes, 'conv, 2 threads, checkpoint');
  assertSameBytes(new Uint8Array(two.images.buffer), new Uint8Array(one.images.buffer), 'conv, 2 threads, samples');
});

test('without threads: 1 thread, silently, with the reason', async () => {
  const single = await loadGan({ wasmBase, threads: 1 });
  assert.equal(single.threads, 1);
  assert.equal(single.threadsNote, null);
  assert.ok(!(single.memory.buffer instanceof SharedArrayBuffer));

  const scalar = await loadGan({ wasmBase, simd: false, threads: 4 });
  assert.equal(scalar.threads, 1);
  assert.match(scalar.threadsNote, /scalar/);

  // Threads are decided by what the engine does, not by a global's name:
  // without the global SharedArrayBuffer (as in WebKit, which still shares
  // wasm memory on an isolated page) the core still gets its threads ...
  const saved = globalThis.SharedArrayBuffer;
  let unnamed;
  try {
    delete globalThis.SharedArrayBuffer;
    unnamed = await loadGan({ wasmBase, threads: 2 });
  } finally {
    globalThis.SharedArrayBuffer = saved;
  }
  assert.equal(unnamed.threads, 2, unnamed.threadsNote ?? '');
  unnamed.close();

  // ... and an engine that cannot create a shared memory runs on one, saying so.
  const Memory = WebAssembly.Memory;
  let gan;
  try {
    WebAssembly.Memory = function Unshared(descriptor) {
      if (descriptor?.shared) throw new TypeError('no shared memory here');
      return new Memory(descriptor);
    };
    gan = await loadGan({ wasmBase, threads: 2 });
  } finally {
    WebAssembly.Memory = Memory;
  }
  assert.equal(gan.threads, 1);
  assert.equal(gan.simd, true);
  assert.match(gan.threadsNote, /cannot create a shared WebAssembly\.Memory/);
  const model = gan.create('small', {}, 1);
  model.attachData(pixels, COUNT);
  assert.equal(model.train(2).status, 'GAN_OK');
  model.free();

  // A folder without the threads build: the SIMD build on 1 thread.
  const { mkdtempSync, copyFileSync, rmSync } = await import('node:fs');
  const os = await import('node:os');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'wasm-gan-nothreads-'));
  try {
    copyFileSync(path.join(wasmDir, 'gan-simd.wasm'), path.join(dir, 'gan-simd.wasm'));
    const fallback = await loadGan({ wasmBase: pathToFileURL(`${dir}/`), threads: 2 });
    assert.equal(fallback.threads, 1);
    assert.match(fallback.threadsNote, /gan-simd-threads\.wasm/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }

  await assert.rejects(loadGan({ wasmBase, threads: 0 }), /threads must be/);
});

test('the training worker: threads in `ready`, helpers started by the client, same bits as 1 thread, terminate ends the helpers', async () => {
  const run = async (threads) => {
    const client = await GanClient.create({ wasmBase, threads });
    try {
      // The worker asks the client for its helpers (PROTOCOL.md "GEMM helpers").
      assert.equal(client.helperCount, threads - 1);
      await client.configure('small', { batch_size: 100 }, 21);
      await client.setData(pixels, COUNT, 784);
      await client.step(8);
      return { threads: client.threads, bytes: (await client.save()).bytes };
    } finally {
      client.terminate();
    }
  };
  // OS threads of this process (Linux): each worker is one; none may outlive terminate().
  const osThreads = () => (existsSync('/proc/self/task') ? readdirSync('/proc/self/task').length : 0);
  const before = osThreads();
  const one = await run(1);
  const two = await run(2);
  assert.equal(one.threads, 1);
  assert.equal(two.threads, 2);
  assertSameBytes(two.bytes, one.bytes, 'worker, 2 threads, checkpoint');
  for (let i = 0; i < 100 && osThreads() > before; i++) await new Promise((resolve) => setTimeout(resolve, 50));
  assert.ok(osThreads() <= before, `threads left after terminate: ${osThreads()} (were ${before})`);
});

test('helpers never keep Node alive', () => {
  const loader = pathToFileURL(path.join(root, 'web/runtime/loader.js')).href;
  const script = `
    import { loadGan } from ${JSON.stringify(loader)};
    const gan = await loadGan({ wasmBase: ${JSON.stringify(wasmBase.href)}, threads: 2 });
    const model = gan.create('small', {}, 1);
    model.generate(model.sampleNoise(1, 64), 64);
    console.log('threads', gan.threads);`;
  const result = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 60000 });
  assert.equal(result.error, undefined, 'the process exits on its own');
  assert.equal(result.status, 0, result.stderr);
  assert.match(result.stdout, /threads 2/);
});
