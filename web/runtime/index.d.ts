// Declarations of the wasm-gan package's entry (index.js), hand-written to match it: the
// trainer (trainer.js), its errors and the MNIST loader (mnist.js). Reference: docs/api.md.
// tests/package/usage.mts is compiled against these declarations and run against the code,
// so that they cannot drift apart unnoticed.

/** A configuration as the core reports it: every key (docs/core.md) with its value as text. */
export type Config = Record<string, string>;

/**
 * Overrides of a preset, by the core's keys: `seed`, `batch_size`, `d_steps`, `generator_loss`,
 * `g.learning_rate`, `d.optimizer`, `g.layers.2.units`, ... The core checks each and refuses
 * an unknown key or a value out of range (docs/cli.md lists them with their ranges).
 */
export type ConfigOverrides = Record<string, string | number | boolean | bigint>;

/** A seed as the core's uint64: a safe-integer Number, a BigInt or decimal text, 0 to 2^64-1. */
export type Seed = number | bigint | string;

/** The core's presets; others may exist in later versions (trainer.description.presets). */
export type PresetName = 'small' | 'cgan' | 'paper' | 'toy' | 'conv' | 'paper-cifar-conv' | (string & {});

/** Training images: `count` x `dim` pixels, one byte each (0-255). `count` defaults to images.length / dim. */
export interface TrainingImages {
  images: Uint8Array;
  dim: number;
  count?: number;
  /** One class label per image (0 to classes - 1): what a conditional model (`conditional`
   *  concat or auxiliary) trains on; without them it cannot train (GAN_ERR_NO_LABELS). */
  labels?: Uint8Array;
}

interface CommonOptions {
  /**
   * The images to train on: 'mnist' (the default: the paper's 50,000 training rows, carried by
   * the package), your own (the preset's networks are sized to their `dim`), or null for none
   * (then setData() before training). The `toy` preset draws its own 1-D data.
   */
  data?: 'mnist' | TrainingImages | null;
  /** Threads for the core's matrix products ('auto': every core, at most 8). More than 1 needs
   *  shared memory: always in Node, in browsers only on cross-origin isolated pages. */
  threads?: 'auto' | number;
  /** Force the SIMD (true) or scalar (false) build ('auto': SIMD when the engine has it). */
  simd?: 'auto' | boolean;
  /** The package's web/ folder (worker, wasm, data), when it is served from elsewhere than
   *  beside this module (a bundled app). Relative URLs resolve against the page, or in Node the
   *  working directory. */
  base?: string | URL;
}

/** A fresh model of a preset with overrides. */
export interface PresetOptions extends CommonOptions {
  /** Default 'small'. */
  preset?: PresetName;
  config?: ConfigOverrides;
  seed?: Seed;
  checkpoint?: undefined;
}

/** The model a checkpoint holds (its configuration included), ready to continue. */
export interface CheckpointOptions extends CommonOptions {
  /** The bytes of a .safetensors checkpoint: from save(), `wasm-gan train` or the page. */
  checkpoint: Uint8Array;
  preset?: undefined;
  config?: undefined;
  seed?: undefined;
}

export type TrainerOptions = PresetOptions | CheckpointOptions;

/** What an iteration reports (PROTOCOL.md, `stats`). Losses and probabilities are NaN before the first step. */
export interface Stats {
  /** Completed iterations. */
  step: number;
  epoch: number;
  d_loss: number;
  g_loss: number;
  /** Mean D(x) on the real batch. */
  d_real: number;
  /** Mean D(G(z)). */
  d_fake: number;
  d_grad_norm: number;
  g_grad_norm: number;
  d_learning_rate: number;
  g_learning_rate: number;
  momentum: number;
  /** Steps rolled back for a NaN or infinity in this report, and in all. */
  non_finite: number;
  non_finite_total: number;
  /** The k (D-steps per G-step) the last iteration ran: d_steps, or the adaptive k's. */
  d_steps: number;
  /** The share of the last D-batch's 2m rows D classified right (real logit > 0, fake < 0). */
  d_accuracy: number;
  /** Measured over about the last second. */
  steps_per_s: number;
  /** Training time of this model in this worker. */
  elapsed_s: number;
  running: boolean;
}

export type StateReason = 'start' | 'pause' | 'until' | 'non-finite' | 'error' | 'configure' | 'reset' | 'load';

export interface StateChange {
  running: boolean;
  reason: StateReason;
}

/** The errors the API rejects with or reports: `code` names the core's status or the runtime's reason. */
export type TrainerErrorEvent = Error & { code?: string };

export interface TrainerEvents {
  /** After training slices (at most 10 a second while running), each train() and pause(). */
  stats: Stats;
  /** Whenever training starts or stops, and why. */
  state: StateChange;
  /** What failed outside a request: a rolled-back step (GAN_ERR_NON_FINITE), a worker that died. */
  error: TrainerErrorEvent;
}

export interface Samples {
  /** count x dataDim values: pixels in [0, 1] for the image presets. */
  images: Float32Array;
  count: number;
  /** The noise vectors, count x noiseDim. */
  z: Float32Array;
}

/** A conditional model's classes for the samples: `class`, every sample of one class, or
 *  `classes`, a row of `classes` weights per sample (one-hot, or a blend); neither: sample i is
 *  of class i mod classes. An unconditional model refuses both. */
