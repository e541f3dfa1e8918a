// Page soak: the demo page trains the default preset (`small`) in Debian's
// Chromium for MINUTES minutes, on one thread (?threads=1), with its normal
// drawing (the page is visible: sample grid, interpolation strips, curves,
// nearest neighbours), and memory is measured after one minute of warm-up,
// every EVERY minutes, and at the end. Not part of npm test.
//
//   node bench/page-soak.mjs [MINUTES=30] [EVERY=5]
//   node bench/page-soak.mjs --report LOG    the table and verdict again from a run's output
//
// Each reading has:
// - steps/s over the minute before it (wall clock), and steps per CPU-second
//   of the training worker's thread (from /proc), which a loaded machine
//   changes less;
// - RSS and PSS of every Chromium process (the browser and its descendants,
//   found by pid under this process in /proc), summed and by type, and of the
//   page's renderer alone (the process whose threads run the workers);
// - the page's JS heap (CDP Performance.getMetrics JSHeapUsedSize, after a
//   forced GC) and its DOM nodes and event listeners;
// - the training worker's JS heap and its wasm memory (the byteLength of its
//   WebAssembly.Memory, read from a heap snapshot of the worker over CDP:
//   the runtime keeps the memory in module scope, and Runtime.queryObjects
//   never answers in that worker; the snapshot holds training for a few
//   seconds, after the reading's rate window);
// - the data worker's JS heap and array buffers (MNIST, the neighbour search).
// The verdict line compares the end with the start (exit code 1 on growth
// or page errors). The page's errors stop the run. Chromium runs under
// `nice -n 5`. The page is served cross-origin isolated by
// build-scripts/serve.mjs and driven by playwright-core, as tests/browser does.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { chromium } from 'playwright-core';
import { assertBuilt, CHROMIUM, CHROMIUM_FLAGS } from '../tests/browser/harness.mjs';
import { startServer } from '../build-scripts/serve.mjs';

const WARM_UP_MIN = 1;
const RATE_WINDOW_S = 60;   // steps/s over this long before each reading
const SAMPLE_S = 5;         // the step counter and the worker's CPU time are read this often

const MiB = 2 ** 20;
const mib = (bytes) => (bytes / MiB).toFixed(1);
const log = (line) => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
const CLOCK_TICKS = 100; // USER_HZ on Linux

// --- /proc -------------------------------------------------------------------

function readText(path) {
  try { return readFileSync(path, 'utf8'); } catch { return null; }
}

/** Every process below `root` (not itself): [{pid, type}] with type from Chromium's --type= (browser when none). */
function descendants(root) {
  const children = new Map();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readText(`/proc/${name}/stat`);
    if (!stat) continue;
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    if (!children.has(ppid)) children.set(ppid, []);
    children.get(ppid).push(Number(name));
  }
  const out = [];
  const walk = (pid) => {
    for (const child of children.get(pid) ?? []) {
      // Chromium rewrites its children's command lines into one string: match options, not argv entries.
      const cmdline = (readText(`/proc/${child}/cmdline`) ?? '').replaceAll('\0', ' ');
      if (/^\S*chrom/.test(cmdline)) {
        const type = /--type=(\S+)/.exec(cmdline)?.[1] ?? 'browser';
        const subtype = /--utility-sub-type=(\w+)/.exec(cmdline)?.[1];
        out.push({ pid: child, type: subtype ? `utility (${subtype})` : type });
      }
      walk(child);
    }
  };
  walk(root);
  return out;
}

/** {rss, pss, anon (RssAnon: the heaps, not mapped files)} in bytes from /proc (0 for a process gone meanwhile). */
function processMemory(pid) {
  const kb = (text, key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(text ?? '')?.[1] ?? 0) * 1024;
  const rollup = readText(`/proc/${pid}/smaps_rollup`);
  return { rss: kb(rollup, 'Rss'), pss: kb(rollup, 'Pss'), anon: kb(readText(`/proc/${pid}/status`), 'RssAnon') };
}

