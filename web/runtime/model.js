// One model (a gan* in wasm memory) and the buffers it owns on the JS side:
// training, sampling, checkpoints, its position. Created by the core wrapper
// (core.js: gan.create, gan.createFromCheckpoint) or by model.fresh().

import { GanError } from './errors.js';

const U64_MAX = 2n ** 64n - 1n;

/**
 * A seed as the core's uint64_t: an integer from 0 to 2^64-1 given as a
 * safe-integer Number, a BigInt or decimal text. Anything else (negative,
 * fractional, NaN, 2^53 and up as a Number, hex or padded text) is refused
 * rather than wrapped or rounded. Returns the BigInt, or null if refused.
 */
export function seedValue(value) {
  let seed = null;
  if (typeof value === 'bigint') seed = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) seed = BigInt(value);
  else if (typeof value === 'string' && /^\d{1,20}$/.test(value)) seed = BigInt(value);
  return seed !== null && seed >= 0n && seed <= U64_MAX ? seed : null;
}

// enum gan_network (include/gan.h)
export const GENERATOR = 0;
export const DISCRIMINATOR = 1;

export class GanModel {
  /** @param {import('./core.js').Gan} gan  @param {number} pointer  the gan* */
  constructor(gan, pointer) {
    this.gan = gan;
    this.pointer = pointer;
    // One block: gan_step_stats, gan_train_part's `done` flag (an int, 8
    // bytes of room), then gan_position's step and epoch (two doubles).
    const statsBytes = gan.description.sizes.gan_step_stats;
    this._statsPointer = gan.alloc(statsBytes + 8 + 16);
    this._donePointer = this._statsPointer + statsBytes;
    this._positionPointer = this._donePointer + 8;
    this._dataPointer = 0;
    this.dataCount = 0;
    const config = this.config();
    this.noiseDim = Number(config.noise_dim);
    this.dataDim = Number(config.data_dim);
    this.batchSize = Number(config.batch_size);
    this.dSteps = Number(config.d_steps);
    // a class-conditional model's number of classes, else 0
    this.classes = config.conditional && config.conditional !== 'none' ? Number(config.classes) : 0;
  }

  _alive() {
    if (!this.pointer) throw new GanError('FREED', 'this model was freed');
    return this.pointer;
  }

  /** {key: text} of every configuration field ('preset' included). */
  config() { return this.gan.configObject(this.gan.exports.gan_get_config(this._alive())); }

  /**
   * A new model of this one's configuration, seed included: fresh weights,
   * step 0, no data attached. This one is untouched.
   */
  fresh() { return this.gan.createFromConfig(this.gan.exports.gan_get_config(this._alive())); }

  /** Where training stands: {step, epoch} (completed iterations; also right after a checkpoint load). */
  position() {
    const out = this._positionPointer;
    this.gan.check(this.gan.exports.gan_position(this._alive(), out, out + 8), 'gan_position');
    const f64 = this.gan.heap().f64;
    return { step: f64[out >> 3], epoch: f64[(out >> 3) + 1] };
  }

  /** Number of parameters of G and D. */
  parameterCount() {
    return this.parametersInfo(GENERATOR).count + this.parametersInfo(DISCRIMINATOR).count;
  }

  parametersInfo(network) {
    return this.gan.withBuffers([4, 4], (paramsOut, countOut) => {
      this.gan.check(this.gan.exports.gan_parameters(this._alive(), network, paramsOut, countOut), 'gan_parameters');
      const u32 = this.gan.heap().u32;
      return { pointer: u32[paramsOut >> 2], count: u32[countOut >> 2] };
    });
  }

  /**
   * A zero-copy Float32Array over G's (GENERATOR) or D's (DISCRIMINATOR)
   * whole parameter block. Valid until the next call that may grow memory;
   * re-take it after.
   */
  parameters(network = GENERATOR) {
    const { pointer, count } = this.parametersInfo(network);
    return new Float32Array(this.gan.memory.buffer, pointer, count);
  }

