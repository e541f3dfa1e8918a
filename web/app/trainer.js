// The views' and session's handle on the training worker: GanClient
// (web/runtime/client.js), with answers unwrapped to the arrays the views draw.

import { GanClient } from '../runtime/client.js';

export class Trainer {
  /** Starts the worker (from any origin) and loads the wasm core in it. */
  static async create({ workerUrl, wasmBase, simd = 'auto', threads = 'auto' }) {
    const client = await GanClient.create({ workerUrl, wasmBase, simd, threads });
    return new Trainer(client, { simd: client.simd, threads: client.threads ?? 1, threadsNote: client.threadsNote ?? null });
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
