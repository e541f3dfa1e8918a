// The training worker: owns the wasm core and runs the training loop in
// slices, answering the requests of PROTOCOL.md between them. The same file
// runs as a browser module Web Worker and under Node's worker_threads. It
// talks to the core only through the model API (loader.js); what it reports
// (steps, presets, statuses, stats fields) comes from the core.
import { GanError, loadGan } from './loader.js';
import { afterPendingMessages, connectToParent } from './loading.js';
import { toyData } from './toy-data.js';

const SLICE_MS = 20;          // longest stretch of training between two looks at the queue
const PARTS_ABOVE_MS = 10;    // iterations longer than this run in parts (trainPart)
const STATS_INTERVAL_MS = 100;
const RATE_WINDOW_MS = 1000;  // steps/s is measured over about this long
const PACE_BURST_S = 0.1;     // a paced run trains at most this many seconds' worth of steps at once

const post = connectToParent((message) => enqueue(message));

const now = () => performance.now();

// --- state ------------------------------------------------------------------
let gan = null;            // the loaded core (loadGan)
let initOptions = {};
let model = null;          // the current GanModel
let data = null;           // {pointer, count, dim}: MNIST-like u8 data in wasm memory
let toy = null;            // {pointer, count, seed}: the toy preset's f32 data in wasm memory
let running = false;
let until = Infinity;      // auto-pause at this step (start {until})
let pace = 0;              // steps per second while running (start {pace}, pace); 0: full speed
let paceBudget = 0;        // steps the pace allows now (a token bucket, at most PACE_BURST_S worth)
let paceTime = 0;          // when paceBudget was last topped up
let msPerStep = null;      // running estimate of one iteration (null: not measured yet)
let msPerPart = 0;         // a slowly decaying maximum of recent parts' times (trainPart)
let iterationMs = 0;       // time spent so far on the iteration in progress
let elapsedMs = 0;         // training time of this model in this worker
let lastStats = null;
let lastStatsPost = 0;
let rateSamples = [];      // [time, step] pairs for steps/s
let tickPending = false;
let tickTimer = null;      // a paced run's wait for its next step

// Requests are handled one at a time in arrival order; training slices run
// between them.
let queue = Promise.resolve();
function enqueue(message) {
  queue = queue.then(() => handle(message)).catch((error) => reportError(message?.id, error));
}

function reportError(id, error) {
  const code = error instanceof GanError ? error.code : (error?.code ?? 'INTERNAL');
  post({ type: 'error', id, code, message: error?.message ?? String(error) });
}

async function ensureGan() {
  if (!gan) gan = await loadGan(initOptions);
  return gan;
}

function requireModel() {
  if (!model) throw new GanError('NO_MODEL', 'no model: send configure (or load) first');
  return model;
}

function typedArray(value, Type, name) {
  if (value instanceof Type) return value;
  if (ArrayBuffer.isView(value) || Array.isArray(value)) return Type.from(value);
  if (value instanceof ArrayBuffer) return new Type(value);
  throw new GanError('BAD_REQUEST', `${name} must be a ${Type.name}`);
}

function positiveInteger(value, name, max = 1e9) {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new GanError('BAD_REQUEST', `${name} must be an integer in 1..${max}, not ${value}`);
  return n;
}

function stepsPerSecond(value, name) {
  const n = Number(value ?? 0);
  if (!(n >= 0) || !Number.isFinite(n)) throw new GanError('BAD_REQUEST', `${name} must be a number of steps per second >= 0 (0: full speed), not ${value}`);
  return n;
}

/** The model's completed iterations, from the core. */
const stepOf = (target) => target.position().step;

// --- models and data --------------------------------------------------------

/** Attaches the data that suits `target` (toy data from its seed, or the MNIST rows); false if none does. */
function attachTo(target) {
  if (target.dataDim === 1) {
    const seed = target.config().seed;
    if (!toy || toy.seed !== seed) {
      if (toy) gan.release(toy.pointer);
      const values = toyData(seed);
      toy = { pointer: gan.copyIn(values), count: values.length, seed };
    }
    target.attachDataAt(toy.pointer, toy.count, { float: true });
    return true;
  }
  if (data && data.dim === target.dataDim) {
    target.attachDataAt(data.pointer, data.count);
    return true;
  }
  return false;
}

