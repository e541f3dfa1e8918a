// The parent side of bench/serve.mjs's protocol, for bench/bench.mjs: the rows
// of one model are long-lived children, set up one at a time, then timed in
// interleaved rounds (one window of each row per round, one window at a time),
// so the rows compared see the same machine even when its load drifts.

import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

/**
 * Round r's order of n rows, as indices (a Williams design): round 0 runs
 * 0, 1, n-1, 2, n-2, ...; each later round adds 1 (mod n) to every index, so
 * every row runs once per round and moves place each round. With an even n,
 * n rounds have each row run right after each other row exactly once; an odd n
 * needs the mirrored rounds as well (rounds n..2n-1). So no row always follows
 * the same one. Two rows: A B, B A, A B, ...
 */
export function roundOrder(n, r) {
  const first = [0];
  for (let lo = 1, hi = n - 1; lo <= hi;) {
    first.push(lo++);
    if (lo <= hi) first.push(hi--);
  }
  const order = first.map((i) => (i + r) % n);
  return n % 2 && Math.floor(r / n) % 2 ? order.reverse() : order;
}

/**
 * Starts a child in serve mode. next(timeoutMs) resolves its next JSON line
 * ({error} when it exits or times out, and then it is killed); request(line,
 * timeoutMs) writes a command first. Its peak RSS is VmHWM, read from /proc
 * at every line it prints: a high-water mark needs no polling in between, and
 * the idle children are left alone while another one is timed.
 */
export function serveChild(command, args, { cwd, name = command } = {}) {
  const child = spawn(command, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let pending = '', stderr = '', peak = 0, exit = null;
  const queue = [], waiters = [];
  const readPeak = () => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) * 1024);
    } catch { /* exited */ }
  };
  const failure = () => ({
    error: `${name} ${exit.timedOut ? `timed out after ${Math.round(exit.timedOut / 1000)} s` : `exited ${exit.code ?? exit.signal}`}` +
      `${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-5).join(' | ')}` : ''}`,
  });
  const deliver = (msg) => {
    readPeak();
    const waiter = waiters.shift();
    if (waiter) waiter(msg); else queue.push(msg);
  };
  const exited = new Promise((resolve) => {
    const done = (info) => {
      if (!exit) exit = info;
      while (waiters.length) waiters.shift()(failure());
      resolve(exit);
    };
    child.on('error', (err) => { stderr += String(err); done({ code: -1 }); });
    child.on('close', (code, signal) => done({ code, signal }));
  });
  child.stdout.on('data', (d) => {
    pending += d;
    for (let i; (i = pending.indexOf('\n')) >= 0;) {
      const line = pending.slice(0, i).trim();
      pending = pending.slice(i + 1);
      if (!line.startsWith('{')) continue; // TF.js greets on stdout
      try { deliver(JSON.parse(line)); } catch { /* not JSON */ }
    }
  });
  child.stderr.on('data', (d) => { stderr += d; });
  child.stdin.on('error', () => { /* EPIPE: it exited; the close handler reports it */ });

  const kill = () => { if (!exit) child.kill('SIGKILL'); };
  const next = (timeoutMs) => new Promise((resolve) => {
    if (queue.length) return resolve(queue.shift());
    if (exit) return resolve(failure());
    const waiter = (msg) => { clearTimeout(timer); resolve(msg); };
    const timer = setTimeout(() => {
      waiters.splice(waiters.indexOf(waiter), 1);
      exit = { timedOut: timeoutMs };
      child.kill('SIGKILL');
      resolve(failure());
    }, timeoutMs);
    waiters.push(waiter);
  });
  return {
    pid: child.pid,
    get peakRssBytes() { return peak || null; },
    next,
    request(line, timeoutMs) {
      if (!exit) child.stdin.write(`${line}\n`);
      return next(timeoutMs);
    },
    kill,
    exited,
  };
}

/**
 * Times rows in interleaved rounds. Each row is {system, label, command, args};
 * resolves their result lines in the same order. Setup is one child at a time
 * (nobody is timed meanwhile); then `windows` rounds of one `seconds` window per
 * row, in roundOrder; then `end` to each. A row that fails is reported as such
 * and left out of the later rounds. Each result gets windowLog: its windows'
 * round, place in the round, start and end (Unix epoch ms), iterations and it/s.
 */
export async function measureInRounds(rows, { seconds, windows, cwd, log = () => {}, setupTimeoutMs, windowTimeoutMs }) {
  const failed = (row, error) => ({ system: row.system, label: row.label, error });
  const runs = [];
  for (const row of rows) {
    log(`  setting up ${row.label}`);
    const run = { row, child: serveChild(row.command, row.args, { cwd, name: row.label }), log: [], result: null };
    runs.push(run);
    const ready = await run.child.next(setupTimeoutMs);
    if (ready.ready) continue;
    // Not ready: an error, or a row that cannot run here (e.g. a build without threads).
    run.result = ready.error || ready.skipped ? { ...ready, system: row.system, label: ready.label ?? row.label } : failed(row, `unexpected first line ${JSON.stringify(ready)}`);
    run.child.kill();
  }
  const live = runs.filter((run) => !run.result);
  for (let r = 0; r < windows && live.length; r++) {
    const order = roundOrder(live.length, r).map((i) => live[i]);
    log(`  round ${r + 1}/${windows}: ${order.filter((run) => !run.result).map((run) => run.row.system).join(', ')}`);
    for (const [place, run] of order.entries()) {
      if (run.result) continue;
      const w = await run.child.request(`window ${seconds}`, windowTimeoutMs);
      if (w.window === undefined || !(w.itPerSec >= 0)) {
        run.result = failed(run.row, w.error ?? `unexpected reply ${JSON.stringify(w)}`);
        run.child.kill();
        continue;
      }
      run.log.push({ round: r, place, start: w.start, end: w.end, iterations: w.iterations, itPerSec: w.itPerSec,
        ...(w.wallItPerSec !== undefined ? { wallItPerSec: w.wallItPerSec } : {}) });
    }
  }
  for (const run of runs) {
    if (!run.result) {
      const result = await run.child.request('end', setupTimeoutMs);
      run.result = result.error ? failed(run.row, result.error) : result;
    }
    await run.child.exited;
    run.result.peakRssBytes ??= run.child.peakRssBytes;
    if (run.log.length) run.result.windowLog = run.log;
  }
  return runs.map((run) => run.result);
}