/** The Chromium processes' memory: totals and by type. */
function browserMemory() {
  const processes = descendants(process.pid).map((p) => ({ ...p, ...processMemory(p.pid) }));
  const byType = {};
  for (const p of processes) {
    const t = (byType[p.type] ??= { count: 0, rss: 0, pss: 0 });
    t.count++; t.rss += p.rss; t.pss += p.pss;
  }
  return {
    count: processes.length,
    rss: processes.reduce((s, p) => s + p.rss, 0),
    pss: processes.reduce((s, p) => s + p.pss, 0),
    byType,
    processes,
  };
}

/** CPU seconds of each thread named like `name` in the renderers: [{pid, tid, cpu}]. */
function threadCpu(processes, name) {
  const out = [];
  for (const { pid, type } of processes) {
    if (type !== 'renderer') continue;
    let tids = [];
    try { tids = readdirSync(`/proc/${pid}/task`); } catch { continue; }
    for (const tid of tids) {
      const comm = readText(`/proc/${pid}/task/${tid}/comm`)?.trim() ?? '';
      if (!comm.startsWith(name)) continue;
      const stat = readText(`/proc/${pid}/task/${tid}/stat`);
      if (!stat) continue;
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ pid, tid: Number(tid), cpu: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS });
    }
  }
  return out;
}

// --- CDP on the workers ----------------------------------------------------------

/**
 * A CDP session on a worker target, through the browser session's
 * Target.sendMessageToTarget (playwright's CDPSession speaks to pages only).
 */
async function attachWorker(browserSession, targetId) {
  const { sessionId } = await browserSession.send('Target.attachToTarget', { targetId, flatten: false });
  const pending = new Map();
  const listeners = new Map();
  let nextId = 1;
  browserSession.on('Target.receivedMessageFromTarget', (event) => {
    if (event.sessionId !== sessionId) return;
    const message = JSON.parse(event.message);
    if (message.id !== undefined && pending.has(message.id)) {
      const { resolve, reject } = pending.get(message.id);
      pending.delete(message.id);
      if (message.error) reject(new Error(`${message.error.message} (${message.error.code})`));
      else resolve(message.result);
    } else if (message.method) listeners.get(message.method)?.(message.params);
  });
  return {
    on: (method, listener) => listeners.set(method, listener),
    send(method, params = {}, timeoutMs = 300000) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { pending.delete(id); reject(new Error(`${method}: no answer in ${timeoutMs} ms`)); }, timeoutMs);
        pending.set(id, { resolve: (v) => { clearTimeout(timer); resolve(v); }, reject: (e) => { clearTimeout(timer); reject(e); } });
        browserSession.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(reject);
      });
    },
  };
}

/**
 * A heap snapshot of a worker (which collects garbage first): the byteLength
 * of each WebAssembly.Memory's buffer, and how long the snapshot took.
 */
