// Shared by the Node tests (not a test file itself).
import { loadGan } from '../../web/runtime/loader.js';

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

