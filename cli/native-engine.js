// The native engine (build/native/wasm-gan-native, native/engine.c) as a
// child process: the same core built natively (AVX2 GEMMs, pthreads), driven
// over its line protocol, one command per line, one JSON line back for each.
// Its checkpoints are the wasm engine's, bit for bit, both ways.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const NATIVE_ENGINE = process.env.WASM_GAN_NATIVE ?? join(root, 'build/native/wasm-gan-native');

export const nativeEngineBuilt = () => existsSync(NATIVE_ENGINE);

/** 'native' or 'wasm' for --engine auto|native|wasm; throws when native is asked for and missing. */
export function pickEngine(engine) {
  if (engine === 'wasm') return 'wasm';
  if (nativeEngineBuilt()) return 'native';
  if (engine === 'native') throw new Error(`--engine native: ${NATIVE_ENGINE} is not built (npm run build)`);
  return 'wasm';
}

export class NativeEngineError extends Error {
  constructor(reply) {
    super(reply.error ?? 'native engine error');
    this.code = reply.status;
    this.stats = reply.stats;
  }
}

export class NativeEngine {
  static async start({ threads = 1 } = {}) {
    const engine = new NativeEngine();
    const reply = await engine.command(`threads ${threads}`);
    engine.threads = reply.threads;
    engine.kernel = reply.kernel;
    return engine;
  }

  constructor() {
    this.child = spawn(NATIVE_ENGINE, [], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.pending = [];
    this.exited = null;
    this.temp = null;
    createInterface({ input: this.child.stdout }).on('line', (line) => {
      const waiter = this.pending.shift();
      if (!waiter) return;
      try { waiter.resolve(JSON.parse(line)); } catch (error) { waiter.reject(new Error(`native engine: ${line}`)); }
    });
    const fail = (error) => {
      this.exited = error;
      for (const waiter of this.pending.splice(0)) waiter.reject(error);
    };
    this.child.on('error', (error) => fail(error));
    this.child.on('exit', (code, signal) => fail(new Error(`native engine exited (${signal ?? code})`)));
  }

  /** One command; resolves its reply, rejects with NativeEngineError when it failed. */
  command(line) {
    if (this.exited) return Promise.reject(this.exited);
    return new Promise((resolvePromise, reject) => {
      this.pending.push({
        resolve: (reply) => (reply.ok ? resolvePromise(reply) : reject(new NativeEngineError(reply))),
        reject,
      });
      this.child.stdin.write(`${line}\n`);
    });
  }

  /** A new model: the preset, then each override in order (gan_config_set). */
  create(preset, overrides = {}) {
    for (const [key, value] of Object.entries(overrides)) {
      if (/\s/.test(`${key}${value}`)) throw new Error(`native engine: no spaces in ${key}=${value}`);
    }
    return this.command(['create', preset, ...Object.entries(overrides).map(([k, v]) => `${k}=${v}`)].join(' '));
  }

  load(path) { return this.command(`load ${resolve(path)}`); }

  /**
   * Attaches the training images of a data set (cli/data.js), and their
   * labels when it has them: read by the
   * engine straight from the file when they lie in it as they are (a raw IDX
   * file), else from a temporary copy of the training rows (a gzip'd IDX
   * file; CIFAR-10's, whose planes were turned channels last).
   */
  async setData(dataset) {
    let file;
    let offset;
    if (dataset.source) {
      ({ path: file, offset } = dataset.source);
    } else {
      this.temp ??= mkdtempSync(join(tmpdir(), 'wasm-gan-native-'));
      file = join(this.temp, 'train-images');
      writeFileSync(file, dataset.train);
      offset = 0;
    }
    let labels = '';
    if (dataset.trainLabels) {
      let labelFile;
      let labelOffset;
      if (dataset.labelSource) {
        ({ path: labelFile, offset: labelOffset } = dataset.labelSource);
      } else {
        this.temp ??= mkdtempSync(join(tmpdir(), 'wasm-gan-native-'));
        labelFile = join(this.temp, 'train-labels');
        writeFileSync(labelFile, dataset.trainLabels);
        labelOffset = 0;
      }
      labels = ` ${resolve(labelFile)} ${labelOffset}`;
    }
    return this.command(`data ${resolve(file)} ${offset} ${dataset.trainCount}${labels}`);
  }

  /** Trains n iterations; resolves the stats of the last one. */
  async train(n) { return (await this.command(`train ${n}`)).stats; }

  save(path) { return this.command(`save ${resolve(path)}`); }

  close() {
    if (!this.exited) {
      this.child.stdin.end('quit\n');
    }
    if (this.temp) rmSync(this.temp, { recursive: true, force: true });
  }
}
