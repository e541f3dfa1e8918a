#!/usr/bin/env node
// wasm-gan: train the original GAN headless, sample from it, evaluate it.
// Training runs in the same worker as the page (web/runtime/worker.js).
import { USAGE, UsageError, parseEval, parseSample, parseTrain } from '../cli/options.js';

const commands = {
  train: [parseTrain, async (o) => (await import('../cli/train.js')).runTrain(o)],
  sample: [parseSample, async (o) => (await import('../cli/sample.js')).runSample(o)],
  eval: [parseEval, async (o) => (await import('../cli/eval.js')).runEval(o)],
};

async function main(argv) {
  const [command, ...args] = argv;
  if (command === undefined || command === '-h' || command === '--help' || command === 'help') {
    process.stdout.write(USAGE.main);
    return command === undefined ? 2 : 0;
  }
  const entry = commands[command];
  if (!entry) throw new UsageError(`unknown command '${command}'`, 'main');
  const options = entry[0](args);
  if (options.help) {
    process.stdout.write(USAGE[command]);
    return 0;
  }
  return entry[1](options);
}

main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`wasm-gan ${error.command === 'main' ? '' : `${error.command} `}: ${error.message}\n\n${USAGE[error.command] ?? USAGE.main}`.replace(' :', ':'));
      process.exitCode = 2;
    } else {
      process.stderr.write(`wasm-gan: ${error.message}\n`);
      process.exitCode = 1;
    }
  },
);