async function workerSnapshot(worker) {
  const chunks = [];
  worker.on('HeapProfiler.addHeapSnapshotChunk', ({ chunk }) => chunks.push(chunk));
  const started = performance.now();
  await worker.send('HeapProfiler.takeHeapSnapshot', { reportProgress: false });
  const ms = performance.now() - started;
  const snapshot = JSON.parse(chunks.join(''));
  const { node_fields: nodeFields, node_types: [nodeTypes], edge_fields: edgeFields } = snapshot.snapshot.meta;
  const N = nodeFields.length, E = edgeFields.length;
  const [iType, iName, iSize, iEdges] = ['type', 'name', 'self_size', 'edge_count'].map((f) => nodeFields.indexOf(f));
  const iTo = edgeFields.indexOf('to_node');
  const { nodes, edges, strings } = snapshot;
  const firstEdge = new Uint32Array(nodes.length / N + 1);
  for (let n = 0, e = 0; n < nodes.length; n += N) { firstEdge[n / N] = e; e += nodes[n + iEdges] * E; }
  const childrenOf = function* (n) {
    const start = firstEdge[n / N];
    for (let e = start; e < start + nodes[n + iEdges] * E; e += E) yield edges[e + iTo];
  };
  const name = (n) => strings[nodes[n + iName]];
  const type = (n) => nodeTypes[nodes[n + iType]];
  const memories = new Map(); // backing-store node -> bytes
  for (let n = 0; n < nodes.length; n += N) {
    // A WebAssembly.Memory instance is an object named "Memory" holding its ArrayBuffer (hidden edge),
    // whose backing store is the JSArrayBufferData node of the memory's size.
    if (type(n) !== 'object' || !/^(WebAssembly\.)?Memory$/.test(name(n))) continue;
    for (const buffer of childrenOf(n)) {
      if (!/^(Shared)?ArrayBuffer$/.test(name(buffer))) continue;
      for (const data of childrenOf(buffer)) if (name(data) === 'system / JSArrayBufferData') memories.set(data, nodes[data + iSize]);
    }
  }
  return { wasm: [...memories.values()], ms };
}

// --- the run ----------------------------------------------------------------------

