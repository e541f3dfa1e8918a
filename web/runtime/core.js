// The instantiated core (include/gan.h) in JS terms: its memory, its own
// description of itself, statuses as names, configurations as plain objects,
// and the calls that belong to no model (interpolation, Parzen). Models are
// model.js.
//
// Every ABI fact comes from the core: gan_describe() gives the status names
// and texts, the fields of gan_step_stats, the sizes of the structs JS
// allocates (gan_config, gan_step_stats, gan_parzen_result), the Parzen
// grid's length, the configuration keys and the presets. What JS still
// assumes is what wasm32 itself fixes: pointers and size_t are 4 bytes
// (checked against the description's sizes.pointer at load), enums and the
// gan_train_part flag are 4-byte ints, and floating point values are
// little-endian IEEE-754.
//
// The modules are standalone (`--no-entry -sSTANDALONE_WASM`): no Emscripten
// glue. Their memory can grow during any call that allocates, which detaches
// every typed array on the old buffer (or, for a shared memory, leaves it
// short); so helpers copy results out, and views are re-created from
// memory.buffer after each call (see heap()).

import { GanError } from './errors.js';
import { GanModel } from './model.js';

const POINTER_BYTES = 4; // wasm32; the description's sizes.pointer must agree
// wasm32 addresses 4 GiB: gan_alloc's size_t would wrap a larger count, so
// sizes are computed in JS Numbers (exact to 2^53) and refused here first.
export const MAX_ALLOCATION_BYTES = 2 ** 32 - 1;

export class Gan {
  /**
   * @param {object} parts
   * @param {WebAssembly.Instance} parts.instance
   * @param {WebAssembly.Memory} parts.memory  its own or the shared one it imports
   * @param {WebAssembly.Module} parts.module
   * @param {boolean} parts.simd
   * @param {import('./thread-pool.js').ThreadPool} [parts.pool]  threads build only
   */
  constructor({ instance, memory, module, simd, pool = null }) {
    // The threads build imports its memory; put it among the exports too.
    this.exports = instance.exports.memory ? instance.exports : Object.freeze({ ...instance.exports, memory });
    this.memory = memory;
    this.module = module;
    this.simd = simd;
    this.pool = pool;
    this.threadsNote = null; // why 1 thread when more were asked for
    this._encoder = new TextEncoder();
    this._decoder = new TextDecoder();
    this.description = this._describe();
    const { statuses, sizes, stats, parzen_sigma_count: sigmaCount } = this.description;
    this._statusCodes = new Map(statuses.map(({ name }, code) => [name, code]));
    this.OK = this.statusCode('GAN_OK');
    this.NON_FINITE = this.statusCode('GAN_ERR_NON_FINITE');
    this.INVALID_ARGUMENT = this.statusCode('GAN_ERR_INVALID_ARGUMENT');
    this.BUFFER_TOO_SMALL = this.statusCode('GAN_ERR_BUFFER_TOO_SMALL');
    // The layouts JS reads: gan_step_stats and gan_parzen_result are all doubles.
    const mismatch = sizes.pointer !== POINTER_BYTES ? `pointers of ${sizes.pointer} bytes`
      : sizes.gan_step_stats !== stats.length * 8 ? `gan_step_stats of ${sizes.gan_step_stats} bytes for ${stats.length} doubles`
        : sizes.gan_parzen_result !== (3 + 2 * sigmaCount) * 8 ? `gan_parzen_result of ${sizes.gan_parzen_result} bytes` : null;
    if (mismatch) throw new GanError('LOAD_FAILED', `the core describes ${mismatch}, which this runtime cannot read`);
  }

  /** Threads in use for the GEMMs, this one included (1 unless the threads build runs helpers). */
  get threads() { return this.pool ? this.pool.count : 1; }

