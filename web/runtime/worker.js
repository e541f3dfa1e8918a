// The training worker: owns the wasm core and runs the training loop in
// slices, answering the requests of PROTOCOL.md between them. The same file
// runs as a browser module Web Worker and under Node's worker_threads. It
// talks to the core only through the model API (loader.js); what it reports
// (steps, presets, statuses, stats fields) comes from the core.
import { GanError, loadGan, seedValue } from './loader.js';
import { afterPendingMessages, connectToParent } from './loading.js';
import { toyData } from './toy-data.js';
import { imageFormat, shapeText } from './image-format.js';
import { blendRows, rowsOfClass } from './classes.js';

const SLICE_MS = 20;          // longest stretch of training between two looks at the queue
const PARTS_ABOVE_MS = 10;    // iterations longer than this run in parts (trainPart)
const STATS_INTERVAL_MS = 100;
const RATE_WINDOW_MS = 1000;  // steps/s is measured over about this long
const PACE_BURST_S = 0.1;     // a paced run trains at most this many seconds' worth of steps at once
// Wasm memory one request may ask for (noise, samples, images, Parzen
// copies): far below the builds' 2 GiB, so a huge count is refused up front
// instead of growing the memory for good or failing halfway.
export const REQUEST_BYTES_MAX = 512 * 1024 * 1024;
const COUNT_MAX = 1 << 20;    // noise vectors or samples in one request

// What the worker does for 'init' ('fetching gan-simd-threads.wasm', ...), answered at once by a
// 'stage' request, ahead of the queue: GanClient asks a worker that is silent too long.
let stage = 'waiting for init';
const post = connectToParent((message) => {
  if (message?.type === 'stage') post({ type: 'stage', id: message.id, stage });
  else if (message?.type === 'helper-started' || message?.type === 'helper-failed') helperNews(message);
  else enqueue(message);
});

// GEMM helpers the parent starts for this worker (init {helpers: 'parent'}): Firefox
// sometimes left a worker that started its own helpers stuck for good, about one fresh
// page in 30 (docs/web.md). The parent's word that a helper runs ('helper-started') or
// failed arrives ahead of the queue, as 'init' waits for it. Pending starts by index.
const helperStarts = new Map();
function startHelperByParent(init) {
  const started = new Promise((resolve, reject) => helperStarts.set(init.index, { resolve, reject }));
  started.catch(() => {});
  post({ type: 'helper-start', ...init });
  return {
    started,
    end() {
      helperStarts.delete(init.index);
      post({ type: 'helper-end', index: init.index });
    },
  };
}
function helperNews({ type, index, message }) {
  const pending = helperStarts.get(index);
  if (!pending) return; // ended meanwhile, or never asked for
  helperStarts.delete(index);
  if (type === 'helper-started') pending.resolve();
  else pending.reject(new Error(typeof message === 'string' ? message : `gemm thread ${index} failed`));
}
// Says it runs and listens (GanClient.create sends 'init' only after this).
post({ type: 'hello' });

const now = () => performance.now();

// --- state ------------------------------------------------------------------
let gan = null;            // the loaded core (loadGan)
let initOptions = {};
let model = null;          // the current GanModel
let data = null;           // {pointer, count, dim, labels}: MNIST-like u8 data in wasm memory,
                           // labels: a pointer to its count label bytes, or 0
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
let stepRequests = [];     // pending `step` requests, oldest first: {id, target, count}

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
  if (!gan) {
    const startHelper = initOptions.helpers === 'parent' ? startHelperByParent : undefined;
    gan = await loadGan({ ...initOptions, onStage: (next) => { stage = next; }, startHelper });
    stage = 'ready';
  }
  return gan;
}

function requireModel() {
  if (!model) throw new GanError('NO_MODEL', 'no model: send configure (or load) first');
  return model;
}

// --- request fields -----------------------------------------------------------
// Every request's fields, checked against this table before it runs: a
// value of the wrong type is refused with BAD_REQUEST, never coerced (no
// "2" for 2, no true for 1, no -1 wrapped into a seed), and so is a field
// the request does not have. Absent fields (undefined or null) take their
// defaults in the handlers.

const field = (describe, accept) => ({ describe, accept });
const integer = (min, max) => field(`an integer from ${min} to ${max}`,
  (v) => typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max);