/** Trains in the page for `minutes`, reading memory at WARM_UP_MIN, every `every` minutes and at the end: {readings, errors}. */
async function soak(minutes, every) {
  assertBuilt();

  const wrapperDir = mkdtempSync(join(tmpdir(), 'page-soak-'));
  const niceChromium = join(wrapperDir, 'chromium');
  writeFileSync(niceChromium, `#!/bin/sh\nexec nice -n 5 ${CHROMIUM} "$@"\n`);
  chmodSync(niceChromium, 0o755);

  const server = await startServer({ port: 0 });
  const browser = await chromium.launch({ executablePath: niceChromium, args: CHROMIUM_FLAGS });
  const readings = [];
  const errors = [];
  let samplerStop = false;
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 1000 } });
    const page = await context.newPage();
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`exception: ${e.message}`));
    await page.goto(`${server.url}?threads=1`);
    await page.waitForFunction(() => (globalThis.wasmGan?.errors.length) || (globalThis.wasmGan && !document.getElementById('start').disabled), null, { timeout: 180000 });
    const mode = await page.textContent('#mode');
    const info = await page.evaluate(() => ({ visibility: document.visibilityState, isolated: crossOriginIsolated, preset: globalThis.wasmGan.session.settings?.preset ?? null }));
    log(`Chromium ${browser.version()} under nice -n 5, ${mode}, page ${info.visibility}, preset ${info.preset}, cross-origin isolated ${info.isolated}`);
    if (!mode.includes('1 thread')) throw new Error(`expected one thread, the page says "${mode}"`);

    const pageSession = await context.newCDPSession(page);
    await pageSession.send('Performance.enable');
    const browserSession = await browser.newBrowserCDPSession();
    const { targetInfos } = await browserSession.send('Target.getTargets');
    const workerTarget = (path) => targetInfos.find((t) => t.type === 'worker' && new URL(t.url).pathname.endsWith(path));
    const trainer = await attachWorker(browserSession, workerTarget('/runtime/worker.js').targetId);
    const dataWorker = workerTarget('/app/data-worker.js');
    const data = dataWorker ? await attachWorker(browserSession, dataWorker.targetId) : null;

    await page.click('#start');
    await page.waitForFunction(() => (globalThis.wasmGan.session.stats?.step ?? 0) > 0, null, { timeout: 120000 });
    const t0 = Date.now();
    log(`training started; readings at ${WARM_UP_MIN} min, every ${every} min, and at ${minutes} min`);

    const pageState = () => page.evaluate(() => {
      const { session } = globalThis.wasmGan;
      return {
        step: session.stats?.step ?? 0, running: session.running, frames: session.loop.frames, snapshots: session.loop.snapshots,
        neighboursAgeS: (performance.now() - session.views.neighbours.lastQuery) / 1000, errors: globalThis.wasmGan.errors.slice(),
      };
    });
    // The training worker's thread: the DedicatedWorker thread that gains the most CPU time while training runs.
    const before = threadCpu(descendants(process.pid), 'DedicatedWorker');
    await sleep(3000);
    const gained = (t) => t.cpu - (before.find((b) => b.tid === t.tid)?.cpu ?? 0);
    const trainerThread = threadCpu(descendants(process.pid), 'DedicatedWorker').sort((a, b) => gained(b) - gained(a))[0] ?? null;
    if (!trainerThread) log('no DedicatedWorker thread found in /proc: steps per CPU-second left out');
    const samples = []; // {t (ms since t0), step, cpu (s, the training worker's thread)}, in time order
    let sampling = Promise.resolve();
    const sample = () => (sampling = sampling.then(async () => {
      const state = await pageState();
      const cpu = trainerThread ? threadCpu([{ pid: trainerThread.pid, type: 'renderer' }], 'DedicatedWorker').find((t) => t.tid === trainerThread.tid)?.cpu ?? null : null;
      samples.push({ t: Date.now() - t0, step: state.step, cpu, state });
      return samples.at(-1);
    }));
    const sampler = (async () => {
      while (!samplerStop) {
        await sample();
        await sleep(SAMPLE_S * 1000);
      }
    })();

    // Steps/s (wall) and steps per worker CPU-second over the RATE_WINDOW_S before now, or since the
    // previous reading ended (its heap snapshot holds training for a few seconds).
    let lastReadingEnd = 0;
    const rates = async () => {
      const last = await sample();
      const from = Math.max(last.t - RATE_WINDOW_S * 1000 - 500, lastReadingEnd);
      const first = samples.find((s) => s.t >= from) ?? samples[0];
      const seconds = (last.t - first.t) / 1000;
      return {
        step: last.step, window: seconds,
        rate: (last.step - first.step) / seconds,
        perCpu: last.cpu !== null && first.cpu !== null && last.cpu > first.cpu ? (last.step - first.step) / (last.cpu - first.cpu) : null,
        cpuShare: last.cpu !== null && first.cpu !== null ? (last.cpu - first.cpu) / seconds : null,
        state: last.state,
      };
    };

    const reading = async (label) => {
      const at = (Date.now() - t0) / 60000;
      const r = await rates();
      const processes = browserMemory();
      const pageRenderer = processes.processes.find((p) => p.pid === trainerThread?.pid); // the workers' renderer is the page's
      await pageSession.send('HeapProfiler.collectGarbage');
      const metrics = Object.fromEntries((await pageSession.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
      const pageHeap = await pageSession.send('Runtime.getHeapUsage');
      let dataHeap = null;
      if (data) {
        await data.send('HeapProfiler.collectGarbage');
        dataHeap = await data.send('Runtime.getHeapUsage');
      }
      const snap = await workerSnapshot(trainer);
      const trainerHeap = await trainer.send('Runtime.getHeapUsage');
      const entry = {
        label, minutes: +at.toFixed(2), step: r.step, rate: r.rate, perCpu: r.perCpu, cpuShare: r.cpuShare,
        frames: r.state.frames, snapshots: r.state.snapshots, neighboursAgeS: r.state.neighboursAgeS,
        rss: processes.rss, pss: processes.pss, processCount: processes.count, byType: processes.byType,
        rendererRss: pageRenderer?.rss ?? null, rendererPss: pageRenderer?.pss ?? null, rendererAnon: pageRenderer?.anon ?? null,
        pageHeap: metrics.JSHeapUsedSize, pageHeapTotal: metrics.JSHeapTotalSize, pageBuffers: pageHeap.backingStorageSize,
        nodes: metrics.Nodes, listeners: metrics.JSEventListeners,
        workerHeap: trainerHeap.usedSize, wasm: snap.wasm, snapshotMs: snap.ms,
        dataHeap: dataHeap?.usedSize ?? null, dataBuffers: dataHeap?.backingStorageSize ?? null,
      };
      readings.push(entry);
      lastReadingEnd = Date.now() - t0;
      log(`${label} ${entry.minutes} min: step ${entry.step}, ${entry.rate.toFixed(1)} steps/s (${entry.perCpu?.toFixed(1) ?? '?'} per worker CPU-s, worker ${((entry.cpuShare ?? 0) * 100).toFixed(0)}% of a core), `
        + `frames ${entry.frames}, snapshots ${entry.snapshots}, last neighbour search ${entry.neighboursAgeS.toFixed(0)} s ago; `
        + `page renderer RSS ${entry.rendererRss === null ? '?' : mib(entry.rendererRss)} MiB (anonymous ${entry.rendererAnon === null ? '?' : mib(entry.rendererAnon)}) PSS ${entry.rendererPss === null ? '?' : mib(entry.rendererPss)} MiB; `
        + `Chromium ${entry.processCount} processes RSS ${mib(entry.rss)} MiB PSS ${mib(entry.pss)} MiB `
        + `(${Object.entries(entry.byType).map(([t, v]) => `${t} ${v.count}: ${mib(v.rss)}/${mib(v.pss)}`).join(', ')}); `
        + `page JS heap ${mib(entry.pageHeap)} MiB, DOM nodes ${entry.nodes}, listeners ${entry.listeners}; `
        + `worker JS heap ${mib(entry.workerHeap)} MiB, wasm memory ${entry.wasm.map(mib).join('+')} MiB (snapshot ${(entry.snapshotMs / 1000).toFixed(1)} s); `
        + `data worker JS heap ${dataHeap ? mib(entry.dataHeap) : '?'} MiB, array buffers ${dataHeap ? mib(entry.dataBuffers) : '?'} MiB`);
      if (!r.state.running) throw new Error(`training stopped at step ${r.step}`);
      if (r.state.errors.length) throw new Error(`the page reports: ${r.state.errors.join('; ')}`);
    };

    const until = async (minute) => { const wait = t0 + minute * 60000 - Date.now(); if (wait > 0) await sleep(wait); };
    await until(WARM_UP_MIN);
    await reading('start');
    for (let m = Math.ceil((WARM_UP_MIN + 1e-9) / every) * every; m < minutes - 1e-9; m += every) {
      await until(m);
      await reading('at');
    }
    await until(minutes);
    await reading('end');
    samplerStop = true;
    await sampler;
  } finally {
    samplerStop = true;
    await browser.close().catch(() => {});
    await server.close();
    rmSync(wrapperDir, { recursive: true, force: true });
  }
  return { readings, errors };
}

