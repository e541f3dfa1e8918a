// The package's programmatic API (package.json "exports": index.js): a GAN
// trainer for Node and browsers, as promises and events. A thin layer over
// the training worker's client (client.js, speaking PROTOCOL.md), which the
// page, the <gan-trainer> element and the CLI use too; the worker owns the
// wasm and trains in slices, so nothing here blocks the caller's thread.
// What this layer adds: the training images (the MNIST the package carries,
// or images given, the model sized to them as the page does), answers
// without the protocol's envelope, and one place for events.
//
//   const trainer = await createTrainer({ preset: 'small', seed: 1 });
//   trainer.on('stats', (stats) => console.log(stats.step, stats.d_loss));
//   await trainer.train(500);                          // 500 more iterations
//   const { images } = await trainer.sample({ seed: 7, count: 16 });
//   const bytes = await trainer.save();                // the whole training state
//   const copy = await createTrainer({ checkpoint: bytes });
//   trainer.dispose();
//
// docs/api.md is the reference; index.d.ts declares the same.

import { GanClient, WorkerError } from './client.js';
import { GanError } from './errors.js';
import { imageSizeOverrides } from './config-options.js';
import { fileInFolder } from './loading.js';
import { loadMnist } from './mnist.js';

const EVENTS = new Set(['stats', 'state', 'error']);
const OPTIONS = new Set(['preset', 'config', 'seed', 'checkpoint', 'data', 'threads', 'simd', 'base']);

/** A protocol message without its envelope (type, and id for answers). */
const fieldsOf = ({ type, id, ...fields }) => fields;

const badOption = (what, message) => new GanError('BAD_OPTION', `${what}: ${message}`);

/** Images given as {images, dim, count?}, checked; `what` names the caller in messages. */
function imagesGiven(data, what) {
  const { images, dim } = data ?? {};
  if (!(images instanceof Uint8Array)) throw badOption(what, 'data.images must be a Uint8Array of pixels (0-255)');
  if (!Number.isSafeInteger(dim) || dim < 1) throw badOption(what, `data.dim must be the pixels per image, an integer >= 1, not ${dim}`);
  const count = data.count ?? images.length / dim;
  if (!Number.isSafeInteger(count) || count < 1 || images.length !== count * dim) {
    throw badOption(what, `data: ${images.length} pixels is not ${data.count ?? 'a whole number of'} images of ${dim}`);
  }
  const labels = data.labels ?? null;
  if (labels !== null && (!(labels instanceof Uint8Array) || labels.length !== count)) {
    throw badOption(what, `data.labels must be a Uint8Array of ${count} labels (one per image), or absent`);
  }
  return { images, dim, count, labels };
}

/**
 * Starts a training worker and builds a model in it: a preset with
 * overrides, or the model a checkpoint holds. Resolves once the model has
 * its training data. Every option: docs/api.md.
 * @param {import('./index.js').TrainerOptions} [options]
 * @returns {Promise<Trainer>}
 */
export function createTrainer(options = {}) {
  return Trainer.create(options);
}

export class Trainer {
  #data;           // the training images: 'mnist', {images, dim, count} or null (none)
  #dataBase;       // the folder of the MNIST files
  #sentDim = 0;    // data_dim of the images the worker holds (0: none)
  #listeners = new Map(); // event type -> Set of listeners

  /** createTrainer(options). */
  static async create(options = {}) {
    const what = 'createTrainer';
    for (const name of Object.keys(options)) if (!OPTIONS.has(name)) throw badOption(what, `unknown option ${JSON.stringify(name)}`);
    const { preset, config = {}, seed, checkpoint, threads, simd } = options;
    if (checkpoint !== undefined) {
      if (!(checkpoint instanceof Uint8Array)) throw badOption(what, 'checkpoint must be a Uint8Array (the bytes of a .safetensors checkpoint)');
      const given = ['preset', 'config', 'seed'].filter((name) => options[name] !== undefined);
      if (given.length) throw badOption(what, `a checkpoint holds its own configuration; leave out ${given.join(' and ')}`);
    }
    const data = options.data === undefined || options.data === 'mnist' ? 'mnist'
      : options.data === null ? null : imagesGiven(options.data, what);
    // The package's web/ folder: the worker, the wasm and the MNIST files sit at fixed places in it.
    const base = options.base ?? new URL('../', import.meta.url);
    const client = await GanClient.create({
      threads, simd, workerUrl: fileInFolder(base, 'runtime/worker.js'), wasmBase: fileInFolder(base, 'wasm/'),
    });
    const trainer = new Trainer(client, { data, dataBase: fileInFolder(base, 'data/') });
    try {
      if (checkpoint !== undefined) await trainer.load(checkpoint);
      else await trainer.#configure(preset ?? 'small', config, seed);
    } catch (error) {
      trainer.dispose();
      throw error;
    }
    return trainer;
  }