const MAX_STEP = Number.MAX_SAFE_INTEGER;
const FIELDS = {
  boolean: field('true or false', (v) => typeof v === 'boolean'),
  text: field('a string', (v) => typeof v === 'string'),
  bytes: field('a Uint8Array', (v) => v instanceof Uint8Array),
  floats: field('a Float32Array', (v) => v instanceof Float32Array),
  rate: field('a finite number >= 0', (v) => typeof v === 'number' && Number.isFinite(v) && v >= 0),
  seed: field('an integer from 0 to 2^64-1 (a safe-integer Number, a BigInt or decimal text)', (v) => seedValue(v) !== null),
  simd: field("'auto', true or false", (v) => ['auto', true, false, 'true', 'false', 'simd', 'scalar'].includes(v)),
  helpers: field("'parent' or 'worker'", (v) => v === 'parent' || v === 'worker'),
  threads: field("'auto' or an integer from 1 to 256", (v) => v === 'auto' || (Number.isInteger(v) && v >= 1 && v <= 256)),
  overrides: field('an object of {key: text, number or boolean}', (v) => typeof v === 'object' && v !== null
    && (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null)
    && Object.values(v).every((x) => typeof x === 'string' || typeof x === 'boolean' || typeof x === 'bigint'
      || (typeof x === 'number' && Number.isFinite(x)))),
  count: integer(1, COUNT_MAX),
  steps: integer(1, MAX_STEP),
  step: integer(0, MAX_STEP),
  dataCount: integer(1, 2 ** 28),
  dim: integer(1, 2 ** 20),
  points: integer(2, 1 << 16),
  label: integer(0, 255),
};
// [field name, kind, required]
const REQUESTS = {
  init: [['simd', 'simd'], ['threads', 'threads'], ['wasmBase', 'text'], ['helpers', 'helpers']],
  configure: [['preset', 'text'], ['overrides', 'overrides'], ['seed', 'seed'], ['keepRunning', 'boolean']],
  validate: [['preset', 'text'], ['overrides', 'overrides'], ['seed', 'seed']],
  data: [['images', 'bytes', true], ['count', 'dataCount'], ['dim', 'dim'], ['labels', 'bytes']],
  start: [['until', 'step'], ['pace', 'rate']],
  pace: [['stepsPerSecond', 'rate']],
  pause: [],
  step: [['count', 'steps']],
  reset: [['keepRunning', 'boolean']],
  sample: [['z', 'floats'], ['seed', 'seed'], ['count', 'count'], ['classes', 'floats'], ['class', 'label']],
  interpolate: [['z0', 'floats', true], ['z1', 'floats', true], ['steps', 'points'], ['spherical', 'boolean'],
    ['classes0', 'floats'], ['classes1', 'floats']],
  discriminate: [['x', 'floats', true], ['classes', 'floats']],
  noise: [['seed', 'seed'], ['count', 'count']],
  save: [],
  load: [['bytes', 'bytes', true], ['requireData', 'boolean']],
  evaluate: [['samples', 'count'], ['seed', 'seed'], ['validation', 'bytes', true], ['test', 'bytes', true]],
};
const ENVELOPE = new Set(['type', 'id']);