export type ClassOptions = { class?: number; classes?: undefined } | { classes?: Float32Array; class?: undefined };
export type SampleOptions = ({ seed?: Seed; count?: number; z?: undefined } | { z: Float32Array; seed?: undefined; count?: undefined }) & ClassOptions;

export interface LoadResult {
  config: Config;
  preset: string | null;
  step: number;
  /** True when the checkpoint's architecture differed and its model replaced the trainer's. */
  replaced: boolean;
}

/** The core's description of itself (gan_describe); the fields the API's users are likely to read. */
export interface CoreDescription {
  version: string;
  presets: Array<{ name: string; summary: string }>;
  keys: Array<{
    key: string;
    type: 'int' | 'float' | 'u64' | 'enum' | 'text' | (string & {});
    min?: number;
    max?: number;
    values?: string[];
    help: string;
    option: string | null;
    /** Present when the key applies only while the top-level key `key` has `value`. */
    when?: { key: string; value: string };
    page: boolean;
  }>;
  /** The names of the Stats fields that come from the core, in order. */
  stats: string[];
  [field: string]: unknown;
}

/** The training worker's client (client.js), for the requests of PROTOCOL.md the API does not wrap. */
export interface ProtocolClient {
  request(type: string, fields?: Record<string, unknown>, transfer?: object[]): Promise<{ type: string; [field: string]: unknown }>;
}

/** Starts a training worker and builds a model in it; resolves once the model has its data. */
export declare function createTrainer(options?: TrainerOptions): Promise<Trainer>;

export declare class Trainer {
  private constructor();
  /** Same as createTrainer(). */
  static create(options?: TrainerOptions): Promise<Trainer>;

  readonly client: ProtocolClient;
  /** Whether the core runs the SIMD build, on how many threads, and why not more (or null). */
  readonly simd: boolean;
  readonly threads: number;
  readonly threadsNote: string | null;
  readonly description: CoreDescription;
  /** The model's configuration. */
  readonly config: Config;
  /** The preset the model was made from (null when its checkpoint does not say). */
  readonly preset: string | null;
  /** Values per sample (784 for MNIST, 1 for `toy`) and per noise vector. */
  readonly dataDim: number;
  readonly noiseDim: number;
  /** The model's position, from the latest stats, configuration or load. */
  readonly step: number;
  readonly running: boolean;
  readonly disposed: boolean;

  /** Trains `steps` more iterations (default 1); resolves with the last one's stats. A pause interrupts it (code INTERRUPTED). */
  train(steps?: number): Promise<Stats>;
  /** Trains in the background until pause(), or until step `until`; `pace`: at most so many steps a second. Resolves once it runs. */
  start(options?: { until?: number; pace?: number }): Promise<void>;
  /** Stops within 50 ms; resolves once stopped. */
  pause(): Promise<void>;
  setPace(stepsPerSecond: number): Promise<void>;
  /** Fresh weights and step 0 with the same configuration and seed. */
  reset(): Promise<{ config: Config; step: number }>;
  /** Trains on these images from now on; their dim must be the model's data_dim. */
  setData(data: TrainingImages): Promise<void>;

  /** G(z): `count` samples (default 1) from noise seed `seed` (default 0), or one per vector of `z`. */
  sample(options?: SampleOptions): Promise<Samples>;
  /** G along the line (or with `spherical`, the great circle) from z0 to z1, `steps` points (default 10). */
  interpolate(z0: Float32Array, z1: Float32Array, options?: {
    steps?: number; spherical?: boolean;
    /** A conditional model's class weights at each end (both or neither): between classes at fixed z with z0 = z1. */
    classes0?: Float32Array; classes1?: Float32Array;
  }): Promise<Samples>;
  /** D(x) for count x dataDim values: the probability of each being real. */
  discriminate(x: Float32Array): Promise<Float32Array>;
  /** `count` noise vectors from `seed`, count x noiseDim values. */
  noise(seed: Seed, count: number): Promise<Float32Array>;

  /** The whole training state as checkpoint bytes (safetensors). */
  save(): Promise<Uint8Array>;
  /** Loads a checkpoint; training then continues bit-identically. Rejects, changing nothing, on a bad file. */
  load(bytes: Uint8Array): Promise<LoadResult>;

  /** Listens to an event; returns a function that stops listening. */
  on<K extends keyof TrainerEvents>(type: K, listener: (value: TrainerEvents[K]) => void): () => void;
  off<K extends keyof TrainerEvents>(type: K, listener: (value: TrainerEvents[K]) => void): void;
  /** Ends the worker (a Node process can then exit); pending requests reject. */
  dispose(): void;
}

/** A request the worker refused or failed: `code` is the core's status name or the worker's (BAD_REQUEST, ...). */
export declare class WorkerError extends Error {
  constructor(fields: { code: string; message: string });
  code: string;
}

/** An error of the runtime on this side of the worker: BAD_OPTION (the API's checks), LOAD_FAILED, ... */
export declare class GanError extends Error {
  constructor(code: string, message: string, status?: number);
  code: string;
  /** The core's numeric status, when it came from one. */
  status?: number;
}

export interface MnistImages {
  images: Uint8Array;
  count: number;
  dim: number;
  rows: number;
  cols: number;
}

/** MNIST's training rows (0-49,999) as the package carries them, for display or your own use. */
export declare function loadMnist(options?: { base?: string | URL }): Promise<MnistImages>;