  /** Use createTrainer(). `client` is the worker's GanClient (client.js). */
  constructor(client, { data = 'mnist', dataBase = new URL('../data/', import.meta.url) } = {}) {
    /** The worker's client, for the protocol requests this API does not wrap (evaluate, ...). */
    this.client = client;
    this.simd = client.simd;
    this.threads = client.threads;
    this.threadsNote = client.threadsNote;
    /** The core's self-description (gan_describe): keys, ranges, presets, stats fields. */
    this.description = client.description;
    this.config = null;
    this.step = 0;
    this.running = false;
    this.disposed = false;
    this.#data = data;
    this.#dataBase = dataBase;
    client.on('stats', (message) => {
      this.step = message.step;
      this.#emit('stats', fieldsOf(message));
    });
    client.on('state', (message) => {
      this.running = message.running;
      this.#emit('state', fieldsOf(message));
    });
    // Errors outside any request (a rolled-back step), and a worker that failed.
    client.on('error', (message) => this.#emit('error', new WorkerError(message)));
    client.on('failure', (error) => { if (!this.disposed) this.#emit('error', error); });
  }

  /** The preset the model was made from (null when its checkpoint does not say). */
  get preset() { return this.config?.preset || null; }

  /** Values per sample: 784 for MNIST, 1 for the toy problem. */
  get dataDim() { return Number(this.config?.data_dim); }

  /** Values per noise vector z. */
  get noiseDim() { return Number(this.config?.noise_dim); }

  // --- training -------------------------------------------------------------

  /** Trains `steps` more iterations; resolves with the last one's stats. */
  async train(steps = 1) {
    return fieldsOf(await this.client.step(steps));
  }

  /**
   * Trains in the background until pause(), or until step `until`; at full
   * speed or at most `pace` steps a second. Resolves once training runs.
   */
  async start({ until, pace } = {}) {
    await this.client.start(until, { pace });
  }

  /** Stops training (within 50 ms); resolves once it stopped. */
  async pause() {
    await this.client.pause();
  }

  /** Changes the pace of the run in progress: steps per second, 0 for full speed. */
  async setPace(stepsPerSecond) {
    await this.client.setPace(stepsPerSecond);
  }

  /** Fresh weights and step 0, same configuration and seed (a paused trainer stays paused). */
  async reset() {
    this.#adopt(await this.client.reset());
    return { config: this.config, step: this.step };
  }

  /**
   * Trains on these images from now on: {images: Uint8Array, dim, count?},
   * dim equal to the model's data_dim (the position in the data is kept).
   */
  async setData(data) {
    const images = imagesGiven(data, 'setData');
    if (images.dim !== this.dataDim) throw badOption('setData', `images of ${images.dim} pixels; the model's data_dim is ${this.dataDim}`);
    await this.client.setData(images.images, images.count, images.dim, { labels: images.labels });
    this.#data = images;
    this.#sentDim = images.dim;
  }

  // --- the model --------------------------------------------------------------

  /**
   * G(z) for `count` noise vectors from `seed`, or for the vectors `z`:
   * {images, count, z}. A conditional model also takes `class` (every
   * sample of that class) or `classes` (a row of class weights per sample);
   * else sample i is of class i mod classes.
   */
  async sample(options = {}) {
    const { images, count, z } = await this.client.sample(options);
    return { images, count, z };
  }

  /**
   * G along a line (or great circle: spherical) from z0 to z1, `steps`
   * points: {images, count, z}; a conditional model's class weights move
   * from classes0 to classes1 meanwhile (one-hot rows: from one class to
   * another; z0 = z1 keeps the noise fixed).
   */
  async interpolate(z0, z1, { steps = 10, spherical = false, classes0, classes1 } = {}) {
    const { images, count, z } = await this.client.interpolate(z0, z1, steps, spherical, { classes0, classes1 });
    return { images, count, z };
  }

  /** D(x), the probability each input is real (dropout off). */
  async discriminate(x) {
    return (await this.client.discriminate(x)).values;
  }

  /** `count` noise vectors from `seed` (the training's random numbers are untouched). */
  async noise(seed, count) {
    return (await this.client.noise(seed, count)).z;
  }

  /** The whole training state as checkpoint bytes (safetensors): weights, optimiser, data position. */
  async save() {
    return (await this.client.save()).bytes;
  }

  /**
   * Loads a checkpoint (from save(), `wasm-gan train` or the page); training
   * then continues bit-identically. Another architecture replaces the model
   * (`replaced`). On failure it rejects and the model is as it was.
   */
  async load(bytes) {
    if (!(bytes instanceof Uint8Array)) throw new GanError('BAD_OPTION', 'load: give the checkpoint as a Uint8Array');
    const answer = await this.client.load(bytes);
    this.#adopt(answer);
    // A model of another size may want other images; it trains once it has them.
    await this.#sendData({ required: false });
    return { config: this.config, preset: this.preset, step: this.step, replaced: !!answer.replaced };
  }

  // --- events and the end -----------------------------------------------------

  /**
   * Listens to 'stats' (after training slices, at most 10 a second, and
   * after train()), 'state' ({running, reason}) or 'error' (a rolled-back
   * step, a failed worker). Returns a function that stops listening.
   */
  on(type, listener) {
    if (!EVENTS.has(type)) throw new TypeError(`on: no event ${JSON.stringify(type)} (${[...EVENTS].join(', ')})`);
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(listener);
    return () => this.off(type, listener);
  }

  off(type, listener) { this.#listeners.get(type)?.delete(listener); }

  /** Ends the worker and frees its memory; requests still pending reject. Safe to call twice. */
  dispose() {
    this.disposed = true;
    this.running = false;
    this.client.terminate();
  }

  // --- inside -----------------------------------------------------------------

  #emit(type, value) {
    for (const listener of this.#listeners.get(type) ?? []) listener(value);
  }

  #adopt({ config, step }) {
    this.config = config;
    this.step = step ?? 0;
  }

  async #configure(preset, config, seed) {
    let answer = await this.client.configure(preset, config, seed);
    const dim = Number(answer.config.data_dim);
    const own = this.#data !== 'mnist' ? this.#data : null;
    // Their own images of another size: the preset's networks sized to them,
    // unless the configuration chose data_dim itself.
    if (own && dim !== 1 && dim !== own.dim && !Object.hasOwn(config ?? {}, 'data_dim')) {
      answer = await this.client.configure(preset, { ...config, ...imageSizeOverrides(answer.config, own.dim) }, seed);
    }
    this.#adopt(answer);
    await this.#sendData({ required: true });
  }

  /**
   * Sends the training images the model needs, unless the worker holds
   * images of its size already (it keeps the last ones for every model of
   * their size). The toy model (data_dim 1) draws its own. `required`:
   * images that do not fit the model are an error, else it is left without.
   */
  async #sendData({ required }) {
    const dim = this.dataDim;
    if (dim === 1 || dim === this.#sentDim || this.#data === null) return;
    const data = this.#data === 'mnist' ? await loadMnist({ base: this.#dataBase }) : this.#data;
    if (data.dim !== dim) {
      if (!required) return;
      throw new GanError('BAD_OPTION', `the model's data_dim is ${dim}, and the ${this.#data === 'mnist' ? 'MNIST' : 'given'} images have ${data.dim} pixels`);
    }
    // The MNIST array is ours: transferred, not copied.
    await this.client.setData(data.images, data.count, dim, { transfer: this.#data === 'mnist', labels: data.labels });
    this.#sentDim = dim;
  }
}