function shown(value) {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'bigint') return `${value}n`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of ${value.length}`;
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'object' && value !== null) return Object.prototype.toString.call(value);
  return String(value);
}

/** Refuses a request whose type or fields do not match REQUESTS; returns the request. */
function checkRequest(message) {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw new GanError('BAD_REQUEST', `a request must be an object with a type, not ${shown(message)}`);
  }
  const { type } = message;
  const fields = typeof type === 'string' && Object.hasOwn(REQUESTS, type) ? REQUESTS[type] : null;
  if (!fields) throw new GanError('BAD_REQUEST', `unknown request type ${typeof type === 'string' ? JSON.stringify(type) : shown(type)}`);
  const known = new Set(fields.map(([name]) => name));
  for (const name of Object.keys(message)) {
    if (!ENVELOPE.has(name) && !known.has(name)) throw new GanError('BAD_REQUEST', `${type}: unknown field ${JSON.stringify(name)}`);
  }
  for (const [name, kind, required] of fields) {
    const value = message[name];
    if (value === undefined || value === null) {
      if (required) throw new GanError('BAD_REQUEST', `${type}: ${name} is required (${FIELDS[kind].describe})`);
      continue;
    }
    if (!FIELDS[kind].accept(value)) throw new GanError('BAD_REQUEST', `${type}: ${name} must be ${FIELDS[kind].describe}, not ${shown(value)}`);
  }
  return message;
}

/** Refuses a request that would need more wasm memory than REQUEST_BYTES_MAX (sizes in JS Numbers: exact). */
function withinBudget(what, bytes) {
  if (!(bytes <= REQUEST_BYTES_MAX)) {
    const mib = (n) => `${(n / 2 ** 20).toFixed(n < 2 ** 20 ? 3 : 0)} MiB`;
    throw new GanError('TOO_LARGE', `${what} needs ${mib(bytes)} of wasm memory, more than the ${mib(REQUEST_BYTES_MAX)} a request may use; ask for fewer`);
  }
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
    if (data.labels && target.classes) attachLabels(target, data);
    return true;
  }
  return false;
}

/** Attaches `source`'s labels to a conditional model; a label out of its range is refused with a sentence. */
function attachLabels(target, source) {
  try {
    target.attachLabelsAt(source.labels, source.count);
  } catch (error) {
    if (error.code !== 'GAN_ERR_INVALID_ARGUMENT') throw error;
    throw new GanError('BAD_REQUEST', `data: a label is ${target.classes} or more, and this model has classes 0 to ${target.classes - 1}`);
  }
}

/** Refuses a conditional configuration with fewer classes than the labelled data has. */
function refuseFewClasses(config) {
  if (!config.conditional || config.conditional === 'none' || !data?.labels) return;
  if (Number(config.data_dim) !== data.dim || Number(config.classes) > data.maxLabel) return;
  throw new GanError('GAN_ERR_INVALID_ARGUMENT', `classes is ${config.classes}, but the data's labels go up to ` +
    `${data.maxLabel}: set classes to ${data.maxLabel + 1} or more`);
}

/** Refuses to train a conditional model whose data has no labels, with what to do instead. */
function requireLabels(target) {
  if (!target.classes || !data || data.dim !== target.dataDim || data.labels) return;
  throw new GanError('GAN_ERR_NO_LABELS', `this model is conditional (conditional ${target.config().conditional}) and its data has no labels: ` +
    'send the data with labels, or train with conditional none');
}

/**
 * Class rows for `count` examples of `target`: the request's `classes`
 * (count x classes floats), one-hot rows of its `class`, or null (example
 * i of class i mod classes).
 */
function classRows(target, what, message, count) {
  if (message.class == null) return message.classes ?? null;
  if (message.classes != null) throw new GanError('BAD_REQUEST', `${what}: give classes or class, not both`);
  if (!target.classes) throw new GanError('BAD_REQUEST', `${what}: class ${message.class} was given, but this model is not conditional`);
  if (message.class >= target.classes) {
    throw new GanError('BAD_REQUEST', `${what}: class ${message.class} is out of range: this model has classes 0 to ${target.classes - 1}`);
  }
  return rowsOfClass(count, target.classes, message.class);
}

