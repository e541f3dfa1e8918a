// A user's program against the installed package, in TypeScript: tests/node/package.test.mjs
// compiles it against the package's declarations (tsc, strict), then runs the output in Node
// against the package's code, so the two are checked against each other. It throws on the
// first thing that is not as documented and ends by printing a JSON report.
import * as api from 'wasm-gan';
import { createTrainer, WorkerError, GanError, type Stats, type StateChange, type Trainer, type TrainerErrorEvent } from 'wasm-gan';

function check(condition: unknown, what: string): asserts condition {
  if (!condition) throw new Error(`usage.mts: ${what}`);
}

const sameBytes = (a: Float32Array | Uint8Array, b: Float32Array | Uint8Array): boolean => {
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  return x.length === y.length && x.every((value, i) => value === y[i]);
};

const sorted = (names: Iterable<string>): string => [...names].sort().join(', ');

// The trainer's step and running read through a function: asserting on `trainer.step` itself
// would narrow it for tsc (to 0, say) for the rest of the file, though training moves it.
const stepOf = (trainer: Trainer): number => trainer.step;
const runningOf = (trainer: Trainer): boolean => trainer.running;

// What the declarations promise, written so that tsc holds them to the declarations (every key
// named once, none missing) and the run below holds them to the code.
const EXPORTS: Record<keyof typeof api, true> = { createTrainer: true, Trainer: true, WorkerError: true, GanError: true, loadMnist: true };
const STATS_FIELDS: Record<keyof Stats, true> = {
  step: true, epoch: true, d_loss: true, g_loss: true, d_real: true, d_fake: true, d_grad_norm: true, g_grad_norm: true,
  d_learning_rate: true, g_learning_rate: true, momentum: true, non_finite: true, non_finite_total: true,
  d_steps: true, d_accuracy: true,
  steps_per_s: true, elapsed_s: true, running: true,
};
const TRAINER_MEMBERS: Record<keyof Trainer, 'function' | 'value'> = {
  client: 'value', simd: 'value', threads: 'value', threadsNote: 'value', description: 'value', config: 'value',
  preset: 'value', dataDim: 'value', noiseDim: 'value', step: 'value', running: 'value', disposed: 'value',
  train: 'function', start: 'function', pause: 'function', setPace: 'function', reset: 'function', setData: 'function',
  sample: 'function', interpolate: 'function', discriminate: 'function', noise: 'function', save: 'function',
  load: 'function', on: 'function', off: 'function', dispose: 'function',
};

check(sorted(Object.keys(api)) === sorted(Object.keys(EXPORTS)), `the exports are ${sorted(Object.keys(api))}`);

// --- a small-preset trainer: train, events, start and pause ---------------------------------
const trainer = await createTrainer({ preset: 'small', seed: 3, threads: 1 });
check(trainer.preset === 'small' && trainer.dataDim === 784 && trainer.noiseDim > 0 && stepOf(trainer) === 0, 'a fresh small model');
check(trainer.config.seed === '3', `the seed is in the configuration (${trainer.config.seed})`);

const members = new Set([...Object.keys(trainer), ...Object.getOwnPropertyNames(Object.getPrototypeOf(trainer))]);
members.delete('constructor');
check(sorted(members) === sorted(Object.keys(TRAINER_MEMBERS)), `Trainer's members are ${sorted(members)}`);
for (const [name, kind] of Object.entries(TRAINER_MEMBERS)) {
  check((typeof (trainer as unknown as Record<string, unknown>)[name] === 'function') === (kind === 'function'), `Trainer.${name} is a ${kind}`);
}

const statsEvents: Stats[] = [];
const stateEvents: StateChange[] = [];
trainer.on('stats', (stats) => statsEvents.push(stats));
trainer.on('state', (state) => stateEvents.push(state));

const trained = await trainer.train(5);
check(trained.step === 5 && stepOf(trainer) === 5, `train(5) ends at step 5 (${trained.step})`);
check(sorted(Object.keys(trained)) === sorted(Object.keys(STATS_FIELDS)), `the stats fields are ${sorted(Object.keys(trained))}`);
check(Number.isFinite(trained.d_loss) && trained.d_real > 0 && trained.d_real < 1, 'the stats are numbers');

const stopped = new Promise<StateChange>((resolve) => {
  const off = trainer.on('state', (state) => { if (!state.running) { off(); resolve(state); } });
});
await trainer.start({ until: 12 });
check(runningOf(trainer), 'running once start() resolved');
const stop = await stopped;
check(stop.reason === 'until' && stepOf(trainer) === 12 && !runningOf(trainer), `start({until: 12}) stops there (${stop.reason}, step ${stepOf(trainer)})`);
await trainer.start();
await trainer.pause();
check(!runningOf(trainer), 'pause() resolves paused');
const pausedAt = stepOf(trainer);
check(pausedAt >= 12, `paused at step ${pausedAt}`);
check(statsEvents.length >= 2 && statsEvents.some((stats) => stats.step === 5), `stats events (${statsEvents.length})`);
check(stateEvents.map((state) => state.reason).join() === 'start,until,start,pause', `state events ${stateEvents.map((s) => s.reason)}`);

