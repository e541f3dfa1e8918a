// The training worker: owns the wasm core and runs the training loop in
// slices, answering the requests of PROTOCOL.md between them. The same file
// runs as a browser module Web Worker and under Node's worker_threads.
import { GanError, loadGan } from './loader.js';
import { toyData } from './toy-data.js';
import { readCheckpointInfo } from './checkpoint-info.js';

const SLICE_MS = 20;          // longest stretch of training between two looks at the queue
const PARTS_ABOVE_MS = 10;    // iterations longer than this run in parts (trainPart)
const STATS_INTERVAL_MS = 100;
const RATE_WINDOW_MS = 1000;  // steps/s is measured over about this long

// --- transport: browser worker global or node:worker_threads parentPort ----
let postRaw;
const inBrowserWorker = typeof WorkerGlobalScope !== 'undefined' && typeof self !== 'undefined';
if (inBrowserWorker) {
  // Installed synchronously, so no early message is missed.
  self.onmessage = (event) => enqueue(event.data);
  postRaw = (message, transfer) => self.postMessage(message, transfer);
} else {
  const { parentPort } = await import('node:worker_threads');
  parentPort.on('message', (message) => enqueue(message));
  postRaw = (message, transfer) => parentPort.postMessage(message, transfer);
}

function post(message, transfer = []) { postRaw(message, transfer); }

const now = () => performance.now();

// --- state ------------------------------------------------------------------
let gan = null;            // the loaded core (loadGan)
let initOptions = {};
let model = null;          // the current GanModel
let preset = null;         // what `configure` asked for, for the answer
let data = null;           // {pointer, count, dim}: MNIST-like u8 data in wasm memory
let toy = null;            // {pointer, count, seed}: the toy preset's f32 data in wasm memory
let running = false;
let until = Infinity;      // auto-pause at this step (start {until})
let msPerStep = null;      // running estimate of one iteration (null: not measured yet)
let msPerPart = 0;         // a slowly decaying maximum of recent parts' times (trainPart)
let iterationMs = 0;       // time spent so far on the iteration in progress
let elapsedMs = 0;         // training time of this model in this worker
let lastStats = null;
let lastStatsPost = 0;
let rateSamples = [];      // [time, step] pairs for steps/s
let tickPending = false;

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

// --- models and data --------------------------------------------------------
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

function lastStep(target) {
  return target === model && lastStats ? lastStats.step : Number(target._initialStep ?? 0);
}

function adopt(next, { fresh, step = 0 }) {
  if (model && model !== next) model.free();
  model = next;
  model._initialStep = fresh ? 0 : step;
  lastStats = null;
  elapsedMs = 0;
  rateSamples = [];
  msPerStep = null;
  msPerPart = 0;
  iterationMs = 0;
  const attached = attachTo(model);
  if (attached && fresh) model.initGeneratorBias();
}

// The core keeps the data position (part of the training state) when data
// of the same size is attached again, but a model that had no data restarts
// its epoch on attach. So a model made from a checkpoint loads it once more
// after its data is attached, to put the position back; until then the
// bytes wait here.
function restorePosition(bytes) {
  if (model.dataCount) {
    model.checkpointLoad(bytes);
    delete model._pendingCheckpoint;
  } else {
    model._pendingCheckpoint = bytes;
  }
}

function configuredMessage(id) {
  return {
    type: 'configured', id,
    preset: preset?.name ?? null,
    config: model.config(),
    parameterCount: model.parameterCount(),
    noiseDim: model.noiseDim,
    dataDim: model.dataDim,
    step: lastStep(model),
    hasData: model.dataCount > 0,
    simd: gan.simd,
  };
}

