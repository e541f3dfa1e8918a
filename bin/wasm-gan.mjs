#!/usr/bin/env node
// wasm-gan: train the original GAN headless, sample from it, evaluate it,
// measure the quality of its digits.
// Training runs in the same worker as the page (web/runtime/worker.js).
import { UsageError, checkTrainConfig, parseEval, parseJudge, parseQuality, parseReproduce, parseSample, parseTrain, usage } from '../cli/options.js';
import { localCore } from '../cli/describe.js';

const commands = {
  train: [parseTrain, async (o) => (await import('../cli/train.js')).runTrain(o)],
  sample: [parseSample, async (o) => (await import('../cli/sample.js')).runSample(o)],
  eval: [parseEval, async (o) => (await import('../cli/eval.js')).runEval(o)],
  reproduce: [parseReproduce, async (o) => (await import('../cli/reproduce.js')).runReproduce(o)],
  quality: [parseQuality, async (o) => (await import('../cli/quality.js')).runQuality(o)],
  judge: [parseJudge, async (o) => (await import('../cli/judge.js')).runJudge(o)],
};

// `train`'s configuration options come from the core's description, so it
// loads the core before reading its arguments.
let description = null;

async function main(argv) {
  const [command, ...args] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(usage('main'));
    return command === undefined ? 2 : 0;
  }
  const entry = commands[command];
  if (!entry) throw new UsageError(`unknown command '${command}'`, 'main');
  const core = command === 'train' ? await localCore() : null;
  description = core?.description ?? null;
  const options = entry[0](args, description);
  if (options.help) {
    process.stdout.write(usage(command, description));
    return 0;
  }
  if (core) checkTrainConfig(core, options);
  return entry[1](options);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`wasm-gan ${error.command === 'main' ? '' : `${error.command} `}: ${error.message}\n\n${usage(error.command, description)}`.replace(' :', ':'));
      process.exitCode = 2;
    } else {
      process.stderr.write(`wasm-gan: ${error.message}\n`);
      process.exitCode = 1;
    }
  },
);