// --- the table and the verdict ------------------------------------------------------

/** Prints the readings as a table and the verdict line; returns whether nothing grew beyond noise. */
function report(readings) {
  const columns = [
    ['min', (r) => r.minutes.toFixed(1)],
    ['step', (r) => String(r.step)],
    ['steps/s', (r) => r.rate.toFixed(1)],
    ['/CPU-s', (r) => r.perCpu?.toFixed(1) ?? '?'],
    ['RSS MiB', (r) => mib(r.rss)],
    ['PSS MiB', (r) => mib(r.pss)],
    ['page renderer RSS', (r) => (r.rendererRss === null ? '?' : mib(r.rendererRss))],
    ['PSS', (r) => (r.rendererPss === null ? '?' : mib(r.rendererPss))],
    ['page heap', (r) => mib(r.pageHeap)],
    ['DOM nodes', (r) => String(r.nodes)],
    ['worker heap', (r) => mib(r.workerHeap)],
    ['wasm MiB', (r) => r.wasm.map(mib).join('+')],
    ['data heap', (r) => (r.dataHeap === null ? '?' : mib(r.dataHeap))],
    ['data buffers', (r) => (r.dataBuffers === null ? '?' : mib(r.dataBuffers))],
  ];
  const cells = [columns.map(([h]) => h), ...readings.map((r) => columns.map(([, f]) => f(r)))];
  const widths = columns.map((_, i) => Math.max(...cells.map((row) => row[i].length)));
  console.log('\n' + cells.map((row) => row.map((c, i) => c.padStart(widths[i])).join('  ')).join('\n'));

  const start = readings[0], end = readings.at(-1);
  const signed = (d, base) => `${d >= 0 ? '+' : ''}${mib(d)} MiB (${d >= 0 ? '+' : ''}${((d / base) * 100).toFixed(1)}%)`;
  const lowest = (key) => Math.min(...readings.map((r) => r[key]));
  const growth = (key) => signed(end[key] - start[key], start[key]);
  // The start can sit above later readings (what loading MNIST left is freed
  // over the first minutes), so growth is also measured from the lowest reading.
  const fromLowest = (key) => `${signed(end[key] - lowest(key), lowest(key))} from the lowest reading (readings ${mib(lowest(key))}-${mib(Math.max(...readings.map((r) => r[key])))})`;
  const wasmStart = start.wasm.reduce((a, b) => a + b, 0), wasmEnd = end.wasm.reduce((a, b) => a + b, 0);
  const change = (a, b) => (a && b ? `${b / a >= 1 ? '+' : ''}${((b / a - 1) * 100).toFixed(0)}%` : '?');
  // Noise: the page renderer's RSS moves by a few MiB between readings. The
  // totals also move by whole processes Chromium starts on its own (a 45 MiB
  // utility process, mostly shared pages), and PSS with any other Chromium on
  // the machine that shares the same file pages; the verdict leaves them out.
  const rendererGrowth = start.rendererRss ? (end.rendererRss - lowest('rendererRss')) / lowest('rendererRss') : 0;
  const flat = wasmEnd === wasmStart && rendererGrowth < 0.05
    && end.pageHeap - start.pageHeap < 2 * MiB && end.workerHeap - start.workerHeap < 2 * MiB;
  console.log(`\n${flat ? 'No growth beyond noise' : 'GROWTH'} over ${(end.minutes - start.minutes).toFixed(0)} min (steps ${start.step} to ${end.step}): `
    + `page renderer RSS ${start.rendererRss === null ? '?' : `${growth('rendererRss')} from the start, ${fromLowest('rendererRss')}`}; `
    + `Chromium RSS ${growth('rss')}, ${fromLowest('rss')}; PSS ${growth('pss')}; `
    + `page JS heap ${growth('pageHeap')}; worker JS heap ${growth('workerHeap')}; wasm memory ${mib(wasmStart)} -> ${mib(wasmEnd)} MiB; `
    + `data worker heap ${start.dataHeap === null ? '?' : growth('dataHeap')}; `
    + `steps/s ${start.rate.toFixed(1)} -> ${end.rate.toFixed(1)} (${change(start.rate, end.rate)}), `
    + `per worker CPU-s ${start.perCpu?.toFixed(1) ?? '?'} -> ${end.perCpu?.toFixed(1) ?? '?'} (${change(start.perCpu, end.perCpu)})`);
  return flat;
}

if (process.argv[2] === '--report') {
  // The table and the verdict again, from a run's log (its last line).
  const { readings } = JSON.parse(readFileSync(process.argv[3], 'utf8').trim().split('\n').at(-1));
  process.exitCode = report(readings) ? 0 : 1;
} else {
  const minutes = Number(process.argv[2] ?? 30);
  const every = Number(process.argv[3] ?? 5);
  if (!(minutes > WARM_UP_MIN) || !(every > 0)) throw new Error(`usage: node bench/page-soak.mjs [MINUTES > ${WARM_UP_MIN}] [EVERY > 0]`);
  const { readings, errors } = await soak(minutes, every);
  const flat = report(readings);
  if (errors.length) console.log(`page errors: ${errors.join('; ')}`);
  console.log(JSON.stringify({ minutes, every, readings }));
  process.exitCode = flat && !errors.length ? 0 : 1;
}