  /**
   * Threads build only: uses `count` threads (this one included) from now on.
   * Resolves with the count in use, smaller if helpers could not start
   * (threadsNote says why). Other builds stay at 1.
   */
  async setThreads(count) {
    if (!this.pool) return 1;
    const threads = await this.pool.resize(count);
    if (this.pool.note) this.threadsNote = this.pool.note;
    return threads;
  }

  /** Ends the helper workers (threads build); the core keeps working on one thread. */
  close() { this.pool?.close(); }

  // --- memory ------------------------------------------------------------------

  /** Fresh views of the whole memory (call again after anything that may allocate). */
  heap() {
    const buffer = this.memory.buffer;
    if (this._heapBuffer !== buffer) {
      this._heapBuffer = buffer;
      this._heap = {
        u8: new Uint8Array(buffer), u32: new Uint32Array(buffer),
        f32: new Float32Array(buffer), f64: new Float64Array(buffer),
      };
    }
    return this._heap;
  }

  alloc(bytes) {
    if (!Number.isSafeInteger(bytes) || bytes < 0) throw new GanError('BAD_REQUEST', `cannot allocate ${bytes} bytes: not a byte count`);
    if (bytes > MAX_ALLOCATION_BYTES) {
      throw new GanError('TOO_LARGE', `cannot allocate ${bytes} bytes (${(bytes / 2 ** 30).toFixed(1)} GiB): wasm32 addresses at most 4 GiB`);
    }
    const pointer = this.exports.gan_alloc(Math.max(1, bytes));
    if (!pointer) throw new GanError('GAN_ERR_OUT_OF_MEMORY', `could not allocate ${bytes} bytes in wasm memory`);
    return pointer;
  }

  release(pointer) { if (pointer) this.exports.gan_release(pointer); }

  /** Runs fn(pointers...) with temporary buffers of the given byte sizes, always released. */
  withBuffers(sizes, fn) {
    const pointers = [];
    try {
      for (const size of sizes) pointers.push(this.alloc(size));
      return fn(...pointers);
    } finally {
      for (const pointer of pointers) this.release(pointer);
    }
  }

  /** Runs fn(out) with room for one pointer or size_t at `out`; returns what it wrote there. */
  withOut(fn) {
    return this.withBuffers([POINTER_BYTES], (out) => {
      fn(out);
      return this.heap().u32[out >> 2];
    });
  }

  /** Copies a typed array into a fresh wasm allocation; returns the pointer. */
  copyIn(array) {
    const bytes = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    const pointer = this.alloc(bytes.length);
    this.heap().u8.set(bytes, pointer);
    return pointer;
  }

  /** `count` values of a typed-array type copied out of memory at `pointer`. */
  copyOut(Type, pointer, count) {
    const view = new Type(this.memory.buffer, pointer, count);
    return view.slice();
  }

  readCString(pointer) {
    const u8 = this.heap().u8;
    let end = pointer;
    while (u8[end] !== 0) end++;
    // slice(): browsers' TextDecoder refuses views of a SharedArrayBuffer.
    return this._decoder.decode(u8.slice(pointer, end));
  }

  cString(text) {
    const bytes = this._encoder.encode(String(text));
    const pointer = this.alloc(bytes.length + 1);
    const u8 = this.heap().u8;
    u8.set(bytes, pointer);
    u8[pointer + bytes.length] = 0;
    return pointer;
  }

  /**
   * gan_describe's JSON (gan.h's buffer protocol: asked once with capacity 0
   * for the length, then filled). Before the description exists statuses
   * have no names, so the JSON itself says whether the call worked.
   */
  _describe() {
    const call = (buffer, capacity, lengthOut) => this.exports.gan_describe(buffer, capacity, lengthOut);
    let status;
    const text = this.withBuffers([POINTER_BYTES], (lengthOut) => {
      call(0, 0, lengthOut);
      const length = this.heap().u32[lengthOut >> 2];
      return this.withBuffers([length + 1], (buffer) => {
        status = call(buffer, length + 1, lengthOut);
        return this.readCString(buffer);
      });
    });
    try {
      return Object.freeze(JSON.parse(text));
    } catch (error) {
      throw new GanError('LOAD_FAILED', `the core could not describe itself (status ${status}): ${error.message}`);
    }
  }

