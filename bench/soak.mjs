// Soak: trains the `small` preset headless for many steps through the worker
// (the CLI's path), saving a checkpoint and drawing a sample grid every 1000
// steps as `train` does, and prints the process's memory at the start (after
// 1000 steps of warm-up) and the end. Not part of npm test (it runs for
// about 20 minutes on one thread).
//
//   node bench/soak.mjs [STEPS=100000] [THREADS=1]
import { GanClient } from '../web/runtime/client.js';
import { readIdxFile, findIdxFile } from '../web/runtime/idx-node.js';
import { defaultDataDir } from '../cli/data.js';

const steps = Number(process.argv[2] ?? 100000);
const threads = Number(process.argv[3] ?? 1);
const EVERY = 1000;
const mib = (bytes) => (bytes / 2 ** 20).toFixed(1);

function memory() {
  globalThis.gc?.();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}
const show = (m) => `rss ${mib(m.rss)} MiB, JS heap ${mib(m.heapUsed)} MiB, external ${mib(m.external)} MiB`;

const images = readIdxFile(findIdxFile(defaultDataDir(), 'trainImages')).data.subarray(0, 50000 * 784);
const client = await GanClient.create({ threads });
let start = null;
let startedAt = 0;
try {
  await client.configure('small', {}, 1);
  await client.setData(images, 50000, 784);
  const grid = (await client.noise(20140610, 100)).z;
  for (let step = 0; step < steps;) {
    const until = Math.min(steps, step + EVERY);
    const stopped = client.waitFor('state', (m) => !m.running);
    await client.start(until);
    await stopped;
    step = (await client.save()).step; // a checkpoint, as train writes one
    await client.sample({ z: grid });   // and a sample grid
    if (step === EVERY) { start = memory(); startedAt = performance.now(); console.log(`step ${step}: ${show(start)}`); }
    if (step % (steps / 10) === 0) console.log(`step ${step}: ${show(memory())}`);
  }
  const end = memory();
  const seconds = (performance.now() - startedAt) / 1000;
  console.log(JSON.stringify({ steps, threads, seconds: Math.round(seconds), steps_per_s: +((steps - EVERY) / seconds).toFixed(1),
    start_mib: { rss: +mib(start.rss), heapUsed: +mib(start.heapUsed), external: +mib(start.external) },
    end_mib: { rss: +mib(end.rss), heapUsed: +mib(end.heapUsed), external: +mib(end.external) } }));
} finally {
  client.terminate();
}
