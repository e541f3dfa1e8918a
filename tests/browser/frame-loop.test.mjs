// The frame loop (web/app/frame-loop.js) under Node, on a fake clock: how
// often it draws and asks for snapshots while stats stream in, that an idle
// page asks for no frames at all, that a hidden page neither draws nor asks
// the worker for samples and catches up when shown, and that a frame waits
// for a snapshot on its way, but not for ever.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { FrameLoop } from '../../web/app/frame-loop.js';

/** Timers, animation frames (every 16 ms, none while hidden) and visibility on a clock that moves only in advance(). */
function fakeEnvironment() {
  let time = 0;
  let nextId = 1;
  const timers = new Map();
  const frames = new Map();
  const listeners = new Set();
  let hidden = false;
  const env = {
    timers,
    frames,
    now: () => time,
    setTimer: (callback, ms) => { const id = nextId++; timers.set(id, { at: time + Math.max(0, ms), callback }); return id; },
    clearTimer: (id) => timers.delete(id),
    requestFrame: (callback) => { const id = nextId++; frames.set(id, callback); return id; },
    cancelFrame: (id) => frames.delete(id),
    hidden: () => hidden,
    onVisibilityChange: (listener) => { listeners.add(listener); return () => listeners.delete(listener); },
    setHidden(value) {
      hidden = value;
      for (const listener of listeners) listener();
    },
    /** Moves the clock on by `ms`, 1 ms at a time, running what falls due and letting promises settle. */
    async advance(ms, { every = () => {} } = {}) {
      for (const end = time + ms; time < end;) {
        time++;
        for (const [id, timer] of [...timers]) {
          if (timer.at <= time && timers.has(id)) { timers.delete(id); timer.callback(); }
        }
        if (!hidden && time % 16 === 0) {
          const due = [...frames.values()];
          frames.clear();
          for (const callback of due) callback(time);
        }
        every(time);
        await new Promise((resolve) => setImmediate(resolve));
      }
    },
  };
  return env;
}

/** A loop whose snapshots take `latency` ms; records when it asks for them and when it draws. */
function makeLoop({ latency = 20, ...options } = {}) {
  const env = fakeEnvironment();
  const record = { snapshots: [], draws: [] };
  const loop = new FrameLoop({
    snapshot: () => { record.snapshots.push(env.now()); return new Promise((resolve) => env.setTimer(resolve, latency)); },
    draw: () => record.draws.push(env.now()),
    environment: env,
    ...options,
  });
  return { env, loop, record };
}

/** Stats arrive every 100 ms while training: the model changed and there is something to draw. */
const training = (loop) => (time) => {
  if (time % 100 === 0) {
    loop.invalidate();
    loop.requestDraw();
  }
};

const gaps = (times) => times.slice(1).map((t, i) => t - times[i]);

test('while training: at most four frames and four snapshots a second, each snapshot drawn as it lands', async () => {
  const { env, loop, record } = makeLoop({ latency: 20 });
  loop.start();
  await env.advance(4000, { every: training(loop) });
  const seconds = 4;
  assert.ok(record.draws.length <= 4 * seconds + 1, `${record.draws.length} frames in ${seconds} s`);
  assert.ok(record.draws.length >= 3 * seconds, `still about four frames a second (${record.draws.length})`);
  // Snapshot frames fall on the next animation frame (every 16 ms here) after the answer.
  assert.ok(Math.min(...gaps(record.draws)) >= 250 - 16, `frames about 250 ms apart at least: ${gaps(record.draws)}`);
  assert.ok(Math.min(...gaps(record.snapshots)) >= 250, `snapshots at least 250 ms apart: ${gaps(record.snapshots)}`);
  // Every snapshot after the first is drawn within a frame (16 ms) of landing, not a throttle period later.
  for (const asked of record.snapshots.slice(1, -1)) {
    const drawn = record.draws.find((t) => t >= asked + 20);
    assert.ok(drawn - (asked + 20) <= 16, `snapshot asked at ${asked} drawn at ${drawn}`);
  }
});

test('an idle page asks for no frames and sets no timers', async () => {
  const { env, loop, record } = makeLoop();
  loop.start();
  await env.advance(300); // the first snapshot, taken at start, and its frame
  const drawn = record.draws.length;
  assert.equal(record.snapshots.length, 1);
  await env.advance(2000);
  assert.equal(record.draws.length, drawn, 'no frames while nothing changes');
  assert.equal(env.frames.size, 0, 'no animation frame pending');
  assert.equal(env.timers.size, 0, 'no timer pending');
  // Paused but with new stats (a single step): one frame, soon.
  loop.requestDraw();
  await env.advance(40);
  assert.equal(record.draws.length, drawn + 1);
});

test('hidden: no snapshots, no frames; shown again: a snapshot at once, drawn', async () => {
  const { env, loop, record } = makeLoop({ latency: 20 });
  loop.start();
  await env.advance(1000, { every: training(loop) });
  env.setHidden(true);
  await env.advance(50); // what was already on its way
  const snapshots = record.snapshots.length;
  const draws = record.draws.length;
  await env.advance(3000, { every: training(loop) });
  assert.equal(record.snapshots.length, snapshots, 'the worker is not asked for samples while hidden');
  assert.equal(record.draws.length, draws, 'nothing is drawn while hidden');
  const shown = env.now();
  env.setHidden(false);
  await env.advance(60);
  assert.equal(record.snapshots.length, snapshots + 1, 'a snapshot as soon as it shows');
  assert.ok(record.snapshots.at(-1) - shown <= 1);
  assert.equal(record.draws.length, draws + 1, 'and it is drawn');
  assert.ok(record.draws.at(-1) >= record.snapshots.at(-1) + 20, 'in a frame after it landed');
  assert.ok(record.draws.at(-1) - shown <= 20 + 16 + 1, `drawn ${record.draws.at(-1) - shown} ms after showing`);
});

test('a frame waits for a snapshot on its way, at most maxWait', async () => {
  const { env, loop, record } = makeLoop({ latency: 3000, maxWait: 1000 });
  loop.start();
  await env.advance(5); // the first snapshot is on its way
  assert.equal(loop.inFlight, true);
  loop.requestDraw();
  await env.advance(900);
  assert.equal(record.draws.length, 0, 'waiting for the snapshot');
  await env.advance(150);
  assert.equal(record.draws.length, 1, 'drawn after maxWait without it');
  await env.advance(2000);
  assert.equal(record.draws.length, 2, 'and again when it lands');
});

test('stop() leaves nothing scheduled', async () => {
  const { env, loop } = makeLoop();
  loop.start();
  await env.advance(500, { every: training(loop) });
  loop.stop();
  await env.advance(100); // a snapshot in flight lands
  loop.invalidate();
  loop.requestDraw();
  assert.equal(env.frames.size, 0);
  assert.equal(env.timers.size, 0);
});