function setRunning(value, reason, id) {
  const changed = running !== value;
  running = value;
  if (value) {
    rateSamples = [[now(), lastStep(model)]];
    scheduleTick();
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
  const message = {
    type: 'stats', id,
    step: stats.step, epoch: stats.epoch,
    d_loss: stats.d_loss, g_loss: stats.g_loss, d_real: stats.d_real, d_fake: stats.d_fake,
    d_grad_norm: stats.d_grad_norm, g_grad_norm: stats.g_grad_norm,
    d_learning_rate: stats.d_learning_rate, g_learning_rate: stats.g_learning_rate,
    momentum: stats.momentum,
    steps_per_s: seconds > 0 ? (stats.step - s0) / seconds : 0,
    elapsed_s: elapsedMs / 1000,
    non_finite: stats.non_finite, non_finite_total: stats.non_finite_total,
    running,
  };
  lastStatsPost = t;
  return message;
}

/** Trains up to `steps` iterations; returns false when a step was rolled back. */
function trainChunk(steps) {
  const started = now();
  const stats = model.train(steps);
  const took = now() - started;
  elapsedMs += took;
  const done = stats.status === 'GAN_OK' ? steps : Math.max(0, stats.step - lastStep(model));
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
  post(statsMessage(lastStats ?? { ...zeroStats(), step: lastStep(model) }));
  post({ type: 'state', running: false, reason: 'until' });
}

// A slice trains whole iterations while they are short; while one takes more
// than PARTS_ABOVE_MS (the paper model: ~90 ms on one thread), or before a
// new model's first iteration is timed, it trains parts of iterations, so
// that a request waits for one part at most.
function runSlice() {
  tickPending = false;
  if (!running || !model) return;
  const deadline = now() + SLICE_MS;
  try {
    for (;;) {
      if (until - lastStep(model) <= 0) { untilReached(); return; }
      if (msPerStep === null || msPerStep > PARTS_ABOVE_MS || model.inProgress) {
        const ok = trainPart();
        if (ok === false) { rolledBack(); return; }
        if (now() + msPerPart > deadline) break;
        continue;
      }
      const remaining = until - lastStep(model);
      const budget = deadline - now();
      const chunk = Math.max(1, Math.min(remaining, Math.floor(budget / Math.max(msPerStep, 1e-3))));
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
  scheduleTick();
}

function zeroStats() {
  return { step: 0, epoch: 0, d_loss: NaN, g_loss: NaN, d_real: NaN, d_fake: NaN, d_grad_norm: NaN,
    g_grad_norm: NaN, d_learning_rate: NaN, g_learning_rate: NaN, momentum: NaN, non_finite: 0, non_finite_total: 0 };
}

// Yield to the message queue between slices, so requests that arrived
// meanwhile run before the next slice. Browsers: a MessageChannel tick (no
// setTimeout clamping). Node: setImmediate, which runs after pending I/O;
// a MessagePort there drains its own queue first and would starve parentPort.
const yieldToQueue = typeof setImmediate === 'function'
  ? (callback) => setImmediate(callback)
  : (() => {
    const channel = new MessageChannel();
    let pending = null;
    channel.port1.onmessage = () => { const callback = pending; pending = null; callback(); };
    return (callback) => { pending = callback; channel.port2.postMessage(null); };
  })();

function scheduleTick() {
  if (tickPending) return;
  tickPending = true;
  yieldToQueue(() => { queue = queue.then(runSlice).catch((error) => reportError(undefined, error)); });
}

// --- requests ---------------------------------------------------------------
async function handle(message) {
  const { type, id } = message ?? {};
  switch (type) {
    case 'init': {
      if (gan) throw new GanError('BAD_REQUEST', 'already initialised');
      initOptions = { simd: message.simd ?? 'auto', wasmBase: message.wasmBase, threads: message.threads ?? 'auto' };
      await ensureGan();
      post({ type: 'ready', id, simd: gan.simd, threads: gan.threads, threadsNote: gan.threadsNote ?? null });
      return;
    }
    case 'configure': {
      await ensureGan();
      const name = message.preset ?? preset?.name ?? 'small';
      const overrides = { ...(message.overrides ?? {}) };
      const seed = message.seed;
      gan.presetConfig(name, overrides, seed); // validates before anything changes
      const wasRunning = running;
      if (running) setRunning(false, 'configure');
      const next = gan.create(name, overrides, seed);
      preset = { name, overrides, seed };
      adopt(next, { fresh: true });
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
          model.attachDataAt(pointer, count);
        } catch (error) {
          data = previous;
          gan.release(pointer);
          throw error;
        }
        if (lastStep(model) === 0) model.initGeneratorBias();
      }
      if (model?._pendingCheckpoint && model.dataCount) restorePosition(model._pendingCheckpoint);
      if (previous) gan.release(previous.pointer);
      post({ type: 'data-ready', id, count });
      return;
    }
    case 'start': {
      const target = requireModel();
      if (target.dataCount === 0) throw new GanError('GAN_ERR_NO_DATA', 'no training data: send data first');
      until = message.until === undefined || message.until === null ? Infinity : Number(message.until);
      if (!(until >= 0)) throw new GanError('BAD_REQUEST', `until must be a step number, not ${message.until}`);
      setRunning(true, 'start', id);
      return;
    }
    case 'pause': {
      setRunning(false, 'pause', id);
      if (model) post(statsMessage(lastStats ?? { ...zeroStats(), step: lastStep(model) }));
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
      // Same configuration (and seed), fresh weights, step 0.
      const next = gan.withBuffers([4], (out) => {
        gan.check(gan.exports.gan_create(gan.exports.gan_get_config(target.pointer), out), 'gan_create');
        return new target.constructor(gan, gan.heap().u32[out >> 2]);
      });
      adopt(next, { fresh: true });
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
      requireModel();
      settle();
      const bytes = model.checkpointSave();
      post({ type: 'checkpoint', id, bytes, step: lastStep(model) }, [bytes.buffer]);
      return;
    }
    case 'load': {
      await ensureGan();
      const bytes = typedArray(message.bytes, Uint8Array, 'bytes');
      if (model) {
        try {
          model.checkpointLoad(bytes); // abandons an unfinished iteration
          lastStats = null;
          iterationMs = 0;
          model._initialStep = readCheckpointInfo(bytes).step;
          rateSamples = [[now(), model._initialStep]];
          if (model.dataDim === 1 || !model.dataCount) {
            // Toy data depends on the seed the file carries; either way attach, then restore the position.
            if (attachTo(model)) model.checkpointLoad(bytes);
            else model._pendingCheckpoint = bytes;
          }
          post({ type: 'loaded', id, config: model.config(), step: model._initialStep });
          return;
        } catch (error) {
          if (error.code !== 'GAN_ERR_CHECKPOINT_MISMATCH') throw error;
        }
      }
      // Another architecture (or no model yet): a new model from the file.
      const next = gan.createFromCheckpoint(bytes);
      const wasRunning = running;
      if (running) setRunning(false, 'load');
      preset = null;
      adopt(next, { fresh: false, step: readCheckpointInfo(bytes).step });
      restorePosition(bytes);
      post({ type: 'loaded', id, config: model.config(), step: model._initialStep, replaced: true });
      if (wasRunning) setRunning(true, 'load');
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
