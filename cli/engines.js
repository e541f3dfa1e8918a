// The two engines `wasm-gan train` and `wasm-gan reproduce` train on, behind
// one interface, so that the commands do not care which one runs:
//
//   wasm    the training worker (web/runtime/worker.js), the page's code path
//   native  build/native/wasm-gan-native (cli/native-engine.js): the same core
//           built natively, several times faster; a wasm worker on one thread
//           draws the figures and evaluates, from the native checkpoints
//
// Both give the same bits: a checkpoint written by one resumes on the other.
//
//   const training = await openTraining({ engine, simd, threads });
//   const { config, step } = await training.configure(preset, overrides);  // or .load(bytes, path)
//   await training.setData(dataset);
//   const { reason } = await training.trainUntil(until, (stats) => ...);   // 'until' | 'paused' | 'non-finite' | 'error'
//   const bytes = await training.checkpoint();
//   const client = await training.drawing();   // a GanClient holding the current model
//   training.terminate();
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GanClient } from '../web/runtime/client.js';
import { NativeEngine, NativeEngineError, pickEngine } from './native-engine.js';

/** Opens the engine --engine names (auto: native when built). */
export async function openTraining({ engine = 'wasm', simd = 'auto', threads = 'auto' } = {}) {
  return pickEngine(engine) === 'native' ? NativeTraining.open({ simd, threads }) : WasmTraining.open({ simd, threads });
}

class WasmTraining {
  static async open({ simd, threads }) {
    const training = new WasmTraining();
    training.client = await GanClient.create({ simd, threads });
    training.name = 'wasm';
    training.threads = training.client.threads;
    training.label = `${training.client.simd ? 'wasm SIMD' : 'wasm scalar'}, ${training.threads} thread${training.threads === 1 ? '' : 's'}`;
    return training;
  }

  configure(preset, overrides) { return this.client.configure(preset, overrides); }

  load(bytes) { return this.client.load(bytes); }

  setData(dataset) {
    return this.client.setData(dataset.train, dataset.trainCount, dataset.dim, { labels: dataset.trainLabels });
  }

  async trainUntil(until, onStats) {
    let last = null;
    const listener = (stats) => { last = stats; onStats(stats); };
    this.client.on('stats', listener);
    try {
      const stopped = this.client.waitFor('state', (m) => !m.running);
      await this.client.start(until);
      const state = await stopped;
      return { reason: state.reason === 'until' ? 'until' : state.reason === 'non-finite' || state.reason === 'error' ? state.reason : 'paused', stats: last };
    } finally {
      this.client.off?.('stats', listener);
    }
  }

  pause() { return this.client.pause().catch(() => {}); }

  async checkpoint() { return (await this.client.save()).bytes; }

  async drawing() { return this.client; }

  terminate() { this.client.terminate(); }
}

// Chunks of about this long between the native engine's replies: the
// progress bar's pace, and how soon Ctrl-C is answered.
const CHUNK_SECONDS = 0.5;

class NativeTraining {
  static async open({ simd, threads }) {
    const training = new NativeTraining();
    const count = threads === 'auto' ? Math.min(8, (await import('node:os')).availableParallelism()) : threads;
    training.engine = await NativeEngine.start({ threads: count });
    training.name = 'native';
    training.threads = training.engine.threads;
    training.label = `native (${training.engine.kernel}), ${training.threads} thread${training.threads === 1 ? '' : 's'}`;
    // Figures and evaluation: the wasm core, on one thread (the native engine has the cores).
    training.simd = simd;
    training.client = null;
    training.drawn = null; // the step the drawing client holds
    training.temp = mkdtempSync(join(tmpdir(), 'wasm-gan-ckpt-'));
    training.step = 0;
    training.paused = false;
    training.started = Date.now();
    return training;
  }

  async configure(preset, overrides) {
    const reply = await this.engine.create(preset, overrides).catch((error) => {
      throw Object.assign(new Error(error.message), { code: error.code });
    });
    this.#check(reply.config);
    this.step = 0;
    return { config: reply.config, step: 0 };
  }

  async load(bytes, path) {
    const reply = await this.engine.load(path);
    this.#check(reply.config);
    this.step = reply.step;
    return { config: reply.config, step: reply.step };
  }

  #check(config) {
    if (Number(config.data_dim) === 1) {
      throw new Error('the native engine trains on image data; the toy preset (1-D) trains on --engine wasm');
    }
  }

  setData(dataset) { return this.engine.setData(dataset); }

  async trainUntil(until, onStats) {
    this.paused = false;
    let chunk = 1;
    let last = null;
    const startStep = this.step;
    const started = Date.now();
    while (this.step < until && !this.paused) {
      const n = Math.max(1, Math.min(chunk, until - this.step));
      const t0 = Date.now();
      let stats;
      try {
        stats = await this.engine.train(n);
      } catch (error) {
        if (error instanceof NativeEngineError && error.stats) {
          this.step = error.stats.step;
          return { reason: error.code === 'GAN_ERR_NON_FINITE' ? 'non-finite' : 'error', stats: error.stats, error };
        }
        throw error;
      }
      const seconds = (Date.now() - t0) / 1000;
      this.step = stats.step;
      chunk = Math.max(1, Math.round((n / Math.max(seconds, 1e-3)) * CHUNK_SECONDS));
      const elapsed = (Date.now() - started) / 1000;
      last = { ...stats, elapsed_s: (Date.now() - this.started) / 1000, steps_per_s: elapsed > 0 ? (this.step - startStep) / elapsed : 0 };
      onStats(last);
    }
    return { reason: this.step >= until ? 'until' : 'paused', stats: last };
  }

  pause() { this.paused = true; }

  async checkpoint() {
    const path = join(this.temp, 'checkpoint.safetensors');
    await this.engine.save(path);
    return readFileSync(path);
  }

  async drawing() {
    this.client ??= await GanClient.create({ simd: this.simd, threads: 1 });
    if (this.drawn !== this.step) {
      await this.client.load(await this.checkpoint());
      this.drawn = this.step;
    }
    return this.client;
  }

  terminate() {
    this.engine.close();
    this.client?.terminate();
    rmSync(this.temp, { recursive: true, force: true });
  }
}
