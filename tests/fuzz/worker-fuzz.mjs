// A fuzzer for the training worker's messages (web/runtime/worker.js,
// PROTOCOL.md), against a real worker under worker_threads.
//
// Each round sends one to four random requests at once (a known type most of
// the time, each field either a plausible value or a hostile one: wrong
// types, negative, fractional, NaN, huge, BigInt, strings, arrays, typed
// arrays of the wrong kind or length, mutated checkpoints, unknown fields),
// then `pause`, and waits for every answer. Properties:
//   - every request is answered, with its answer or an error whose code is
//     known (the core's status names, BAD_REQUEST, TOO_LARGE, NO_MODEL,
//     DATA_MISMATCH, INTERRUPTED), never INTERNAL; events carry known codes too;
//   - the worker never fails or stops answering;
//   - afterwards it answers pause within 50 ms while training, and trains
//     the same bits as a fresh worker.
//
//   node tests/fuzz/worker-fuzz.mjs [SECONDS] [SEED]     (npm run fuzz runs it)
import { fileURLToPath } from 'node:url';
import { GanClient } from '../../web/runtime/client.js';
import { readIdxFile, findIdxFile } from '../../web/runtime/idx-node.js';
import { defaultDataDir } from '../../cli/data.js';
import { mulberry32 } from '../../web/runtime/toy-data.js';

const TRAIN_COUNT = 1000;
const ROUND_TIMEOUT_MS = 60000;
const JS_CODES = ['BAD_REQUEST', 'TOO_LARGE', 'NO_MODEL', 'DATA_MISMATCH', 'INTERRUPTED'];
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A seeded PRNG (mulberry32), so that a run can be replayed from its seed. */
function prng(seed) {
  const next = mulberry32(seed);
  return { next, int: (n) => Math.floor(next() * n), pick: (list) => list[Math.floor(next() * list.length)] };
}

// The protocol's request types and their fields (PROTOCOL.md), as a caller knows them.
const REQUESTS = {
  configure: ['preset', 'overrides', 'seed', 'keepRunning'],
  validate: ['preset', 'overrides', 'seed'],
  data: ['images', 'count', 'dim'],
  start: ['until', 'pace'],
  pace: ['stepsPerSecond'],
  pause: [],
  step: ['count'],
  reset: ['keepRunning'],
  sample: ['z', 'seed', 'count'],
  interpolate: ['z0', 'z1', 'steps', 'spherical'],
  discriminate: ['x'],
  noise: ['seed', 'count'],
  save: [],
  load: ['bytes', 'requireData'],
  evaluate: ['samples', 'seed', 'validation', 'test'],
  init: ['simd', 'threads', 'wasmBase'],
};
const ODD_TYPES = ['bogus', '', 'constructor', '__proto__', 'toString', 'hasOwnProperty', 'STEP', 'step ', 5, null, undefined, ['step']];

function hostileValues(rng) {
  return [undefined, null, true, false, 0, -1, 1.5, -0, NaN, Infinity, -Infinity, 2 ** 31, 2 ** 32, 2 ** 53, 1e9, 1e300,
    '2', '', 'abc', '-1', '0x10', ' 1', '1e3', 2n, -1n, 2n ** 64n, {}, [], [1, 2, 3], { a: 1 }, { __proto__: null },
    new Uint8Array(3), new Float32Array(3), new Float64Array(2), new Int32Array(4), new ArrayBuffer(8), new Date(0),
    new Map([[1, 2]]), 'x'.repeat(1000), new Uint8Array(rng.int(2000)), new Float32Array(rng.int(2000))];
}