/** Makes `next` the model; a fresh one (step 0) also gets G's output bias from its data. */
function adopt(next, { fresh }) {
  if (model && model !== next) model.free();
  model = next;
  lastStats = null;
  elapsedMs = 0;
  rateSamples = [[now(), stepOf(model)]];
  msPerStep = null;
  msPerPart = 0;
  iterationMs = 0;
  const attached = attachTo(model);
  if (attached && fresh) model.initGeneratorBias();
}

/** The parts of `configured` and `loaded` that describe the model. */
function modelFields() {
  const config = model.config();
  return { config, preset: config.preset || null, step: stepOf(model) };
}

function configuredMessage(id) {
  return {
    type: 'configured', id,
    ...modelFields(),
    parameterCount: model.parameterCount(),
    noiseDim: model.noiseDim,
    dataDim: model.dataDim,
    hasData: model.dataCount > 0,
    simd: gan.simd,
  };
}

function setRunning(value, reason, id) {
  const changed = running !== value;
  running = value;
  if (value) {
    rateSamples = [[now(), stepOf(model)]];
    paceBudget = 1; // a paced run's first step comes at once
    paceTime = now();
    wake();
  }
  if (changed || id !== undefined) post({ type: 'state', id, running, reason });
}

// --- training ---------------------------------------------------------------
function statsMessage(stats, id) {
  const t = now();
  rateSamples.push([t, stats.step]);
  while (rateSamples.length > 2 && t - rateSamples[1][0] > RATE_WINDOW_MS) rateSamples.shift();
  const [t0, s0] = rateSamples[0];
  const seconds = (t - t0) / 1000;
  const message = { type: 'stats', id };
  for (const field of gan.description.stats) message[field] = stats[field];
  Object.assign(message, {
    steps_per_s: seconds > 0 ? (stats.step - s0) / seconds : 0,
    elapsed_s: elapsedMs / 1000,
    running,
  });
  lastStatsPost = t;
  return message;
}

/** The last step's stats, or the position alone when nothing trained since the model changed. */
function currentStats() {
  if (lastStats) return lastStats;
  const stats = Object.fromEntries(gan.description.stats.map((field) => [field, NaN]));
  return { ...stats, ...model.position(), non_finite: 0 };
}

/** Trains up to `steps` iterations; returns false when a step was rolled back. */
function trainChunk(steps) {
  const before = stepOf(model);
  const started = now();
  const stats = model.train(steps);
  const took = now() - started;
  elapsedMs += took;
  const done = stats.step - before;
  if (done > 0) msPerStep = estimate(msPerStep, took / done);
  lastStats = stats;
  return stats.status === 'GAN_OK';
}

function estimate(previous, sample) {
  return previous === null ? sample : 0.7 * previous + 0.3 * sample;
}

/**
 * Runs one part of an iteration (two per D-update, two for G's: about 25 ms
 * each for the paper model on one thread). Returns null while the iteration
 * is unfinished, else whether it succeeded.
 */
function trainPart() {
  const started = now();
  const stats = model.trainPart();
  const took = now() - started;
  elapsedMs += took;
  msPerPart = Math.max(took, 0.9 * msPerPart);
  iterationMs += took;
  if (!stats) return null;
  if (stats.status === 'GAN_OK') msPerStep = estimate(msPerStep, iterationMs);
  iterationMs = 0;
  lastStats = stats;
  return stats.status === 'GAN_OK';
}

/**
 * Ends an iteration left unfinished by a slice (after a pause, say), before
 * a request that reads the networks or the whole state: sampling, saving,
 * evaluating, attaching data. Returns false if it was rolled back.
 */
