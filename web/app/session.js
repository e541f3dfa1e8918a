// One training session as the page and the <gan-trainer> element both use
// it: the training worker (through the runtime's GanClient), the data it
// needs, the views that show it, and the frame loop that keeps them current.
// It knows nothing about buttons or forms; it reports what happens as events:
//   'mode' {simd, threads, threadsNote, description}   'configured' {config, step?, loaded?}
//   'progress' {fraction, text}   'stats' {stats}   'state' {running}   'problem' {message, code}

import { GanClient } from '../runtime/client.js';
import { FrameLoop } from './frame-loop.js';
import { TrainingData } from './training-data.js';
import { WorkerClient } from '../runtime/worker-client.js';
import { coreOverrides, pageFields } from './settings.js';
import { classCount } from '../runtime/classes.js';
import { dataOverrides } from '../runtime/config-options.js';
import { imageFormat, sameShape, shapeText } from '../runtime/image-format.js';

// The page's own training images: MNIST's, 28 x 28 grey.
const MNIST_SHAPE = { channels: 1, height: 28, width: 28 };

/**
 * A preset (or a loaded checkpoint) that cannot train on the data chosen: the
 * message says both shapes and, through the core's own sentence
 * (gan_config_explain), what does not fit. `wanted` is the shape the preset
 * takes when it states one ("3 x 32 x 32"), so callers can say where such
 * images come from.
 */
export class DataFitError extends Error {
  constructor(message, { wanted = null } = {}) {
    super(message);
    this.name = 'DataFitError';
    this.wanted = wanted;
  }
}

export class TrainerSession extends EventTarget {
  /**
   * @param {{views?: {samples?, neighbours?, curves?, figure1?, readout?}, runLength?: number,
   *          threads?: 'auto'|number, assetBase?: URL}} options  views: instances from the *-view.js modules
   *          (or later, through setViews); runLength: when set, each start() trains at most this many steps;
   *          threads: 'auto' or a count for the core's GEMMs (used when the page is cross-origin isolated)
   */
  constructor({ views = {}, runLength = 0, threads = 'auto', assetBase = new URL('../', import.meta.url) } = {}) {
    super();
    this.threads = threads;
    this.runLength = runLength;
    this.assetBase = assetBase;
    this.client = null;      // GanClient of the training worker
    this.description = null; // the core's self-description (gan_describe), from the worker's `ready`
    this.config = null;
    this.settings = null;
    this.running = false;
    this.stats = null;
    this.currentStep = 0;   // the model's step: from stats, or 0 / the checkpoint's after a reset / load
    this.sentData = null;   // the data set in the worker: 'mnist', a customData object, or null
    this.customData = null; // their own images ({images, labels, count, rows, cols, channels, name}, custom-data.js); null: MNIST
    this.note = null;       // why the model differs from the settings asked for (a conditional model on data without labels), or null
    this.mnistLoad = null;  // the MNIST download, shared by prefetchData() and apply()
    this.closed = false;
    this.pace = 0;          // steps/s when set (see start())
    this.evaluator = null;  // the evaluation worker, started at the first evaluate()
    this.loop = new FrameLoop({
      snapshot: () => this.#snapshot(),
      draw: () => this.#draw(),
      onError: (error) => this.#problem(error),
    });
    this.setViews(views);
  }

  /** The views to keep current (before the first apply()). */
  setViews(views) {
    this.views = views;
    // A view with something new to show (new stats, a search result, a new
    // size) asks for a frame; nothing is drawn otherwise.
    for (const view of Object.values(views)) if (view) view.onDirty = () => this.loop.requestDraw();
    if (views.neighbours) views.neighbours.training = () => this.running;
  }

  get isToy() {
    return Number(this.config?.data_dim) === 1;
  }

  /** The name of the images the model trains on ('MNIST' or their own), or null for the toy. */
  get dataName() {
    return this.isToy ? null : this.customData?.name ?? 'MNIST';
  }

  /** What the data's classes are called by (runtime/classes.js classNames): 'mnist', their own data's format ('cifar', ...), or null. */
  get dataKind() {
    return this.isToy ? null : this.customData ? this.customData.format ?? null : 'mnist';
  }

  /** The views that apply to the configured model (the neighbour search knows MNIST only). */
  get activeViews() {
    const { samples, neighbours, curves, figure1, readout } = this.views;
    if (this.isToy) return [figure1, curves, readout].filter(Boolean);
    return [samples, this.customData ? null : neighbours, curves, readout].filter(Boolean);
  }