/** A plausible value of a field, for the current model's sizes. */
function goodValue(field, rng, shape, checkpoint) {
  const floats = (n) => new Float32Array(n).map(() => rng.next());
  switch (field) {
    case 'preset': return rng.next() < 0.03 ? 'paper' : rng.pick(['small', 'toy', 'small']);
    case 'overrides': return rng.pick([{}, { d_steps: 2 }, { batch_size: '16' }, { 'g.layers.0.units': 16 }, { seed: '5' },
      { prior: 'gaussian' }, { update_order: 'simultaneous' }, { 'd.layers.2.keep_prob': 0.5 }, { noise_dim: 0 }]);
    case 'seed': return rng.pick([0, 1, 7, 123456789, 5n, 2n ** 64n - 1n, '42', '18446744073709551615', Number.MAX_SAFE_INTEGER]);
    case 'keepRunning': case 'spherical': case 'requireData': return rng.next() < 0.5;
    case 'images': { const n = 1 + rng.int(50); return new Uint8Array(n * shape.dataDim).map(() => rng.int(256)); }
    case 'count': return 1 + rng.int(rng.next() < 0.1 ? 2000 : 8);
    case 'dim': return shape.dataDim;
    case 'until': return shape.step + rng.int(20);
    case 'pace': case 'stepsPerSecond': return rng.pick([0, 5, 50, 1000]);
    case 'z': return floats(shape.noiseDim * (1 + rng.int(4)));
    case 'z0': case 'z1': return floats(shape.noiseDim);
    case 'steps': return 2 + rng.int(12);
    case 'x': return floats(shape.dataDim * (1 + rng.int(4)));
    case 'bytes': {
      if (!checkpoint || rng.next() < 0.2) return new Uint8Array(rng.int(300)).map(() => rng.int(256));
      const bytes = checkpoint.slice();
      for (let i = rng.int(4); i > 0; i--) bytes[rng.int(bytes.length)] = rng.int(256);
      return rng.next() < 0.3 ? bytes.subarray(0, rng.int(bytes.length)) : bytes;
    }
    case 'samples': return 1 + rng.int(rng.next() < 0.1 ? 3000 : 50);
    case 'validation': case 'test': return new Uint8Array(shape.dataDim * (1 + rng.int(4))).map(() => rng.int(256));
    case 'simd': return rng.pick(['auto', true, false]);
    case 'threads': return rng.pick(['auto', 1, 2]);
    case 'wasmBase': return rng.pick(['.', '/nowhere/']);
    default: return undefined;
  }
}

function randomRequest(rng, shape, checkpoint) {
  const known = rng.next() < 0.93;
  const type = known ? rng.pick(Object.keys(REQUESTS)) : rng.pick(ODD_TYPES);
  const fields = {};
  for (const field of (Object.hasOwn(REQUESTS, type) ? REQUESTS[type] : [])) {
    const roll = rng.next();
    if (roll < 0.35) continue;
    fields[field] = roll < 0.8 ? goodValue(field, rng, shape, checkpoint) : rng.pick(hostileValues(rng));
  }
  if (rng.next() < 0.04) fields[rng.pick(['counts', 'extra', 'id2', 'constructor'])] = rng.pick(hostileValues(rng));
  return { type, fields };
}

const describe = (request) => `${String(request.type)} ${JSON.stringify(request.fields, (key, value) => {
  if (typeof value === 'bigint') return `${value}n`;
  if (ArrayBuffer.isView(value)) return `${value.constructor.name}(${value.length})`;
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  return value;
})}`;

/** Training the same steps on a fresh worker and on `client` gives the same bytes. */
async function trainsCorrectly(client, pixels) {
  const run = async (c) => {
    await c.configure('small', {}, 7);
    await c.setData(pixels, TRAIN_COUNT, 784);
    await c.step(3);
    return Buffer.from((await c.save()).bytes);
  };
  const fresh = await GanClient.create({ threads: 1 });
  try {
    return (await run(client)).equals(await run(fresh));
  } finally {
    fresh.terminate();
  }
}

/** Pause latencies (ms) while training the small model. */
async function pauseLatencies(client, pixels, rounds = 3) {
  await client.configure('small', {}, 3);
  await client.setData(pixels, TRAIN_COUNT, 784);
  const latencies = [];
  for (let i = 0; i < rounds; i++) {
    await client.start();
    await sleep(200 + 30 * i);
    const t0 = performance.now();
    await client.pause();
    latencies.push(performance.now() - t0);
  }
  return latencies;
}

/**
 * Fuzzes for `seconds`. Returns {seed, rounds, requests, answers, refusals: {code: n}, pauseMs, trainsCorrectly, findings}.
 */