  /**
   * Copies count images of dataDim u8 pixels into wasm memory and attaches
   * them (the model owns the copy). The data position is kept: a model made
   * from a checkpoint continues where the checkpoint stopped.
   */
  attachData(pixels, count = pixels.length / this.dataDim) {
    if (!Number.isInteger(count) || count <= 0 || pixels.length !== count * this.dataDim) {
      throw new GanError('BAD_REQUEST', `data: ${pixels.length} values is not a whole number of ${this.dataDim}-value examples (count ${count})`);
    }
    const pointer = this.gan.copyIn(pixels);
    try {
      this.attachDataAt(pointer, count, { float: pixels instanceof Float32Array });
    } catch (error) {
      this.gan.release(pointer);
      throw error;
    }
    this._dataPointer = pointer;
    return count;
  }

  /**
   * Attaches data already in wasm memory (from gan.copyIn): u8 pixels, or
   * floats with {float: true}. Borrowed: the caller keeps it alive and
   * releases it, so several models can share one copy of the data set.
   */
  attachDataAt(pointer, count, { float = false } = {}) {
    const status = float
      ? this.gan.exports.gan_attach_data_f32(this._alive(), pointer, count)
      : this.gan.exports.gan_attach_data(this._alive(), pointer, count);
    this.gan.check(status, 'gan_attach_data');
    this.gan.release(this._dataPointer);
    this._dataPointer = 0;
    this.dataCount = count;
  }

  /**
   * Attaches the labels (one byte per example, in wasm memory from
   * gan.copyIn) of the data attached last; borrowed like attachDataAt.
   * Attaching data again detaches them.
   */
  attachLabelsAt(pointer, count) {
    this.gan.check(this.gan.exports.gan_attach_labels(this._alive(), pointer, count), 'gan_attach_labels');
  }

  initGeneratorBias() {
    this.gan.check(this.gan.exports.gan_init_generator_bias(this._alive()), 'gan_init_generator_bias');
  }

  /**
   * The stats of a training call: every field of gan_step_stats (names from
   * the core's description) plus `status`. GAN_ERR_NON_FINITE (a step
   * rolled back, training stopped there) is a result; other errors throw.
   */
  _trainResult(status, what) {
    if (status !== this.gan.NON_FINITE) this.gan.check(status, what);
    const values = this.gan.copyOut(Float64Array, this._statsPointer, this.gan.description.stats.length);
    const stats = {};
    this.gan.description.stats.forEach((field, i) => { stats[field] = values[i]; });
    stats.status = this.gan.statusName(status);
    return stats;
  }

  /** Runs `steps` iterations on the attached data; the last step's stats (see _trainResult). */
  train(steps = 1) {
    return this._trainResult(this.gan.exports.gan_train(this._alive(), steps, this._statsPointer), 'gan_train');
  }

  /**
   * Runs the next part of an iteration on the attached data (gan_train_part:
   * two parts per D-update, two for the G-update). Returns null while the
   * iteration is unfinished; when this part ended it, the iteration's stats,
   * as train(). Parts give the same bits as train().
   */
  trainPart() {
    const status = this.gan.exports.gan_train_part(this._alive(), this._statsPointer, this._donePointer);
    const result = this._trainResult(status, 'gan_train_part');
    return this.gan.heap().u32[this._donePointer >> 2] === 1 ? result : null;
  }

  /** Ends the iteration trainPart began, if any: its stats, or null if there was none. */
  finishIteration() {
    if (!this.inProgress) return null;
    return this._trainResult(this.gan.exports.gan_train_finish(this._alive(), this._statsPointer), 'gan_train_finish');
  }

  /** Whether an iteration begun by trainPart is unfinished (sampling and saving wait for it). */
  get inProgress() { return this.gan.exports.gan_train_in_progress(this._alive()) === 1; }

  /** n noise vectors from the prior, from `seed` alone (training PRNG untouched). */
  sampleNoise(seed, n) {
    const value = seedValue(seed);
    if (value === null) throw new GanError('BAD_REQUEST', `noise: seed must be an integer from 0 to 2^64-1, not ${typeof seed === 'string' ? JSON.stringify(seed) : String(seed)}`);
    if (!Number.isSafeInteger(n) || n < 1) throw new GanError('BAD_REQUEST', `noise: count must be a positive integer, not ${n}`);
    const size = n * this.noiseDim;
    return this.gan.withBuffers([size * 4], (out) => {
      this.gan.check(this.gan.exports.gan_sample_noise(this._alive(), value, n, out), 'gan_sample_noise');
      return this.gan.copyOut(Float32Array, out, size);
    });
  }