function settle() {
  if (!model || !model.inProgress) return true;
  const started = now();
  const stats = model.finishIteration();
  elapsedMs += now() - started;
  iterationMs = 0;
  lastStats = stats;
  if (stats.status === 'GAN_OK') {
    if (!running) post(statsMessage(lastStats)); // the counter moved while paused
    return true;
  }
  rolledBack();
  return false;
}

/** Reports a rolled-back step; training, if running, pauses there. */
function rolledBack() {
  const wasRunning = running;
  running = false;
  post(statsMessage(lastStats));
  post({ type: 'error', code: 'GAN_ERR_NON_FINITE',
    message: `step ${lastStats.step + 1} produced a non-finite value and was rolled back${wasRunning ? '; training paused' : ''}` });
  if (wasRunning) post({ type: 'state', running: false, reason: 'non-finite' });
}

function untilReached() {
  running = false;
  post(statsMessage(currentStats()));
  post({ type: 'state', running: false, reason: 'until' });
}

/**
 * Whole steps the pace allows now (Infinity at full speed). The allowance
 * grows at `pace` steps per second up to PACE_BURST_S seconds' worth (at
 * least one step): a slice that ran late, or a stalled worker, never
 * catches up.
 */
function paceAllows() {
  if (!(pace > 0)) return Infinity;
  const t = now();
  paceBudget = Math.min(Math.max(1, pace * PACE_BURST_S), paceBudget + ((t - paceTime) / 1000) * pace);
  paceTime = t;
  return Math.floor(paceBudget);
}

// A slice trains whole iterations while they are short; while one takes more
// than PARTS_ABOVE_MS (the paper model: ~90 ms on one thread), or before a
// new model's first iteration is timed, it trains parts of iterations, so
// that a request waits for one part at most. A paced run trains only the
// steps its pace allows, then sleeps until the next one is due.
function runSlice() {
  tickPending = false;
  if (!running || !model) return;
  const deadline = now() + SLICE_MS;
  let sleepMs = 0;
  try {
    for (;;) {
      const remaining = until - stepOf(model);
      if (remaining <= 0) { untilReached(); return; }
      const inProgress = model.inProgress;
      const allowed = inProgress ? Infinity : paceAllows();
      if (allowed < 1) {
        sleepMs = ((1 - paceBudget) / pace) * 1000;
        break;
      }
      if (msPerStep === null || msPerStep > PARTS_ABOVE_MS || inProgress) {
        if (!inProgress) paceBudget -= 1; // this part begins an iteration
        const ok = trainPart();
        if (ok === false) { rolledBack(); return; }
        if (now() + msPerPart > deadline) break;
        continue;
      }
      const budget = deadline - now();
      const chunk = Math.max(1, Math.min(remaining, allowed, Math.floor(budget / Math.max(msPerStep, 1e-3))));
      if (pace > 0) paceBudget -= chunk;
      if (!trainChunk(chunk)) { rolledBack(); return; }
      if (now() + msPerStep > deadline) break;
    }
  } catch (error) {
    running = false;
    reportError(undefined, error);
    post({ type: 'state', running: false, reason: 'error' });
    return;
  }
  if (lastStats && now() - lastStatsPost >= STATS_INTERVAL_MS) post(statsMessage(lastStats));
  scheduleTick(sleepMs);
}

// Between slices the worker yields to its message queue, so requests that
// arrived meanwhile run before the next slice; a paced run waiting for its
// next step sleeps on a timer instead.
function scheduleTick(delayMs = 0) {
  if (tickPending) return;
  tickPending = true;
  const slice = () => { queue = queue.then(runSlice).catch((error) => reportError(undefined, error)); };
  if (delayMs > 0) {
    tickTimer = setTimeout(() => { tickTimer = null; slice(); }, delayMs);
  } else {
    afterPendingMessages(slice);
  }
}

/** Runs the next slice soon, cutting short a paced run's sleep. */
function wake() {
  if (tickTimer !== null) {
    clearTimeout(tickTimer);
    tickTimer = null;
    tickPending = false;
  }
  scheduleTick();
}