  /**
   * Starts the worker and its wasm; resolves to {simd, threads, threadsNote,
   * description}. GanClient starts the worker from any origin (a CDN serving
   * this code), through a same-origin blob when needed.
   */
  async open() {
    const client = await GanClient.create({
      workerUrl: new URL('runtime/worker.js', this.assetBase),
      wasmBase: new URL('wasm/', this.assetBase),
      threads: this.threads,
    });
    if (this.closed) {
      client.terminate();
      throw new Error('the session was closed while it started');
    }
    this.client = client;
    this.description = client.description;
    client.on('stats', (stats) => this.#onStats(stats));
    client.on('state', ({ running }) => this.#setRunning(running));
    client.on('error', (error) => this.#problem(error));
    // An uncaught error inside the worker, or the worker gone: nothing else would say so.
    client.on('failure', (error) => this.#problem(error));
    const mode = { simd: client.simd, threads: client.threads ?? 1, threadsNote: client.threadsNote, description: client.description };
    this.emit('mode', mode);
    this.loop.start();
    return mode;
  }

  /**
   * Builds a fresh model for {preset, overrides}; fetches MNIST the first time it is needed.
   * With `checkpoint` (bytes: a tutorial's trained start), the checkpoint then replaces the
   * fresh model before anything is drawn. If it cannot be loaded the fresh model stays and the
   * refusal comes back as `checkpointError` (nothing is thrown for it).
   * A class-conditional model of data without labels (their own images without a labels
   * file, the toy's 1-D data) trains unconditionally instead: the settings applied then say
   * `conditional` none, and `note` says why (else null; also kept in this.note).
   * Resolves to {config, step, loaded, checkpointError, note, settings: those applied}.
   */
  async apply(settings, { checkpoint = null } = {}) {
    const labelled = await this.#fitToLabels(settings);
    settings = labelled.settings;
    // checked first: a preset that does not fit the data leaves the training as it was
    const overrides = {
      ...coreOverrides(settings.overrides, this.description), ...labelled.overrides,
      ...await this.#fitToData(settings.preset, settings.overrides),
    };
    await this.pause();
    let { config } = await this.client.configure(settings.preset, overrides);
    let step = 0;
    let loaded = false;
    let checkpointError = null;
    // The configuration is kept back until the model is final, so no frame draws the fresh
    // model that a checkpoint is about to replace.
    await this.#sendDataFor(config);
    if (checkpoint) {
      try {
        ({ config, step } = await this.#load(checkpoint));
        loaded = true;
        await this.#sendDataFor(config);
      } catch (error) {
        checkpointError = error;
      }
    }
    this.settings = settings;
    this.config = config;
    this.note = loaded ? null : labelled.note;
    await this.#afterNewModel({ step, loaded });
    return { config, step, loaded, checkpointError, note: this.note, settings };
  }

  /**
   * A conditional model needs a label for every training image. MNIST has them, and so do
   * CIFAR-10's files and IDX images chosen with a labels file. Data without labels trains
   * unconditionally (`conditional` none, with a note saying so) rather than failing; labels
   * past the configured classes raise `classes` to fit them.
   * Returns {settings, overrides (core keys), note}.
   */
  async #fitToLabels(settings) {
    const { config } = await this.client.validate(settings.preset, coreOverrides(settings.overrides, this.description));
    if (!classCount(config)) return { settings, overrides: {}, note: null };
    const toy = Number(config.data_dim) === 1;
    const labels = toy ? null : this.customData ? this.customData.labels : 'mnist';
    if (!labels) {
      const field = pageFields(this.description).find((option) => option.keys[0] === 'conditional');
      const what = toy ? 'The toy\'s 1-D data has' : `${this.customData.name} has`;
      return {
        settings: { preset: settings.preset, overrides: { ...settings.overrides, [field?.param ?? 'conditional']: 'none' } },
        overrides: {},
        note: `${what} no labels, so this model trains unconditionally: conditional is set to none ` +
          `(conditional ${config.conditional} needs a label for every image${toy ? '' : ': choose an IDX labels file with the images, or CIFAR-10\'s files'}).`,
      };
    }
    if (labels === 'mnist') return { settings, overrides: {}, note: null };
    let largest = 0;
    for (const label of labels) if (label > largest) largest = label;
    return { settings, overrides: largest >= Number(config.classes) ? { classes: String(largest + 1) } : {}, note: null };
  }

  /**
   * Trains on their own images from now on (`data` from custom-data.js, already checked), or on
   * MNIST again (null): a fresh model of the current settings, sized to the images.
   */
  async useData(data, settings = this.settings) {
    this.customData = data;
    return this.apply(settings);
  }

  /** {channels, height, width, name} of the images the models train on: their own, or MNIST's. */
  get dataShape() {
    const custom = this.customData;
    return custom ? { channels: custom.channels ?? 1, height: custom.rows, width: custom.cols, name: custom.name } : { ...MNIST_SHAPE, name: 'MNIST' };
  }

  /**
   * The overrides that make a preset train on the data chosen, checked by the core before
   * anything changes: none when its images are the data's shape; else the data's shape
   * (data_dim, data_channels, data_height, data_width) and, for an MLP G, its last layer's
   * width. A preset whose layers do not fit the data is refused with the core's explanation
   * (a DataFitError); the model that was training stays.
   */
  async #fitToData(preset, settingsOverrides) {
    const overrides = coreOverrides(settingsOverrides, this.description);
    const { config } = await this.client.validate(preset, overrides);
    if (Number(config.data_dim) === 1) return {}; // the toy draws its own 1-D data
    const data = this.dataShape;
    const format = imageFormat(config);
    const stated = Number(config.data_channels) > 0;
    const dim = data.channels * data.height * data.width;
    // (a preset that states no shape is drawn as the core derives it: 784 values as 1 x 28 x 28)
    if (format.dim === dim && sameShape(format, data)) return {};
    const fit = dataOverrides(config, data);
    try {
      await this.client.validate(preset, { ...overrides, ...fit });
    } catch (error) {
      if (error.code !== 'GAN_ERR_INVALID_ARGUMENT') throw error;
      const why = String(error.message).replace(/^invalid configuration: /, '');
      const wanted = stated ? shapeText(format) : null;
      throw new DataFitError(`the ${preset} preset does not fit ${data.name}'s ${shapeText(data)} images: ${why}` +
        `${wanted ? ` (it takes ${wanted} images)` : ''}`, { wanted });
    }
    return fit;
  }

  /** Loads checkpoint bytes, refusing a model the data chosen cannot feed (with the data's name and shape). */
  async #load(bytes) {
    try {
      return await this.client.load(bytes, { requireData: true });
    } catch (error) {
      if (error.code !== 'DATA_MISMATCH') throw error;
      const data = this.dataShape;
      throw new DataFitError(`${error.message} (${data.name}, ${shapeText(data)})`);
    }
  }

  // The images a model of `config` trains on, sent once: MNIST, or their own when chosen and of
  // the model's size. The worker keeps the last set sent for every later model of its size.
  async #sendDataFor(config) {
    const dim = Number(config.data_dim);
    if (dim === 1) return;
    const custom = this.customData;
    if (custom && custom.rows * custom.cols * (custom.channels ?? 1) === dim) {
      if (this.sentData === custom) return;
      await this.client.setData(custom.images.slice(), custom.count, dim, { transfer: true, labels: custom.labels?.slice() });
      this.sentData = custom;
    } else if (this.sentData !== 'mnist') {
      await this.#sendMnist();
    }
  }

  /** Starts fetching MNIST now (e.g. while the wasm loads), if an MNIST preset will need it. */
  prefetchData() {
    this.#loadMnist().catch(() => {}); // a failure is reported when apply() needs the data
  }

  #loadMnist() {
    this.mnistLoad ??= TrainingData.for(new URL('data/', this.assetBase))
      .load((fraction, text) => this.emit('progress', { fraction, text }));
    const load = this.mnistLoad;
    load.catch(() => { if (this.mnistLoad === load) this.mnistLoad = null; });
    return load;
  }

