// The trainer's user-facing settings: their names in URLs and attributes,
// their ranges, and the core's config keys they set (gan_config_set). The
// page's form, its shareable URL and the <gan-trainer> attributes all go
// through here, so a value is checked the same way wherever it comes from.

export const PRESETS = ['small', 'paper', 'toy'];
export const DEFAULT_SEED = 1;

/** Overridable training settings: URL/attribute name -> how to check and apply it. */
export const TRAINING_FIELDS = {
  k: { label: 'k (D steps per G step)', type: 'int', min: 1, max: 20, keys: ['d_steps'] },
  batch: { label: 'batch size', type: 'int', min: 1, max: 1000, keys: ['batch_size'] },
  g_lr: { label: 'G learning rate', type: 'float', min: 1e-7, max: 10, keys: ['g.learning_rate'] },
  d_lr: { label: 'D learning rate', type: 'float', min: 1e-7, max: 10, keys: ['d.learning_rate'] },
  loss: { label: 'G loss', type: 'choice', choices: ['non-saturating', 'minimax'], keys: ['generator_loss'] },
  optimizer: { label: 'optimizer', type: 'choice', choices: ['sgd', 'adam'], keys: ['g.optimizer', 'd.optimizer'] },
  // Algorithm 1 alternates; the authors' released code updated D and G from one shared pass
  // (docs/faithfulness.md: with the paper preset, only that order keeps D from winning).
  order: { label: 'update order', type: 'choice', choices: ['alternating', 'simultaneous'], keys: ['update_order'] },
};

/**
 * Checks one value. Returns {value} or {error} (a sentence naming the
 * setting, the value and what is allowed).
 */
export function checkField(name, text) {
  if (name === 'preset') {
    return PRESETS.includes(text) ? { value: text } : { error: `preset "${text}" is not one of ${PRESETS.join(', ')}` };
  }
  if (name === 'seed') return checkInteger('seed', text, 0, 2 ** 32 - 1);
  const field = TRAINING_FIELDS[name];
  if (!field) return { error: `unknown setting "${name}"` };
  if (field.type === 'int') return checkInteger(field.label, text, field.min, field.max);
  if (field.type === 'float') {
    const value = Number(text);
    if (String(text).trim() === '' || !Number.isFinite(value) || value < field.min || value > field.max) {
      return { error: `${field.label} "${text}" must be a number from ${field.min} to ${field.max}` };
    }
    return { value };
  }
  const value = String(text).trim().toLowerCase().replace('_', '-');
  return field.choices.includes(value)
    ? { value }
    : { error: `${field.label} "${text}" is not one of ${field.choices.join(', ')}` };
}

export function checkInteger(label, text, min, max) {
  const value = Number(text);
  if (String(text).trim() === '' || !Number.isInteger(value) || value < min || value > max) {
    return { error: `${label} "${text}" must be a whole number from ${min} to ${max}` };
  }
  return { value };
}

/**
 * Reads settings from URL parameters or element attributes (anything with
 * get(name) returning a string or null). Bad values are left out and
 * reported in `errors`.
 * @returns {{settings: {preset, seed, overrides: object}, errors: string[]}}
 */
export function readSettings(source) {
  const errors = [];
  const settings = { preset: 'small', seed: DEFAULT_SEED, overrides: {} };
  for (const name of ['preset', 'seed', ...Object.keys(TRAINING_FIELDS)]) {
    const text = source.get(name);
    if (text === null || text === undefined) continue;
    const { value, error } = checkField(name, text);
    if (error) { errors.push(error); continue; }
    if (name === 'preset' || name === 'seed') settings[name] = value;
    else settings.overrides[name] = value;
  }
  return { settings, errors };
}

/** URL query text for settings (only what differs from the defaults). */
export function settingsToQuery(settings) {
  const params = new URLSearchParams();
  if (settings.preset !== 'small') params.set('preset', settings.preset);
  if (settings.seed !== DEFAULT_SEED) params.set('seed', String(settings.seed));
  for (const [name, value] of Object.entries(settings.overrides)) params.set(name, String(value));
  return params.toString();
}

/** The core's config overrides ({"d_steps": "2", ...}) for the worker's configure request. */
export function coreOverrides(overrides) {
  const out = {};
  for (const [name, value] of Object.entries(overrides)) {
    for (const key of TRAINING_FIELDS[name].keys) out[key] = String(value);
  }
  return out;
}

/** The current value of each training field in a configured model's config. */
export function fieldsFromConfig(config) {
  const out = {};
  for (const [name, field] of Object.entries(TRAINING_FIELDS)) {
    const raw = config?.[field.keys[0]];
    if (raw === undefined) continue;
    // Floats come back as float32 text (0.000199999995): show them rounded.
    out[name] = field.type === 'choice' ? String(raw) : Number(Number(raw).toPrecision(6));
  }
  return out;
}

/** Default training pace (steps/s, 0 = as fast as possible): the toy is slowed so its learning can be watched. */
export function defaultSpeed(preset) {
  return preset === 'toy' ? 500 : 0;
}

/** Checks a speed: "max" or 0 (full speed), or 1-100000 steps per second. */
export function checkSpeed(text) {
  if (String(text).trim().toLowerCase() === 'max') return { value: 0 };
  const { value, error } = checkInteger('speed', text, 0, 100000);
  return error ? { error: `speed "${text}" must be "max" or a whole number of steps per second from 0 to 100000` } : { value };
}

/**
 * The preset a configuration most likely came from (for a loaded checkpoint,
 * which stores the configuration but not the preset's name): by data and
 * noise sizes and G's first layer, which the presets do not share.
 */
export function presetOf(config) {
  if (Number(config.data_dim) === 1) return 'toy';
  return Number(config['g.layers.0.units']) === 1200 ? 'paper' : 'small';
}

/** Settings that rebuild a loaded checkpoint's configuration from its preset. */
export function settingsOfConfig(config) {
  const preset = presetOf(config);
  const seed = Number(config.seed);
  return { preset, seed: Number.isSafeInteger(seed) ? seed : DEFAULT_SEED, overrides: fieldsFromConfig(config) };
}

/** Checks a thread count: "auto" (every core, when the page is cross-origin isolated) or 1-16. */
export function checkThreads(text) {
  if (String(text).trim().toLowerCase() === 'auto') return { value: 'auto' };
  const { value, error } = checkInteger('threads', text, 1, 16);
  return error ? { error: `threads "${text}" must be "auto" or a whole number from 1 to 16` } : { value };
}
