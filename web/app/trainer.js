// The views' and session's handle on the training worker: GanClient
// (web/runtime/client.js) started through startModuleWorker, so that it also
// works when this code is served from another origin than the page, with
// answers unwrapped to the arrays the views draw.

import { GanClient } from '../runtime/client.js';
import { startModuleWorker } from './module-worker.js';

export class Trainer {
  /** Starts the worker and loads the wasm core in it. */
  static async create({ workerUrl, wasmBase, simd = 'auto', threads = 'auto' }) {
    const client = new GanClient(startModuleWorker(workerUrl, { name: 'wasm-gan training' }));
    try {
      const ready = await client.request('init', { simd, threads, wasmBase: String(wasmBase) });
      return new Trainer(client, { simd: ready.simd, threads: ready.threads ?? 1, threadsNote: ready.threadsNote ?? null });
    } catch (error) {
      client.terminate();
      throw error;
    }
  }

  constructor(client, mode) {
    this.client = client;
    this.mode = mode;
  }

  on(type, listener) {
    return this.client.on(type, listener);
  }

  configure(preset, overrides, seed) { return this.client.configure(preset, overrides, seed); }
  data(images, count, dim) { return this.client.setData(images, count, dim, { transfer: true }); }
  start(until) { return this.client.start(until || undefined); }
  pause() { return this.client.pause(); }
  step(count) { return this.client.step(count); }
  reset() { return this.client.reset(); }

  async noise(seed, count) { return (await this.client.noise(seed, count)).z; }
  async sample(z) { return (await this.client.sample({ z })).images; }
  async interpolate(z0, z1, steps, spherical) { return (await this.client.interpolate(z0, z1, steps, spherical)).z; }
  async discriminate(x) { return (await this.client.discriminate(x)).values; }
  async save() { return (await this.client.save()).bytes; }
  load(bytes) { return this.client.load(bytes); }

  terminate() { this.client.terminate(); }
}