  // The data worker fetches and unpacks MNIST and hands over a copy, which
  // the main thread passes on to the training worker without touching it.
  async #sendMnist() {
    const source = TrainingData.for(new URL('data/', this.assetBase));
    const { count, dim, side } = await this.#loadMnist();
    const { images, labels } = await source.copy();
    await this.client.setData(images, count, dim, { transfer: true, labels });
    this.views.neighbours?.setSource(source, { height: side, width: side, channels: 1 });
    this.sentData = 'mnist';
  }

  async #afterNewModel({ step = 0, loaded = false } = {}) {
    this.stats = null;
    this.currentStep = step;
    this.views.curves?.clear();
    this.views.readout?.clear();
    for (const view of this.activeViews) await view.prepare?.(this.client, this.config);
    this.emit('configured', loaded ? { config: this.config, step, loaded, note: this.note } : { config: this.config, note: this.note });
    this.loop.invalidate();
  }

  /**
   * Trains until pause(), or for `runLength` steps when that is set; at full
   * speed, or at `pace` steps per second when that is set (for watching the
   * toy problem learn: at full speed it is over in a second or two). The
   * worker keeps the pace.
   */
  async start() {
    if (this.running) return;
    const until = this.runLength ? this.currentStep + this.runLength : undefined;
    await this.client.start(until, { pace: this.pace });
  }

  async pause() {
    if (this.client && this.running) await this.client.pause();
    this.#setRunning(false);
  }

  /** Steps per second while running; 0 for full speed. Takes effect at once. */
  async setPace(stepsPerSecond) {
    this.pace = stepsPerSecond;
    if (this.client && this.running) await this.client.setPace(stepsPerSecond);
  }

  step(count = 1) {
    return this.client.step(count); // its stats arrive through the 'stats' listener too
  }

  /** Fresh weights, step 0; with `settings` it reconfigures first. Leaves training paused. */
  async reset(settings = null) {
    if (settings) return (await this.apply(settings)).config;
    await this.pause();
    const { config } = await this.client.reset();
    this.config = config;
    await this.#afterNewModel();
    return config;
  }

  /** The complete training state as checkpoint bytes. */
  async save() {
    return (await this.client.save()).bytes;
  }

  /**
   * Loads a checkpoint; on failure throws and training goes on as before. A checkpoint of
   * another architecture replaces the model, when the data chosen can feed it (else a
   * DataFitError says both shapes).
   */
  async load(bytes) {
    const { config, step } = await this.#load(bytes);
    const changed = Number(config.noise_dim) !== Number(this.config.noise_dim) || classCount(config) !== classCount(this.config) ||
      JSON.stringify(imageFormat(config)) !== JSON.stringify(imageFormat(this.config));
    this.config = config;
    this.currentStep = step;
    this.note = null;
    this.views.curves?.clear();
    this.views.readout?.clear();
    if (changed) for (const view of this.activeViews) await view.prepare?.(this.client, this.config);
    this.emit('configured', { config, step, loaded: true, note: null });
    this.loop.invalidate();
    return { config, step };
  }

  /**
   * The paper's Parzen estimate (Table 1) of the model as it is now: `samples` samples of G,
   * sigma chosen on the first `validation` validation images (rows 50000-), then the mean
   * log-likelihood of the first `test` test images. It runs in a worker of its own on a copy
   * of the model (a checkpoint), so training and drawing go on meanwhile.
   * onProgress({fraction, text}). Resolves to {sigma, mean, std_error, sigmas, validation_mean,
   * samples, validation, test, step}.
   */
  async evaluate({ samples = 10000, validation = 1000, test = 10000, seed = 0, onProgress = () => {} } = {}) {
    if (!this.config) throw new Error('no model yet');
    if (this.isToy) throw new Error('the Parzen estimate is for image models, not the 1-D toy');
    if (this.customData) throw new Error(`it measures MNIST's test set, and this model trains on ${this.customData.name}`);
    onProgress({ fraction: 0, text: 'Loading the validation and test images…' });
    const source = TrainingData.for(new URL('data/', this.assetBase));
    const sets = await source.evaluationSets(validation, test);
    if (sets.dim !== Number(this.config.data_dim)) {
      throw new Error(`the model makes images of ${this.config.data_dim} values, MNIST's are ${sets.dim}`);
    }
    const checkpoint = await this.save();
    this.evaluator ??= WorkerClient.start(new URL('./evaluation-worker.js', import.meta.url), { name: 'wasm-gan evaluation' });
    return this.evaluator.request('evaluate', {
      checkpoint, validation: sets.validation, test: sets.test, samples, seed, wasmBase: String(new URL('wasm/', this.assetBase)),
    }, [checkpoint.buffer, sets.validation.buffer, sets.test.buffer], { onProgress });
  }

  /** Takes and draws a snapshot now (after export requests, and for tests). */
  refresh() {
    return this.loop.refreshNow();
  }

  close() {
    this.closed = true;
    this.loop.stop();
    this.client?.terminate();
    this.client = null;
    this.evaluator?.terminate();
    this.evaluator = null;
  }

  emit(type, detail) {
    this.dispatchEvent(new CustomEvent(type, { detail }));
  }

  #setRunning(running) {
    if (this.running === running) return;
    this.running = running;
    if (running) this.views.neighbours?.holdOff();
    this.emit('state', { running });
  }

  #onStats(stats) {
    this.stats = stats;
    this.currentStep = stats.step;
    this.views.curves?.push(stats);
    this.views.readout?.push(stats, { immediate: !this.running });
    this.loop.invalidate();
    this.emit('stats', { stats });
  }

  async #snapshot() {
    if (!this.config) return;
    await Promise.all(this.activeViews.map((view) => view.snapshot?.()));
    const { samples, neighbours } = this.views;
    // An untrained G's samples have no meaningful neighbours: search once it has trained.
    if (!this.isToy && !this.customData && samples && neighbours && this.currentStep > 0) {
      neighbours.maybeUpdate(samples.gridSamples(neighbours.count))?.catch((error) => this.#problem(error));
    }
  }

  #draw() {
    for (const view of this.activeViews) view.draw();
  }

  #problem(error) {
    if (this.closed) return; // a request cut short by close() is no problem
    this.emit('problem', { message: error.message ?? String(error), code: error.code });
  }
}