  /** Checks class rows for n examples (n x classes floats) of a conditional model. */
  _classRows(what, classes, n) {
    if (classes == null) return;
    if (!this.classes) throw new GanError('BAD_REQUEST', `${what}: classes were given, but this model is not conditional`);
    if (!(classes instanceof Float32Array) || classes.length !== n * this.classes) {
      throw new GanError('BAD_REQUEST', `${what}: classes must be a Float32Array of ${n} x ${this.classes} values (a row of class weights per example), not ${classes.length}`);
    }
  }

  /**
   * G(z) for n noise vectors: n * dataDim floats. A conditional model takes
   * `classes`, n rows of `this.classes` weights (one-hot, or a blend of
   * classes); without them example i is of class i mod classes.
   */
  generate(z, n = z.length / this.noiseDim, classes = null) {
    if (!Number.isInteger(n) || z.length !== n * this.noiseDim) {
      throw new GanError('BAD_REQUEST', `generate: z has ${z.length} values, not a multiple of noise_dim ${this.noiseDim}`);
    }
    this._classRows('generate', classes, n);
    const size = n * this.dataDim;
    return this.gan.withBuffers([z.length * 4, size * 4, classes ? classes.length * 4 : 0], (input, out, rows) => {
      const f32 = this.gan.heap().f32;
      f32.set(z, input >> 2);
      if (classes) f32.set(classes, rows >> 2);
      this.gan.check(this.gan.exports.gan_generate_conditional(this._alive(), input, classes ? rows : 0, n, out), 'gan_generate');
      return this.gan.copyOut(Float32Array, out, size);
    });
  }

  /** D(x) as probabilities (dropout off) for n inputs of dataDim floats; classes as generate's. */
  discriminate(x, n = x.length / this.dataDim, classes = null) {
    if (!Number.isInteger(n) || x.length !== n * this.dataDim) {
      throw new GanError('BAD_REQUEST', `discriminate: x has ${x.length} values, not a multiple of data_dim ${this.dataDim}`);
    }
    this._classRows('discriminate', classes, n);
    return this.gan.withBuffers([x.length * 4, n * 4, classes ? classes.length * 4 : 0], (input, out, rows) => {
      const f32 = this.gan.heap().f32;
      f32.set(x, input >> 2);
      if (classes) f32.set(classes, rows >> 2);
      this.gan.check(this.gan.exports.gan_discriminate_conditional(this._alive(), input, classes ? rows : 0, n, out), 'gan_discriminate');
      return this.gan.copyOut(Float32Array, out, n);
    });
  }

  /** The complete training state as safetensors bytes (a copy). */
  checkpointSave() {
    const size = this.gan.withOut((out) => this.gan.check(this.gan.exports.gan_checkpoint_size(this._alive(), out), 'gan_checkpoint_size'));
    return this.gan.withBuffers([size, 4], (buffer, sizeOut) => {
      this.gan.check(this.gan.exports.gan_checkpoint_save(this._alive(), buffer, size, sizeOut), 'gan_checkpoint_save');
      return this.gan.copyOut(Uint8Array, buffer, this.gan.heap().u32[sizeOut >> 2]);
    });
  }

  /**
   * Loads a checkpoint of the same architecture (position included; the
   * attached data stays attached). On error throws and the model is unchanged.
   */
  checkpointLoad(bytes) {
    const pointer = this.gan.copyIn(bytes);
    try {
      this.gan.check(this.gan.exports.gan_checkpoint_load(this._alive(), pointer, bytes.length), 'checkpoint');
    } finally {
      this.gan.release(pointer);
    }
  }

  free() {
    if (!this.pointer) return;
    this.gan.exports.gan_free(this.pointer);
    this.gan.release(this._statsPointer);
    this.gan.release(this._dataPointer);
    this.pointer = 0;
    this._statsPointer = 0;
    this._donePointer = 0;
    this._positionPointer = 0;
    this._dataPointer = 0;
  }
}
