// The trainer's user-facing settings: the preset and the configuration
// options the core marks for the page (`page: true` in its description,
// gan_describe), by their URL/attribute names (the command-line name with
// `-` -> `_`: `g_lr`, `update_order`). The page's form, its shareable URL
// and the <gan-trainer> attributes all go through here, so a value is
// checked the same way wherever it comes from, against the ranges the core
// gives; the core checks again when the model is configured.
//
// Settings: {preset, overrides: {param: value}}; `seed` is an override like
// the others (the preset's seed when absent).

import { checkOptionValue, configOptions, overridesOf, presetNames } from '../runtime/config-options.js';

export const DEFAULT_PRESET = 'cgan';

const fieldsCache = new WeakMap();

/** The settings the page offers, in the description's order: configOptions() entries with `page`. */
export function pageFields(description) {
  if (!fieldsCache.has(description)) fieldsCache.set(description, configOptions(description).filter((option) => option.page));
  return fieldsCache.get(description);
}

/**
 * Checks one value. Returns {value} or {error} (a sentence naming the
 * setting, the value and what is allowed, from the description).
 */
export function checkField(description, name, text) {
  if (name === 'preset') {
    const presets = presetNames(description);
    return presets.includes(text) ? { value: text } : { error: `preset "${text}" is not one of ${presets.join(', ')}` };
  }
  const field = pageFields(description).find((candidate) => candidate.param === name);
  if (!field) return { error: `unknown setting "${name}"` };
  const { value, error } = checkOptionValue(field, String(text).trim()); // the page forgives spaces; the CLI does not
  return error ? { error: `${name} "${text}" ${error}` } : { value };
}

/** Whole numbers from `min` to `max`, for the page's own settings (steps, size, ...), which the core does not know. */
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
 * @returns {{settings: {preset, overrides: object}, errors: string[]}}
 */
export function readSettings(source, description) {
  const errors = [];
  const settings = { preset: DEFAULT_PRESET, overrides: {} };
  for (const name of ['preset', ...pageFields(description).map((field) => field.param)]) {
    const text = source.get(name);
    if (text === null || text === undefined) continue;
    const { value, error } = checkField(description, name, text);
    if (error) { errors.push(error); continue; }
    if (name === 'preset') settings.preset = value;
    else settings.overrides[name] = value;
  }
  return { settings, errors };
}

/** URL query text for settings (only what differs from the defaults). */
export function settingsToQuery(settings) {
  const params = new URLSearchParams();
  if (settings.preset !== DEFAULT_PRESET) params.set('preset', settings.preset);
  for (const [name, value] of Object.entries(settings.overrides)) params.set(name, String(value));
  return params.toString();
}

/** The core's config overrides ({"d_steps": "2", ...}) for the worker's configure request. */
export function coreOverrides(overrides, description) {
  return overridesOf(pageFields(description), overrides);
}

/** The current value of each page setting in a configured model's config. */
export function fieldsFromConfig(config, description) {
  const out = {};
  for (const field of pageFields(description)) {
    const raw = config?.[field.keys[0]];
    if (raw === undefined) continue;
    if (field.type === 'float') out[field.param] = Number(Number(raw).toPrecision(6)); // float32 text (0.000199999995): rounded
    else if (field.type === 'int') out[field.param] = Number(raw);
    else out[field.param] = String(raw);
  }
  return out;
}

/**
 * Settings that rebuild a loaded checkpoint's configuration: the preset it
 * records (config.preset; "" for checkpoints older than format 2) and its
 * values of every page setting.
 */
export function settingsOfConfig(config, description) {
  return { preset: config.preset ?? '', overrides: fieldsFromConfig(config, description) };
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

/** Checks a thread count: "auto" (every core, when the page is cross-origin isolated) or 1-16. */
export function checkThreads(text) {
  if (String(text).trim().toLowerCase() === 'auto') return { value: 'auto' };
  const { value, error } = checkInteger('threads', text, 1, 16);
  return error ? { error: `threads "${text}" must be "auto" or a whole number from 1 to 16` } : { value };
}
