// Reads and checks the <gan-trainer> element's attributes. Every problem
// becomes a sentence the element shows in place of the trainer. The training
// settings (preset, k, g_lr, update_order, ...) are those of the page
// (settings.js), from the core's description; the others (autoplay, steps,
// speed, threads, views, size, width, checkpoint, data, evaluate_samples,
// evaluate_test, labels, label) are the element's own.

import { checkInteger, checkSpeed, checkThreads, defaultSpeed, readSettings } from './settings.js';

export const VIEW_NAMES = ['samples', 'interpolation', 'neighbours', 'curves', 'evaluate', 'figure1'];
const MNIST_VIEWS = new Set(['samples', 'interpolation', 'neighbours', 'curves', 'evaluate']);
const TOY_VIEWS = new Set(['figure1', 'curves']);

/** The most classes a conditional model may have (the core's `classes` maximum). */
const MAX_CLASSES = 256;

/**
 * Whether the `label` attribute (the one class a conditional model's grid shows) suits the model
 * built: null when it does, else the sentence to list. Its range is the model's classes, known
 * once the model is configured (a checkpoint, or labelled data, sets them).
 * @param {number} label
 * @param {{conditional?: string, classes?: string|number}} config  the model's configuration
 * @param {string|null} note  why the model was made unconditional, if it was (session.note)
 */
export function checkLabel(label, config, note = null) {
  const classes = config?.conditional && config.conditional !== 'none' ? Number(config.classes) : 0;
  if (!classes) {
    return `label "${label}" needs a class-conditional model, and this one is not (conditional none)` +
      (note ? `: ${note}` : ': add conditional="auxiliary" (or "concat")');
  }
  if (label >= classes) return `label "${label}" must be a whole number from 0 to ${classes - 1} (the model's classes)`;
  return null;
}

/** The `threads` attribute, needed before the worker (and so the description) exists: {value} or {error}. */
export function readThreads(element) {
  return element.hasAttribute('threads') ? checkThreads(element.getAttribute('threads')) : { value: 'auto' };
}

/**
 * @param {Element} element
 * @param {object} description  the core's (gan_describe), from the worker's `ready`
 * @returns {{settings, autoplay: boolean, steps: number, speed: number, threads: 'auto'|number,
 *            views: string[], size: number, width: number|null,
 *            checkpoint: string|null, data: string|null, labels: string|null, evaluate: {samples, test}, label: number|null,
 *            errors: string[]}}  label: the class the grid shows (a conditional model), null: one row per class
 */
export function readAttributes(element, description) {
  const { settings, errors } = readSettings({ get: (name) => element.getAttribute(name) }, description);
  const toy = settings.preset === 'toy';
  const number = (name, min, max, fallback) => {
    const text = element.getAttribute(name);
    if (text === null) return fallback;
    const { value, error } = checkInteger(name, text, min, max);
    if (error) errors.push(error);
    return error ? fallback : value;
  };
  const steps = number('steps', 1, 100_000_000, 0);
  const size = number('size', 2, 16, toy ? 0 : 8);
  const width = number('width', 200, 4000, null);
  // The evaluate view's counts: the paper's 10,000 unless fewer are asked for (a quick, rougher figure).
  const evaluate = { samples: number('evaluate_samples', 1, 10000, 10000), test: number('evaluate_test', 1, 10000, 10000) };
  // A whole number here; whether the model has that class is known once it is configured (checkLabel).
  const label = number('label', 0, MAX_CLASSES - 1, null);
  if (label !== null && toy) errors.push(`label "${label}": the toy preset has no classes`);
  const checkedThreads = readThreads(element);
  if (checkedThreads.error) errors.push(checkedThreads.error);
  const threads = checkedThreads.value ?? 'auto';
  let speed = defaultSpeed(settings.preset);
  if (element.hasAttribute('speed')) {
    const checked = checkSpeed(element.getAttribute('speed'));
    if (checked.error) errors.push(checked.error);
    else speed = checked.value;
  }

  let views = toy ? ['figure1', 'curves'] : ['samples', 'curves'];
  const viewText = element.getAttribute('views');
  if (viewText !== null) {
    const asked = viewText.split(/[\s,]+/).filter(Boolean);
    const unknown = asked.filter((name) => !VIEW_NAMES.includes(name));
    const allowed = toy ? TOY_VIEWS : MNIST_VIEWS;
    const wrong = asked.filter((name) => VIEW_NAMES.includes(name) && !allowed.has(name));
    if (asked.length === 0) errors.push(`views "${viewText}" names no view; use some of ${VIEW_NAMES.join(', ')}`);
    if (unknown.length) errors.push(`views: unknown ${unknown.map((n) => `"${n}"`).join(', ')}; use some of ${VIEW_NAMES.join(', ')}`);
    if (wrong.length) {
      errors.push(`views: ${wrong.join(', ')} ${wrong.length === 1 ? 'does' : 'do'} not apply to preset "${settings.preset}" ` +
        `(${toy ? 'the toy preset shows figure1 and curves' : 'figure1 needs preset="toy"'})`);
    }
    if (!unknown.length && !wrong.length && asked.length) views = [...new Set(asked)];
  }
  const mnistOnly = views.filter((name) => name === 'neighbours' || name === 'evaluate');
  if (element.getAttribute('data') && mnistOnly.length) {
    errors.push(`views: ${mnistOnly.join(', ')} ${mnistOnly.length === 1 ? 'needs' : 'need'} MNIST, and data="${element.getAttribute('data')}" replaces it`);
  }
  const autoplay = element.hasAttribute('autoplay') && element.getAttribute('autoplay') !== 'false';
  // A URL, resolved against the page; fetched and checked when the element starts.
  const checkpoint = element.getAttribute('checkpoint') || null;
  // A URL of an IDX images file (raw or gzip) to train on instead of MNIST.
  const data = element.getAttribute('data') || null;
  if (data && toy) errors.push(`data "${data}": the toy preset draws its own 1-D data`);
  // A URL of an IDX labels file for the data's images (a class-conditional model needs them).
  const labels = element.getAttribute('labels') || null;
  if (labels && !data) errors.push(`labels "${labels}" label the images of a data attribute, and there is none (MNIST brings its own)`);
  return { settings, autoplay, steps, speed, threads, views, size, width, checkpoint, data, labels, evaluate, label, errors };
}
