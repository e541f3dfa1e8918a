// The bench scripts' command lines, through node:util parseArgs. Each script
// declares its options once, {name: {type: 'string'|'number'|'boolean',
// default, choices}}; values come back camelCased ('min-iters' -> minIters),
// numbers checked, unknown options refused, and --help prints the script's
// opening comment.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** The options of the training children (bench/train-wasm.mjs, bench/peers/tfjs-gan.mjs). */
export const CHILD_OPTIONS = {
  model: { type: 'string', default: 'small' },
  seconds: { type: 'number', default: 5 },
  windows: { type: 'number', default: 3 },
  'min-iters': { type: 'number', default: 2 },
  clock: { type: 'string', default: 'wall', choices: ['wall', 'cpu'] },
  seed: { type: 'number', default: 1 },
  serve: { type: 'boolean' }, // windows on request (bench/serve.mjs)
};

/** The parsed options of the script at `scriptUrl` (its import.meta.url). */
export function benchArgs(scriptUrl, declared, argv = process.argv.slice(2)) {
  const options = { help: { type: 'boolean', short: 'h' } };
  for (const [name, d] of Object.entries(declared)) options[name] = { type: d.type === 'boolean' ? 'boolean' : 'string' };
  const { values } = parseArgs({ args: argv, options });
  if (values.help) {
    const lines = readFileSync(fileURLToPath(scriptUrl), 'utf8').split('\n').filter((l) => !l.startsWith('#!'));
    const end = lines.findIndex((l) => !l.startsWith('//'));
    console.log(lines.slice(0, end < 0 ? lines.length : end).map((l) => l.replace(/^\/\/ ?/, '')).join('\n'));
    process.exit(0);
  }
  const out = {};
  for (const [name, d] of Object.entries(declared)) {
    const key = name.replace(/-(\w)/g, (_, c) => c.toUpperCase());
    const raw = values[name];
    if (raw === undefined) out[key] = d.default ?? (d.type === 'boolean' ? false : null);
    else if (d.choices && !d.choices.includes(raw)) throw new Error(`--${name} ${d.choices.join('|')}, not ${raw}`);
    else if (d.type === 'number' && (raw.trim() === '' || !Number.isFinite(Number(raw)))) throw new Error(`--${name} takes a number, not ${JSON.stringify(raw)}`);
    else out[key] = d.type === 'number' ? Number(raw) : raw;
  }
  return out;
}