/** Makes `next` the model; a fresh one (step 0) also gets G's output bias from its data. */
function adopt(next, { fresh }, reason) {
  interruptSteps(reason);
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

/**
 * Reports a rolled-back step; training, if running, pauses there, and the
 * pending `step` requests are answered with its stats.
 */
function rolledBack() {
  const wasRunning = running;
  running = false;
  const pending = stepRequests.splice(0);
  for (const request of pending) post(statsMessage(lastStats, request.id));
  if (!pending.length) post(statsMessage(lastStats));
  post({ type: 'error', code: 'GAN_ERR_NON_FINITE',
    message: `step ${lastStats.step + 1} produced a non-finite value and was rolled back${wasRunning ? '; training paused' : ''}` });
  if (wasRunning) post({ type: 'state', running: false, reason: 'non-finite' });
}

function untilReached() {
  running = false;
  post(statsMessage(currentStats()));
  post({ type: 'state', running: false, reason: 'until' });
}

/** Answers the oldest `step` request, whose count is done. */
function stepDone() {
  const request = stepRequests.shift();
  post(statsMessage(currentStats(), request.id));
}

/**
 * Refuses the pending `step` requests (INTERRUPTED) because of `reason`: a
 * pause, or a request that replaced the model or its state.
 */
function interruptSteps(reason) {
  if (!stepRequests.length) return;
  const at = model ? stepOf(model) : 0;
  for (const request of stepRequests.splice(0)) {
    const done = Math.max(0, request.count - (request.target - at));
    post({ type: 'error', id: request.id, code: 'INTERRUPTED',
      message: `step: interrupted by ${reason} at step ${at}, ${Math.min(done, request.count)} of ${request.count} iterations done` });
  }
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
// that a request waits for one part at most. It trains toward the nearer of
// two goals: a running model's `until`, and the oldest `step` request's
// target (answered when reached). A paced run trains only the steps its
// pace allows, then sleeps until the next one is due; `step` requests are
// not paced.
function runSlice() {
  tickPending = false;
  if (!model || !(running || stepRequests.length)) return;
  const deadline = now() + SLICE_MS;
  let sleepMs = 0;
  try {
    for (;;) {
      const step = stepOf(model);
      if (stepRequests.length && step >= stepRequests[0].target) { stepDone(); continue; }
      if (running && step >= until) { untilReached(); continue; }
      if (!running && !stepRequests.length) return;
      const goal = Math.min(running ? until : Infinity, stepRequests.length ? stepRequests[0].target : Infinity);
      const remaining = goal - step;
      const inProgress = model.inProgress;
      const allowed = inProgress || stepRequests.length ? Infinity : paceAllows();
      if (allowed < 1) {
        sleepMs = ((1 - paceBudget) / pace) * 1000;
        break;
      }
      if (msPerStep === null || msPerStep > PARTS_ABOVE_MS || inProgress) {
        if (!inProgress && Number.isFinite(allowed)) paceBudget -= 1; // this part begins an iteration
        const ok = trainPart();
        if (ok === false) { rolledBack(); return; }
        if (now() + msPerPart > deadline) break;
        continue;
      }
      const budget = deadline - now();
      const chunk = Math.max(1, Math.min(remaining, allowed, Math.floor(budget / Math.max(msPerStep, 1e-3))));
      if (Number.isFinite(allowed)) paceBudget -= chunk;
      if (!trainChunk(chunk)) { rolledBack(); return; }
      if (now() + msPerStep > deadline) break;
    }
  } catch (error) {
    running = false;
    for (const request of stepRequests.splice(0)) reportError(request.id, error);
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
const FLOAT = 4; // bytes

async function handle(message) {
  const { type, id } = checkRequest(message);
  switch (type) {
    case 'init': {
      if (gan) throw new GanError('BAD_REQUEST', 'already initialised');
      initOptions = {
        simd: message.simd ?? 'auto', wasmBase: message.wasmBase, threads: message.threads ?? 'auto', helpers: message.helpers ?? 'worker',
      };
      await ensureGan();
      post({ type: 'ready', id, simd: gan.simd, threads: gan.threads, threadsNote: gan.threadsNote ?? null, description: gan.description });
      return;
    }
    case 'configure': {
      await ensureGan();
      const name = message.preset ?? (model?.config().preset || 'small');
      const overrides = { ...(message.overrides ?? {}) };
      const seed = message.seed ?? undefined;
      const config = gan.presetConfig(name, overrides, seed); // validates before anything changes
      refuseFewClasses(config);
      const wasRunning = running;
      if (running) setRunning(false, 'configure');
      adopt(gan.create(name, overrides, seed), { fresh: true }, 'configure');
      post(configuredMessage(id));
      if (wasRunning && message.keepRunning) setRunning(true, 'configure');
      return;
    }
    case 'validate': {
      await ensureGan();
      const name = message.preset ?? (model?.config().preset || 'small');
      const config = gan.presetConfig(name, message.overrides ?? {}, message.seed ?? undefined);
      refuseFewClasses(config);
      post({ type: 'validated', id, preset: config.preset || null, config });
      return;
    }
    case 'data': {
      await ensureGan();
      const images = message.images;
      const dim = message.dim ?? 784;
      const count = message.count ?? images.length / dim;
      if (!Number.isInteger(count) || images.length !== count * dim) {
        throw new GanError('BAD_REQUEST', `data: ${images.length} bytes is not count ${count} x dim ${dim}`);
      }
      if (model && model.dataDim !== 1 && model.dataDim !== dim) {
        throw new GanError('BAD_REQUEST', `data: images have ${dim} values, the model's data_dim is ${model.dataDim}`);
      }
      if (message.labels && message.labels.length !== count) {
        throw new GanError('BAD_REQUEST', `data: ${message.labels.length} labels for ${count} images`);
      }
      settle();
      const pointer = gan.copyIn(images);
      const labels = message.labels ? gan.copyIn(message.labels) : 0;
      const previous = data;
      data = { pointer, count, dim, labels, maxLabel: message.labels ? message.labels.reduce((a, b) => Math.max(a, b), 0) : -1 };
      if (model && model.dataDim === dim) {
        try {
          model.attachDataAt(pointer, count); // keeps the data position (a loaded checkpoint's too)
          if (labels && model.classes) attachLabels(model, data);
        } catch (error) {
          data = previous;
          if (previous && model.dataDim === previous.dim) attachTo(model);
          gan.release(pointer);
          gan.release(labels);
          throw error;
        }
        if (stepOf(model) === 0) model.initGeneratorBias();
      }
      if (previous) {
        gan.release(previous.pointer);
        gan.release(previous.labels);
      }
      post({ type: 'data-ready', id, count });
      return;
    }
    case 'start': {
      const target = requireModel();
      if (target.dataCount === 0) throw new GanError('GAN_ERR_NO_DATA', 'no training data: send data first');
      requireLabels(target);
      until = message.until ?? Infinity;
      pace = message.pace ?? 0;
      setRunning(true, 'start', id);
      return;
    }
    case 'pace': {
      pace = message.stepsPerSecond ?? 0;
      paceBudget = Math.min(paceBudget, 1);
      paceTime = now();
      if (running) wake(); // a sleep computed for the old pace ends now
      post({ type: 'pace', id, stepsPerSecond: pace });
      return;
    }
    case 'pause': {
      interruptSteps('pause');
      setRunning(false, 'pause', id);
      if (model) post(statsMessage(currentStats()));
      return;
    }
    case 'step': {
      // Trained in slices by the one scheduler (runSlice), answered when the
      // count is done: requests sent meanwhile are answered between slices,
      // and pause (or a new model) interrupts it.
      const target = requireModel();
      const count = message.count ?? 1;
      if (target.dataCount === 0) throw new GanError('GAN_ERR_NO_DATA', 'no training data: send data first');
      requireLabels(target);
      const from = stepRequests.length ? stepRequests.at(-1).target : stepOf(target);
      if (from + count > MAX_STEP) throw new GanError('BAD_REQUEST', `step: ${count} more iterations would pass step 2^53`);
      stepRequests.push({ id, target: from + count, count });
      wake();
      return;
    }
    case 'reset': {
      const target = requireModel();
      const wasRunning = running;
      if (running) setRunning(false, 'reset');
      adopt(target.fresh(), { fresh: true }, 'reset'); // same configuration and seed, fresh weights, step 0
      post(configuredMessage(id));
      if (wasRunning && message.keepRunning) setRunning(true, 'reset');
      return;
    }
    case 'noise': {
      const target = requireModel();
      const count = message.count ?? 1;
      withinBudget(`noise: ${count} x ${target.noiseDim} floats`, count * target.noiseDim * FLOAT);
      const z = target.sampleNoise(message.seed ?? 0, count);
      post({ type: 'noise', id, z }, [z.buffer]);
      return;
    }
    case 'sample': {
      const target = requireModel();
      if (message.z != null && (message.seed != null || message.count != null)) {
        throw new GanError('BAD_REQUEST', 'sample: give z, or seed and count, not both');
      }
      let count = message.count ?? 1;
      if (message.z != null) {
        count = message.z.length / target.noiseDim;
        if (!Number.isInteger(count) || count < 1) {
          throw new GanError('BAD_REQUEST', `sample: z has ${message.z.length} values, not a whole number (at least 1) of noise vectors of noise_dim ${target.noiseDim}`);
        }
      }
      withinBudget(`sample: ${count} x (${target.noiseDim} + ${target.dataDim} + ${target.classes}) floats`,
        count * (target.noiseDim + target.dataDim + target.classes) * FLOAT);
      const classes = classRows(target, 'sample', message, count);
      settle();
      const z = message.z ?? target.sampleNoise(message.seed ?? 0, count);
      const images = target.generate(z, count, classes);
      post({ type: 'samples', id, images, count, z }, [images.buffer]);
      return;
    }
    case 'interpolate': {
      const target = requireModel();
      const { z0, z1 } = message;
      if (z0.length !== target.noiseDim || z1.length !== target.noiseDim) {
        throw new GanError('BAD_REQUEST', `interpolate: z0 and z1 need noise_dim = ${target.noiseDim} values`);
      }
      const steps = message.steps ?? 10;
      withinBudget(`interpolate: ${steps} x (${target.noiseDim} + ${target.dataDim} + ${target.classes}) floats`,
        steps * (target.noiseDim + target.dataDim + target.classes) * FLOAT);
      const { classes0, classes1 } = message;
      if ((classes0 == null) !== (classes1 == null)) throw new GanError('BAD_REQUEST', 'interpolate: give classes0 and classes1, or neither');
      let classes = null;
      if (classes0 != null) {
        if (!target.classes) throw new GanError('BAD_REQUEST', 'interpolate: classes were given, but this model is not conditional');
        if (classes0.length !== target.classes || classes1.length !== target.classes) {
          throw new GanError('BAD_REQUEST', `interpolate: classes0 and classes1 need ${target.classes} values (a weight per class)`);
        }
        // the class rows move linearly from classes0 to classes1, as the z do (linearly or not)
        classes = blendRows(classes0, classes1, steps);
      }
      settle();
      const z = gan.interpolate(z0, z1, steps, !!message.spherical);
      const images = target.generate(z, steps, classes);
      post({ type: 'samples', id, images, count: steps, z }, [images.buffer, z.buffer]);
      return;
    }
    case 'discriminate': {
      const target = requireModel();
      const { x } = message;
      const n = x.length / target.dataDim;
      if (!Number.isInteger(n) || n < 1) {
        throw new GanError('BAD_REQUEST', `discriminate: x has ${x.length} values, not a whole number (at least 1) of inputs of data_dim ${target.dataDim}`);
      }
      withinBudget(`discriminate: ${n} x ${target.dataDim} floats`, n * (target.dataDim + 1 + target.classes) * FLOAT);
      const classes = classRows(target, 'discriminate', message, n);
      settle();
      const values = target.discriminate(x, n, classes);
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
      const { bytes } = message;
      // The core restores the whole training state, the data position
      // included, and keeps that position when data is attached later.
      if (model) {
        try {
          model.checkpointLoad(bytes); // abandons an unfinished iteration
          interruptSteps('load');
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
      if (message.requireData && next.dataDim !== 1 && !(data && data.dim === next.dataDim)) {
        const config = next.config();
        next.free();
        throw new GanError('DATA_MISMATCH', `the checkpoint's model (${config.preset ? `preset ${config.preset}` : 'its preset not recorded'}) ` +
          `makes ${shapeText(imageFormat(config))} images (${config.data_dim} values), and the data here has ` +
          `${data ? `${data.dim} values per image` : 'not been sent'}; the model that was training is unchanged`);
      }
      const wasRunning = running;
      if (running) setRunning(false, 'load');
      adopt(next, { fresh: false }, 'load');
      post({ type: 'loaded', id, ...modelFields(), replaced: true });
      if (wasRunning && model.dataCount) setRunning(true, 'load');
      return;
    }
    case 'evaluate': {
      const target = requireModel();
      const dim = target.dataDim;
      const { validation, test } = message;
      const nValidation = validation.length / dim;
      const nTest = test.length / dim;
      if (!Number.isInteger(nValidation) || !Number.isInteger(nTest) || nValidation < 1 || nTest < 1) {
        throw new GanError('BAD_REQUEST', `evaluate: validation (${validation.length} values) and test (${test.length}) must hold at least one image of data_dim ${dim} values each, and whole images`);
      }
      const n = message.samples ?? 10000;
      // noise, samples (generated, then copied again as floats), validation and test as floats
      withinBudget(`evaluate: ${n} samples, ${nValidation} validation and ${nTest} test images of ${dim} values`,
        (n * (target.noiseDim + 2 * dim) + (nValidation + nTest) * dim) * FLOAT);
      settle();
      const z = target.sampleNoise(message.seed ?? 0, n);
      const samples = target.generate(z);
      const result = gan.parzenEvaluate(samples, n, validation, nValidation, test, nTest, dim);
      post({ type: 'evaluation', id, ...result, samples: n, validation: nValidation, test: nTest });
      return;
    }
    default:
      throw new GanError('BAD_REQUEST', `unknown request type ${JSON.stringify(type)}`);
  }
}