// --- sampling -----------------------------------------------------------------------------
const samples = await trainer.sample({ seed: 7, count: 4 });
check(samples.count === 4 && samples.images.length === 4 * 784 && samples.z.length === 4 * trainer.noiseDim, 'sample() shapes');
check(samples.images.every((value) => value >= 0 && value <= 1), 'pixels in [0, 1]');
const fromZ = await trainer.sample({ z: samples.z });
check(sameBytes(fromZ.images, samples.images), 'the same z gives the same images');
const z = await trainer.noise(7, 4);
check(sameBytes(z, samples.z), 'noise(seed, count) is the z sample() draws');
const line = await trainer.interpolate(z.subarray(0, trainer.noiseDim), z.subarray(trainer.noiseDim, 2 * trainer.noiseDim), { steps: 5, spherical: true });
check(line.count === 5 && line.images.length === 5 * 784, 'interpolate() shapes');
const probabilities = await trainer.discriminate(samples.images);
check(probabilities.length === 4 && probabilities.every((p) => p > 0 && p < 1), 'discriminate() gives probabilities');

// --- save and load --------------------------------------------------------------------------
const bytes = await trainer.save();
// Not pausedAt: a pause may fall inside an iteration trained in parts, which sampling finishes.
const savedAt = stepOf(trainer);
const saved = bytes.slice();
const copy = await createTrainer({ checkpoint: bytes, threads: 1 });
check(sameBytes(bytes, saved), "createTrainer({checkpoint}) leaves the caller's bytes alone");
check(stepOf(copy) === savedAt && copy.preset === 'small', `the copy is at step ${stepOf(copy)}, saved at ${savedAt}`);
const copied = await copy.sample({ seed: 7, count: 4 });
check(sameBytes(copied.images, samples.images), 'a loaded checkpoint gives identical samples');
await trainer.train(3);
await copy.train(3);
const [a, b] = [await trainer.sample({ seed: 9, count: 4 }), await copy.sample({ seed: 9, count: 4 })];
check(sameBytes(a.images, b.images), 'both continue bit-identically (the data position is in the checkpoint)');

// Refusals reject with a code and change nothing.
const refused = await copy.load(bytes.subarray(0, 100)).then(() => null, (error: unknown) => error);
check(refused instanceof WorkerError && refused.code.startsWith('GAN_ERR_'), `a truncated checkpoint is refused (${String(refused)})`);
check(sameBytes((await copy.sample({ seed: 9, count: 4 })).images, b.images), 'a refused load leaves the model as it was');
const badRequest = await copy.sample({ seed: 1, count: 0 }).then(() => null, (error: unknown) => error);
check(badRequest instanceof WorkerError && badRequest.code === 'BAD_REQUEST', 'count 0 is a bad request');
const badOption = await createTrainer({ checkpoint: bytes, data: { images: new Uint8Array(10), dim: 3 } }).then(() => null, (error: unknown) => error);
check(badOption instanceof GanError && badOption.code === 'BAD_OPTION', 'images that are not whole are refused before a worker starts');

const loaded = await trainer.load(bytes);
check(loaded.step === savedAt && !loaded.replaced && stepOf(trainer) === savedAt, 'load() into a trainer of the same architecture');
const reset = await trainer.reset();
check(reset.step === 0 && stepOf(trainer) === 0, 'reset() goes back to step 0');
trainer.dispose();
copy.dispose();
check(trainer.disposed, 'disposed');
const afterDispose = await trainer.save().then(() => null, (error: unknown) => error);
check(afterDispose instanceof Error, 'a disposed trainer rejects');

// --- the 'error' event: the toy problem with absurd learning rates meets a non-finite step ----
const toy = await createTrainer({ preset: 'toy', seed: 1, threads: 1, config: { 'd.learning_rate': 1e30, 'g.learning_rate': 1e30 } });
check(toy.dataDim === 1, 'the toy problem needs no images');
const errors: TrainerErrorEvent[] = [];
toy.on('error', (error) => errors.push(error));
const toyStopped = new Promise<StateChange>((resolve) => toy.on('state', (state) => { if (!state.running) resolve(state); }));
await toy.start({ until: 1000 });
const toyStop = await toyStopped;
toy.dispose();
check(toyStop.reason === 'non-finite' && errors.length === 1 && errors[0].code === 'GAN_ERR_NON_FINITE', `a non-finite step: ${toyStop.reason}, ${errors.map(String)}`);

console.log(JSON.stringify({
  simd: copy.simd, threads: copy.threads, step: savedAt, statsEvents: statsEvents.length,
  states: stateEvents.map((state) => state.reason), checkpointBytes: bytes.length, toyError: errors[0].code,
}));