// --- requests ---------------------------------------------------------------
async function handle(message) {
  const { type, id } = message ?? {};
  switch (type) {
    case 'init': {
      if (gan) throw new GanError('BAD_REQUEST', 'already initialised');
      initOptions = { simd: message.simd ?? 'auto', wasmBase: message.wasmBase, threads: message.threads ?? 'auto' };
      await ensureGan();
      post({ type: 'ready', id, simd: gan.simd, threads: gan.threads, threadsNote: gan.threadsNote ?? null, description: gan.description });
      return;
    }
    case 'configure': {
      await ensureGan();
      const name = message.preset ?? (model?.config().preset || 'small');
      const overrides = { ...(message.overrides ?? {}) };
      const seed = message.seed;
      gan.presetConfig(name, overrides, seed); // validates before anything changes
      const wasRunning = running;
      if (running) setRunning(false, 'configure');
      adopt(gan.create(name, overrides, seed), { fresh: true });
      post(configuredMessage(id));
      if (wasRunning && message.keepRunning) setRunning(true, 'configure');
      return;
    }
    case 'data': {
      await ensureGan();
      const images = typedArray(message.images, Uint8Array, 'images');
      const dim = positiveInteger(message.dim ?? 784, 'dim', 1 << 20);
      const count = positiveInteger(message.count ?? images.length / dim, 'count', 1 << 28);
      if (images.length !== count * dim) {
        throw new GanError('BAD_REQUEST', `data: ${images.length} bytes is not count ${count} x dim ${dim}`);
      }
      if (model && model.dataDim !== 1 && model.dataDim !== dim) {
        throw new GanError('BAD_REQUEST', `data: images have ${dim} values, the model's data_dim is ${model.dataDim}`);
      }
      settle();
      const pointer = gan.copyIn(images);
      const previous = data;
      data = { pointer, count, dim };
      if (model && model.dataDim === dim) {
        try {
          model.attachDataAt(pointer, count); // keeps the data position (a loaded checkpoint's too)
        } catch (error) {
          data = previous;
          gan.release(pointer);
          throw error;
        }
        if (stepOf(model) === 0) model.initGeneratorBias();
      }
      if (previous) gan.release(previous.pointer);
      post({ type: 'data-ready', id, count });
      return;
    }
    case 'start': {
      const target = requireModel();
      if (target.dataCount === 0) throw new GanError('GAN_ERR_NO_DATA', 'no training data: send data first');
      const nextUntil = message.until === undefined || message.until === null ? Infinity : Number(message.until);
      if (!(nextUntil >= 0)) throw new GanError('BAD_REQUEST', `until must be a step number, not ${message.until}`);
      const nextPace = stepsPerSecond(message.pace, 'pace');
      until = nextUntil;
      pace = nextPace;
      setRunning(true, 'start', id);
      return;
    }
    case 'pace': {
      pace = stepsPerSecond(message.stepsPerSecond, 'stepsPerSecond');
      paceBudget = Math.min(paceBudget, 1);
      paceTime = now();
      if (running) wake(); // a sleep computed for the old pace ends now
      post({ type: 'pace', id, stepsPerSecond: pace });
      return;
    }
    case 'pause': {
      setRunning(false, 'pause', id);
      if (model) post(statsMessage(currentStats()));
      return;
    }
    case 'step': {
      const target = requireModel();
      const count = positiveInteger(message.count ?? 1, 'count');
      if (target.dataCount === 0) throw new GanError('GAN_ERR_NO_DATA', 'no training data: send data first');
      const ok = trainChunk(count);
      post(statsMessage(lastStats, id));
      if (!ok) {
        post({ type: 'error', code: 'GAN_ERR_NON_FINITE', message: `step ${lastStats.step + 1} produced a non-finite value and was rolled back` });
        if (running) { running = false; post({ type: 'state', running: false, reason: 'non-finite' }); }
      }
      return;
    }
    case 'reset': {
      const target = requireModel();
      const wasRunning = running;
      if (running) setRunning(false, 'reset');
      adopt(target.fresh(), { fresh: true }); // same configuration and seed, fresh weights, step 0
      post(configuredMessage(id));
      if (wasRunning && message.keepRunning) setRunning(true, 'reset');
      return;
    }
    case 'noise': {
      const target = requireModel();
      const z = target.sampleNoise(message.seed ?? 0, positiveInteger(message.count ?? 1, 'count', 1 << 20));
      post({ type: 'noise', id, z }, [z.buffer]);
      return;
    }
    case 'sample': {
      const target = requireModel();
      settle();
      const z = message.z !== undefined
        ? typedArray(message.z, Float32Array, 'z')
        : target.sampleNoise(message.seed ?? 0, positiveInteger(message.count ?? 1, 'count', 1 << 20));
      const images = target.generate(z);
      const count = z.length / target.noiseDim;
      post({ type: 'samples', id, images, count, z }, [images.buffer]);
      return;
    }
    case 'interpolate': {
      const target = requireModel();
      settle();
      const z0 = typedArray(message.z0, Float32Array, 'z0');
      const z1 = typedArray(message.z1, Float32Array, 'z1');
      if (z0.length !== target.noiseDim || z1.length !== target.noiseDim) {
        throw new GanError('BAD_REQUEST', `interpolate: z0 and z1 need noise_dim = ${target.noiseDim} values`);
      }
      const steps = positiveInteger(message.steps ?? 10, 'steps', 1 << 16);
      if (steps < 2) throw new GanError('BAD_REQUEST', 'interpolate: steps must be at least 2');
      const z = gan.interpolate(z0, z1, steps, !!message.spherical);
      const images = target.generate(z);
      post({ type: 'samples', id, images, count: steps, z }, [images.buffer, z.buffer]);
      return;
    }
    case 'discriminate': {
      const target = requireModel();
      settle();
      const values = target.discriminate(typedArray(message.x, Float32Array, 'x'));
      post({ type: 'probabilities', id, values }, [values.buffer]);
      return;
    }
    case 'save': {
      const target = requireModel();
      settle();
      const bytes = target.checkpointSave();
      post({ type: 'checkpoint', id, bytes, step: stepOf(target) }, [bytes.buffer]);
      return;
    }
    case 'load': {
      await ensureGan();
      const bytes = typedArray(message.bytes, Uint8Array, 'bytes');
      // The core restores the whole training state, the data position
      // included, and keeps that position when data is attached later.
      if (model) {
        try {
          model.checkpointLoad(bytes); // abandons an unfinished iteration
          lastStats = null;
          iterationMs = 0;
          rateSamples = [[now(), stepOf(model)]];
          if (model.dataDim === 1) attachTo(model); // toy data comes from the seed the file carries
          post({ type: 'loaded', id, ...modelFields() });
          return;
        } catch (error) {
          if (error.code !== 'GAN_ERR_CHECKPOINT_MISMATCH') throw error;
        }
      }
      // Another architecture (or no model yet): a new model from the file.
      const next = gan.createFromCheckpoint(bytes);
      const wasRunning = running;
      if (running) setRunning(false, 'load');
      adopt(next, { fresh: false });
      post({ type: 'loaded', id, ...modelFields(), replaced: true });
      if (wasRunning && model.dataCount) setRunning(true, 'load');
      return;
    }
    case 'evaluate': {
      const target = requireModel();
      settle();
      const dim = target.dataDim;
      const validation = typedArray(message.validation, Uint8Array, 'validation');
      const test = typedArray(message.test, Uint8Array, 'test');
      if (validation.length % dim || test.length % dim) throw new GanError('BAD_REQUEST', `evaluate: images must have ${dim} values each`);
      const n = positiveInteger(message.samples ?? 10000, 'samples', 1 << 20);
      const z = target.sampleNoise(message.seed ?? 0, n);
      const samples = target.generate(z);
      const result = gan.parzenEvaluate(samples, n, validation, validation.length / dim, test, test.length / dim, dim);
      post({ type: 'evaluation', id, ...result, samples: n, validation: validation.length / dim, test: test.length / dim });
      return;
    }
    default:
      throw new GanError('BAD_REQUEST', `unknown request type ${JSON.stringify(type)}`);
  }
}