export async function fuzzWorker({ seconds = 5, seed = Date.now() >>> 0, log = () => {}, workerUrl } = {}) {
  const rng = prng(seed);
  const pixels = readIdxFile(findIdxFile(defaultDataDir(), 'trainImages')).data.subarray(0, TRAIN_COUNT * 784);
  const client = await GanClient.create({ threads: 1, workerUrl });
  const known = new Set([...client.description.statuses.map((s) => s.name), ...JS_CODES]);
  const findings = [];
  const refusals = {};
  let failed = null;
  client.on('failure', (error) => { failed = error; });
  client.on('error', (event) => {
    if (!known.has(event.code)) findings.push(`event with unknown code ${event.code}: ${event.message}`);
  });
  let requests = 0;
  let answers = 0;
  let rounds = 0;
  let nextLog = performance.now() + 10000;
  try {
    await client.configure('small', {}, 1);
    await client.setData(pixels, TRAIN_COUNT, 784);
    let checkpoint = (await client.save()).bytes;
    const shape = { noiseDim: 64, dataDim: 784, step: 0 };
    const started = performance.now();
    while (performance.now() - started < seconds * 1000 && findings.length < 10 && !failed) {
      const batch = Array.from({ length: 1 + rng.int(4) }, () => randomRequest(rng, shape, checkpoint));
      const pending = batch.map((request) => client.request(request.type, request.fields).then(
        (answer) => ({ request, answer }),
        (error) => ({ request, error }),
      ));
      pending.push(client.pause().then((answer) => ({ request: { type: 'pause', fields: {} }, answer }), (error) => ({ request: { type: 'pause', fields: {} }, error })));
      requests += pending.length;
      let timer;
      const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve('timeout'), ROUND_TIMEOUT_MS); });
      const results = await Promise.race([Promise.all(pending), timeout]);
      clearTimeout(timer);
      rounds++;
      if (results === 'timeout') {
        findings.push(`no answer within ${ROUND_TIMEOUT_MS} ms to: ${batch.map(describe).join('; ')}`);
        break;
      }
      for (const { request, answer, error } of results) {
        if (answer) {
          answers++;
          if (answer.type === 'configured' || answer.type === 'loaded') {
            shape.noiseDim = Number(answer.config.noise_dim);
            shape.dataDim = Number(answer.config.data_dim);
          }
          if (answer.type === 'checkpoint' && rng.next() < 0.3) checkpoint = answer.bytes;
          if (answer.type === 'stats' && Number.isFinite(answer.step)) shape.step = answer.step;
          continue;
        }
        const code = error?.code;
        refusals[code] = (refusals[code] ?? 0) + 1;
        if (!known.has(code)) findings.push(`${describe(request)}: refused with ${code === 'INTERNAL' ? 'INTERNAL' : `unknown code ${code}`}: ${error?.message}`);
      }
      if (performance.now() > nextLog) {
        log(`worker fuzz: ${rounds} rounds, ${requests} requests, ${findings.length} findings`);
        nextLog += 10000;
      }
    }
    if (failed) findings.push(`the worker failed: ${failed.message}`);
    const pauseMs = failed ? [] : await pauseLatencies(client, pixels);
    const sorted = [...pauseMs].sort((a, b) => a - b);
    if (!failed && !(sorted[1] < 50)) findings.push(`pause answered in ${pauseMs.map((ms) => ms.toFixed(1)).join(', ')} ms after fuzzing (median above 50 ms)`);
    const correct = !failed && await trainsCorrectly(client, pixels);
    if (!failed && !correct) findings.push('after fuzzing, the worker trains other bits than a fresh one');
    return { seed, rounds, requests, answers, refusals, pauseMs, trainsCorrectly: correct, findings };
  } finally {
    client.terminate();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seconds = Number(process.argv[2] ?? 60);
  const seed = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  // WASM_GAN_WORKER: another worker.js to fuzz (an older tree's, say)
  const r = await fuzzWorker({ seconds, seed, log: (line) => console.error(line), workerUrl: process.env.WASM_GAN_WORKER });
  console.log(`worker-fuzz: ${r.requests} requests in ${r.rounds} rounds (seed ${r.seed}), ${r.answers} answered, refused: ` +
    `${Object.entries(r.refusals).map(([code, n]) => `${code} ${n}`).join(', ')}; pause afterwards ` +
    `${r.pauseMs.map((ms) => ms.toFixed(1)).join(', ')} ms; trains correctly: ${r.trainsCorrectly}; ${r.findings.length} findings`);
  for (const finding of r.findings) console.log(`  ${finding}`);
  process.exitCode = r.findings.length ? 1 : 0;
}