  // --- statuses ------------------------------------------------------------------

  /** The numeric code of a status name ('GAN_OK', 'GAN_ERR_BUSY', ...). */
  statusCode(name) {
    const code = this._statusCodes.get(name);
    if (code === undefined) throw new GanError('LOAD_FAILED', `the core has no status ${name}`);
    return code;
  }

  statusName(status) { return this.description.statuses[status]?.name ?? `GAN_STATUS_${status}`; }

  statusText(status) { return this.description.statuses[status]?.text ?? `status ${status}`; }

  /** Throws a GanError for any status but GAN_OK, with `what` as context. */
  check(status, what) {
    if (status !== this.OK) throw new GanError(this.statusName(status), `${what}: ${this.statusText(status)}`, status);
  }

  // --- configurations --------------------------------------------------------------

  /** The preset names the core knows. */
  get presets() { return this.description.presets.map((preset) => preset.name); }

  /** Fills a gan_config in wasm memory from a preset plus overrides; returns its pointer (release it). */
  configPointer(preset, overrides = {}, seed) {
    const pointer = this.alloc(this.description.sizes.gan_config);
    try {
      const name = this.cString(preset);
      const status = this.exports.gan_preset(name, pointer);
      this.release(name);
      if (status !== this.OK) {
        throw new GanError(this.statusName(status), `unknown preset ${JSON.stringify(preset)} (use ${this.presets.join(', ')})`, status);
      }
      const entries = Object.entries(overrides ?? {});
      if (seed !== undefined && seed !== null) entries.push(['seed', seed]);
      for (const [key, value] of entries) this.setKey(pointer, key, value);
      return pointer;
    } catch (error) {
      this.release(pointer);
      throw error;
    }
  }

  /** gan_config_set on the config at `configPointer`; the core checks key and value. */
  setKey(configPointer, key, value) {
    const keyPointer = this.cString(key);
    const valuePointer = this.cString(typeof value === 'boolean' ? (value ? '1' : '0') : value);
    const status = this.exports.gan_config_set(configPointer, keyPointer, valuePointer);
    this.release(keyPointer);
    this.release(valuePointer);
    if (status !== this.OK) {
      const why = status === this.INVALID_ARGUMENT ? ' (an unknown key, or a value of the wrong form or out of range)' : '';
      throw new GanError(this.statusName(status), `config ${key}=${JSON.stringify(String(value))}: ${this.statusText(status)}${why}`, status);
    }
  }

  /** A field's text form, or undefined when the config has no such key. */
  getKey(configPointer, key) {
    const keyPointer = this.cString(key);
    try {
      for (let capacity = 64; ; capacity *= 4) {
        const text = this.withBuffers([capacity], (buffer) => {
          const status = this.exports.gan_config_get(configPointer, keyPointer, buffer, capacity);
          if (status === this.BUFFER_TOO_SMALL) return null;
          return status === this.OK ? this.readCString(buffer) : undefined;
        });
        if (text !== null) return text;
      }
    } finally {
      this.release(keyPointer);
    }
  }

  /** Plain object {key: text} of every field of the config at `configPointer`, layer fields included. */
  configObject(configPointer) {
    const config = {};
    for (const { key } of this.description.keys) {
      const value = this.getKey(configPointer, key);
      if (value !== undefined) config[key] = value;
    }
    for (const net of ['g', 'd']) {
      const count = Number(config[`${net}.layer_count`] ?? this.getKey(configPointer, `${net}.layer_count`) ?? 0);
      for (let i = 0; i < count; i++) {
        for (const { key: field } of this.description.layer_fields) {
          const key = `${net}.layers.${i}.${field}`;
          const value = this.getKey(configPointer, key);
          if (value !== undefined) config[key] = value;
        }
      }
    }
    return config;
  }

