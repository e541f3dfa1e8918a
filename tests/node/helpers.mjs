// Shared by the Node tests (not a test file itself).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadGan } from '../../web/runtime/loader.js';

/** bin/wasm-gan.mjs, the CLI. */
export const CLI = fileURLToPath(new URL('../../bin/wasm-gan.mjs', import.meta.url));

/**
 * Runs the CLI with `args`; resolves {code, signal, stdout, stderr} when it
 * exits. onSpawn(child) sees the child process (to signal it, say).
 */
export function runCli(args, { onSpawn } = {}) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    onSpawn?.(child);
  });
}

let core = null;

/** What the core says of a checkpoint: {step, epoch, config}. */
export async function checkpointInfo(bytes) {
  core ??= loadGan({ threads: 1 });
  const model = (await core).createFromCheckpoint(bytes);
  try {
    return { ...model.position(), config: model.config() };
  } finally {
    model.free();
  }
}

// Weights and biases of every dense layer, from the layer keys of a config.
export function parameterCount(config, net) {
  let width = Number(net === 'g' ? config.noise_dim : config.data_dim);
  let count = 0;
  for (let i = 0; i < Number(config[`${net}.layer_count`]); i++) {
    const kind = config[`${net}.layers.${i}.kind`];
    if (kind === 'dense') {
      const units = Number(config[`${net}.layers.${i}.units`]);
      count += width * units + units;
      width = units;
    } else if (kind === 'maxout') {
      width /= Number(config[`${net}.layers.${i}.pieces`]);
    }
  }
  return count;
}