  /**
   * The core's sentence for the first problem of the gan_config at
   * `configPointer` (gan_config_explain: it names the key or the layer and
   * the shapes), or '' when the configuration is valid.
   */
  explain(configPointer) {
    const capacity = 1024;
    return this.withBuffers([capacity], (buffer) => {
      this.exports.gan_config_explain(configPointer, buffer, capacity);
      return this.readCString(buffer);
    });
  }

  /** Throws GAN_ERR_INVALID_ARGUMENT with the core's explanation when the gan_config at `configPointer` is not valid. */
  validate(configPointer, what = 'invalid configuration') {
    const why = this.explain(configPointer);
    if (why) throw new GanError('GAN_ERR_INVALID_ARGUMENT', `${what}: ${why}`, this.INVALID_ARGUMENT);
  }

  /**
   * The configuration a preset plus overrides gives, validated, as {key: text}.
   * An invalid one throws GAN_ERR_INVALID_ARGUMENT with the core's explanation.
   */
  presetConfig(preset, overrides = {}, seed) {
    const pointer = this.configPointer(preset, overrides, seed);
    try {
      this.validate(pointer);
      return this.configObject(pointer);
    } finally {
      this.release(pointer);
    }
  }

  // --- models ------------------------------------------------------------------------

  /** Creates a model from a preset, overrides {key: value} and an optional seed. */
  create(preset, overrides = {}, seed) {
    const pointer = this.configPointer(preset, overrides, seed);
    try {
      return this.createFromConfig(pointer, `gan_create(${preset})`);
    } finally {
      this.release(pointer);
    }
  }

  /** Creates a model from a gan_config already in wasm memory (copied by the core). */
  createFromConfig(configPointer, what = 'gan_create') {
    this.validate(configPointer, `${what}: invalid configuration`);
    const model = this.withOut((out) => this.check(this.exports.gan_create(configPointer, out), what));
    return new GanModel(this, model);
  }

  /** Creates a model of whatever architecture a checkpoint holds, at its position. */
  createFromCheckpoint(bytes) {
    const data = this.copyIn(bytes);
    try {
      const model = this.withOut((out) => this.check(this.exports.gan_create_from_checkpoint(data, bytes.length, out), 'checkpoint'));
      return new GanModel(this, model);
    } finally {
      this.release(data);
    }
  }

  // --- calls of no model ------------------------------------------------------------

  /** `steps` points from z0 to z1 inclusive, linear or spherical. */
  interpolate(z0, z1, steps, spherical = false) {
    if (z0.length !== z1.length) throw new GanError('BAD_REQUEST', `interpolate: z0 has ${z0.length} values, z1 ${z1.length}`);
    const dim = z0.length;
    return this.withBuffers([dim * 4, dim * 4, steps * dim * 4], (a, b, out) => {
      const f32 = this.heap().f32;
      f32.set(z0, a >> 2);
      f32.set(z1, b >> 2);
      this.check(this.exports.gan_interpolate(a, b, dim, steps, spherical ? 1 : 0, out), 'gan_interpolate');
      return this.copyOut(Float32Array, out, steps * dim);
    });
  }

  /**
   * The paper's Parzen protocol: sigma chosen on `validation`, then the mean
   * log-likelihood of `test`. Inputs are Float32Arrays of n x dim (floats in
   * [0,1]) or Uint8Arrays of pixels (converted to value/255).
   * @returns {{sigma, mean, std_error, sigmas: number[], validation_mean: number[]}}
   */
  parzenEvaluate(samples, nSamples, validation, nValidation, test, nTest, dim) {
    const toFloat = (a) => (a instanceof Float32Array ? a : Float32Array.from(a, (v) => v / 255));
    const pointers = [];
    try {
      for (const array of [samples, validation, test]) pointers.push(this.copyIn(toFloat(array)));
      const { sizes, parzen_sigma_count: n } = this.description;
      return this.withBuffers([sizes.gan_parzen_result], (out) => {
        this.check(this.exports.gan_parzen_evaluate(pointers[0], nSamples, pointers[1], nValidation,
          pointers[2], nTest, dim, out), 'gan_parzen_evaluate');
        const r = this.copyOut(Float64Array, out, sizes.gan_parzen_result / 8);
        return {
          sigma: r[0], mean: r[1], std_error: r[2],
          sigmas: Array.from(r.subarray(3, 3 + n)),
          validation_mean: Array.from(r.subarray(3 + n, 3 + 2 * n)),
        };
      });
    } finally {
      for (const pointer of pointers) this.release(pointer);
    }
  }
  /**
   * The same protocol as parzenEvaluate, the same figures bit for bit, in parts of at most
   * `pointsPerPart` images (gan_parzen_log_density), so a worker can report progress:
   * onProgress(done, total, phase) after each part, phase 'validation' or 'test'. Scoring the
   * ten sigmas one at a time costs about as much again as the one call, which scores them in
   * one pass over the validation distances. Parts are a multiple of the core's block of 64
   * points, so every block's products, and so every figure, are those of the one call.
   */
  parzenEvaluateInParts(samples, nSamples, validation, nValidation, test, nTest, dim,
    { pointsPerPart = 128, onProgress = () => {} } = {}) {
    const { sigmas } = this.parzenEvaluate(new Float32Array(1), 1, new Float32Array(1), 1, new Float32Array(1), 1, 1); // the core's grid
    const total = nValidation * sigmas.length + nTest;
    let done = 0;
    const samplesPointer = this.copyIn(samples instanceof Float32Array ? samples : Float32Array.from(samples, (v) => v / 255));
    try {
      const logDensities = (points, nPoints, sigma, phase) => {
        const out = new Float64Array(nPoints);
        for (let first = 0; first < nPoints; first += pointsPerPart) {
          const count = Math.min(pointsPerPart, nPoints - first);
          const part = Float32Array.from(points.subarray(first * dim, (first + count) * dim), (v) => (points instanceof Float32Array ? v : v / 255));
          const pointsPointer = this.copyIn(part);
          try {
            this.withBuffers([count * 8], (densities) => {
              this.check(this.exports.gan_parzen_log_density(samplesPointer, nSamples, pointsPointer, count, dim, sigma, densities),
                'gan_parzen_log_density');
              out.set(new Float64Array(this.memory.buffer, densities, count), first);
            });
          } finally {
            this.release(pointsPointer);
          }
          done += count;
          onProgress(done, total, phase);
        }
        return out;
      };
      // As gan_parzen_evaluate: the first sigma of strictly highest validation mean (never NaN), then
      // the test mean with the population standard deviation over sqrt(n).
      const validationMean = sigmas.map((sigma) => {
        const ll = logDensities(validation, nValidation, sigma, 'validation');
        let sum = 0;
        for (let p = 0; p < nValidation; p++) sum += ll[p];
        return sum / nValidation;
      });
      let best = 0;
      for (let s = 0; s < sigmas.length; s++) {
        if (validationMean[s] > validationMean[best] || Number.isNaN(validationMean[best])) best = s;
      }
      const sigma = sigmas[best];
      const ll = logDensities(test, nTest, sigma, 'test');
      let sum = 0;
      for (let p = 0; p < nTest; p++) sum += ll[p];
      const mean = sum / nTest;
      let squares = 0;
      for (let p = 0; p < nTest; p++) squares += (ll[p] - mean) * (ll[p] - mean);
      return { sigma, mean, std_error: Math.sqrt(squares / nTest) / Math.sqrt(nTest), sigmas, validation_mean: validationMean };
    } finally {
      this.release(samplesPointer);
    }
  }
}
