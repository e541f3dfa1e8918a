// The page (index.html): wires the controls to a TrainerSession and keeps the
// URL in step with the settings. Training happens in the worker, drawing in
// the views; this file only connects them. The settings form and the URL's
// checks come from the core's description, which the worker sends once it
// is up; until then the form is empty and the controls are disabled.

import { TrainerSession } from './session.js';
import { SamplesView } from './samples-view.js';
import { NeighboursView } from './neighbours-view.js';
import { CurvesView } from './curves-view.js';
import { Figure1View } from './figure1-view.js';
import { ReadoutView, setText } from './readout-view.js';
import { EvaluateView, PAPER_PROTOCOL } from './evaluate-view.js';
import { SettingsForm } from './settings-form.js';
import { DEFAULT_PRESET, checkInteger, checkSpeed, checkThreads, defaultSpeed, readSettings, settingsOfConfig, settingsToQuery } from './settings.js';
import { formatRate } from './curves.js';
import { download, fetchBytes, readFileBytes } from './files.js';
import { DataError, fetchData, readDataFiles } from './custom-data.js';
import { DataFitError } from './session.js';
import { ClassPicker } from './class-picker.js';
import { classNames } from '../runtime/classes.js';

const $ = (id) => document.getElementById(id);
const buttons = ['start', 'pause', 'step', 'reset', 'save', 'export', 'new-endpoints'].map($);

const query = new URLSearchParams(location.search);
// ?threads=N or auto: how many threads the core may use (only with COOP/COEP; read once, at start).
const threadsChoice = query.has('threads') ? checkThreads(query.get('threads')) : { value: 'auto' };
// ?checkpoint=URL: a trained start (a tutorial opening on good digits), fetched while the wasm
// loads and loaded before the first frame. It stays in the URL, so a reload opens on it again.
const checkpointUrl = query.get('checkpoint') || null;

const samples = new SamplesView({ grid: $('grid'), linear: $('linear'), spherical: $('spherical') });
// The numbers above the settings, written in the frame loop's frames.
const readout = new ReadoutView((stats) => {
  setText($('step-count'), String(stats.step));
  setText($('epoch'), Number(stats.epoch).toFixed(2));
  setText($('rate'), session.running && stats.steps_per_s > 0 ? formatRate(stats.steps_per_s) : '–');
  setText($('d-real'), Number.isFinite(stats.d_real) ? stats.d_real.toFixed(3) : '–');
  setText($('d-fake'), Number.isFinite(stats.d_fake) ? stats.d_fake.toFixed(3) : '–');
  setText($('d-steps'), Number.isFinite(stats.d_steps) ? String(stats.d_steps) : '–');
  setText($('d-accuracy'), Number.isFinite(stats.d_accuracy) ? stats.d_accuracy.toFixed(3) : '–');
});
const session = new TrainerSession({
  threads: threadsChoice.value ?? 'auto',
  views: {
    samples,
    neighbours: new NeighboursView({ canvas: $('neighbours') }),
    curves: new CurvesView({ canvas: $('curves') }),
    figure1: new Figure1View({ canvas: $('figure1') }),
    readout,
  },
});
// ?evaluate_samples=N&evaluate_test=N: fewer than the paper's 10,000 samples and test images, for a quick figure.
const early = [];
const protocol = { ...PAPER_PROTOCOL };
for (const [name, key] of [['evaluate_samples', 'samples'], ['evaluate_test', 'test']]) {
  if (!query.has(name)) continue;
  const { value, error } = checkInteger(name, query.get(name), 1, PAPER_PROTOCOL[key]);
  if (error) early.push(error);
  else protocol[key] = value;
}
const evaluation = new EvaluateView({ container: $('evaluate'), session, protocol });
const form = new SettingsForm($('settings'));
let working = false; // an apply, reset or load is in progress
let queuedSettings = null; // settings changed while it was: applied once it is done (before any training)
let chosenSpeed = null; // steps/s picked by the user (or the URL); null: the preset's default

// What went wrong in the page and in its workers, as text, for tests and the
// console: some engines' automation cannot see it (WebKit's WebDriver shows
// no console output, from workers or the page). The training worker's error
// events and failures arrive as the session's 'problem's; a checkpoint the
// core refuses, or a bad setting, is the user's error, said in the message
// line and not listed here.
const errors = [];
const record = (source, message) => errors.push(`${source}: ${message}`);
addEventListener('error', (event) => record('exception', event.message || String(event.error)));
addEventListener('unhandledrejection', (event) => record('unhandled rejection', event.reason?.message ?? String(event.reason)));

// For tests and the console: the session (and its views) and the errors.
globalThis.wasmGan = { session, evaluation, errors };

function say(text, { error = false } = {}) {
  const message = $('message');
  message.textContent = text;
  message.classList.toggle('error', error);
}

function updateButtons() {
  const ready = !!session.config && !working;
  $('start').disabled = !ready || session.running;
  $('pause').disabled = !ready || !session.running;
  $('step').disabled = !ready || session.running;
  $('reset').disabled = !ready;
  $('save').disabled = !ready;
  $('export').disabled = !ready;
  $('new-endpoints').disabled = !ready || session.isToy;
  if (!evaluation.running) evaluation.part('run').disabled = !ready || session.isToy;
  $('load-file').disabled = !ready;
  $('data-choice').disabled = $('data-files').disabled = !ready;
  $('data-label').classList.toggle('disabled', !ready);
  $('load-label').classList.toggle('disabled', !ready);
  const pending = form.pending;
  $('pending').hidden = !pending;
  $('reset').classList.toggle('attention', pending);
  $('reset').textContent = pending ? 'Reset & apply' : 'Reset';
}

/** Runs an action that replaces or rebuilds the model, with the controls locked. */
async function exclusive(action) {
  if (working) return;
  working = true;
  updateButtons();
  try {
    await action();
  } catch (error) {
    say(error instanceof DataFitError ? `Not applied: ${error.message}.${dataHint(error)} Training carries on unchanged.` : error.message,
      { error: true });
  } finally {
    working = false;
    updateButtons();
    const next = queuedSettings;
    queuedSettings = null;
    if (next && session.currentStep === 0 && !session.running) exclusive(() => applySettings(next));
  }
}

/**
 * Builds the model of `settings`, or opens a fetched checkpoint ({bytes} or {error}) in its place.
 * Says what happened, and returns that message ({text, error}).
 */
async function applySettings(settings, checkpoint = null) {
  const result = await session.apply(settings, { checkpoint: checkpoint?.bytes });
  settings = result.settings; // a conditional model of data without labels trains unconditionally (session.note says so)
  if (result.loaded) {
    await showLoaded(result.config);
    const preset = result.config.preset ?? '(preset not recorded)';
    return tell(`Opened the checkpoint ${checkpointUrl}: ${preset}, step ${result.step}. ` +
      'Press Start to train on, click samples to interpolate, or Reset for fresh weights.');
  }
  await applySpeed(settings.preset);
  form.showApplied(settings, session.config);
  writeUrl(settings);
  const problem = checkpoint?.error ?? result.checkpointError;
  if (problem) {
    return tell(`Could not load the checkpoint ${checkpointUrl}: ${problem.message}. ` +
      `The ${settings.preset} preset starts from fresh weights instead.`, { error: true });
  }
  return tell(`Ready: ${settings.preset} preset, seed ${session.config.seed}. Press Start.`);
}

/** Where images of a preset's shape come from, for a DataFitError's message. */
function dataHint(error) {
  if (!error.wanted) return '';
  return error.wanted === '3 x 32 x 32'
    ? ' Choose CIFAR-10\'s binary files (data_batch_1.bin … data_batch_5.bin) under Data first.'
    : ` Choose ${error.wanted} images under Data first.`;
}

function tell(text, { error = false } = {}) {
  say(text, { error });
  return { text, error };
}

/** The form, the speed and the URL now describe a loaded model (its preset included). */
async function showLoaded(config) {
  const loaded = settingsOfConfig(config, session.description);
  session.settings = loaded;
  form.showApplied(loaded, config);
  await applySpeed(loaded.preset);
  writeUrl(loaded);
}

function writeUrl(settings) {
  const params = new URLSearchParams(settingsToQuery(settings));
  if (query.has('threads') && threadsChoice.value) params.set('threads', String(threadsChoice.value));
  if (checkpointUrl) params.set('checkpoint', checkpointUrl);
  for (const name of ['evaluate_samples', 'evaluate_test']) if (query.has(name)) params.set(name, query.get(name));
  if (chosenSpeed !== null && chosenSpeed !== defaultSpeed(settings.preset)) params.set('speed', chosenSpeed === 0 ? 'max' : String(chosenSpeed));
  const text = params.toString();
  const url = `${location.pathname}${text ? `?${text}` : ''}${location.hash}`;
  if (url !== `${location.pathname}${location.search}${location.hash}`) history.replaceState(null, '', url);
}

async function applySpeed(preset) {
  const speed = chosenSpeed ?? defaultSpeed(preset);
  const select = $('speed');
  if (![...select.options].some((option) => Number(option.value) === speed)) {
    select.add(new Option(`${speed.toLocaleString('en')} steps/s`, String(speed)));
  }
  select.value = String(speed);
  await session.setPace(speed);
}

// --- session events -----------------------------------------------------------
session.addEventListener('mode', ({ detail: { simd, threads, threadsNote } }) => {
  // The runtime says why threads are off (loading.js tries what the engine
  // can do); one thread with no note is what was asked for.
  const reason = threadsNote ?? (threads > 1 ? null
    : threadsChoice.value === 1 ? 'one thread asked for (threads=1 in the URL)' : 'this machine has one core');
  // The badge keeps the reason short ("not cross-origin isolated"); the tooltip has all of it.
  const short = reason && threads === 1 ? ` (${reason.split(/ \(|: /)[0]})` : '';
  $('mode').textContent = `WebAssembly ${simd ? 'SIMD' : 'scalar'} · ${threads} thread${threads === 1 ? '' : 's'}${short}`;
  $('mode').title = reason ?? '';
});

session.addEventListener('progress', ({ detail: { fraction, text } }) => {
  $('loading').hidden = fraction >= 1;
  $('loading-progress').value = fraction;
  $('loading-text').textContent = text;
});

session.addEventListener('state', () => {
  if (!session.running) $('rate').textContent = '–';
  updateButtons();
});

session.addEventListener('configured', ({ detail: { config, step = 0, loaded } }) => {
  const toy = Number(config.data_dim) === 1;
  for (const panel of document.querySelectorAll('[data-view]')) panel.hidden = panel.dataset.view !== (toy ? 'toy' : 'mnist');
  // The neighbour search and the Parzen estimate know MNIST only.
  $('neighbours-panel').hidden = toy || !!session.customData;
  $('evaluate-panel').hidden = toy || !!session.customData;
  $('step-count').textContent = String(step);
  if (!loaded) for (const id of ['epoch', 'rate', 'd-real', 'd-fake']) $(id).textContent = id === 'epoch' ? '0' : '–';
  updateButtons();
});

// --- class-conditional models: the class picker, and what the strips interpolate --
const classPicker = new ClassPicker($('class-picker'), {
  label: 'Show one class',
  onPick: (index) => samples.pickClass(index).then(showInterpolationControls).catch((e) => say(e.message, { error: true })),
});

/** What the classes are called: digits for MNIST, CIFAR-10's and Fashion-MNIST's names, else their numbers. */
const currentClassNames = () => classNames(samples.classes, session.dataKind);

function showInterpolationControls() {
  const conditional = samples.classes > 0;
  const names = conditional ? currentClassNames() : [];
  $('samples-hint').textContent = !conditional
    ? 'The same 64 noise vectors every frame, so each cell shows one "digit" as G learns.'
    : samples.byClass ? `One row per class (${names[0]} at the top), the same ${samples.columns} noise vectors in every row: each column is one z.`
      : `All of class ${names[samples.pickedClass]}, from the same ${samples.count} noise vectors every frame.`;
  $('interpolation-mode').hidden = !conditional;
  const between = conditional && samples.interpolation === 'between';
  const { from, to } = samples.classPair;
  if (conditional) {
    for (const [id, value] of [['class-from', from], ['class-to', to]]) {
      const select = $(id);
      if (select.options.length !== names.length || [...select.options].some((option, i) => option.text !== names[i])) {
        select.replaceChildren(...names.map((name, i) => new Option(name, String(i))));
      }
      select.value = String(value);
    }
    for (const radio of document.querySelectorAll('input[name="interpolation"]')) radio.checked = radio.value === samples.interpolation;
  }
  $('class-to-field').hidden = !between;
  $('class-from-label').textContent = between ? 'from class' : 'class';
  $('linear-title').textContent = !conditional ? 'Linear'
    : between ? `Class ${names[from]} → ${names[to]} at A's z` : `Linear, class ${names[from]}`;
  $('spherical-title').textContent = !conditional ? 'Spherical (slerp)'
    : between ? `Class ${names[from]} → ${names[to]} at B's z` : `Spherical (slerp), class ${names[from]}`;
}

for (const radio of document.querySelectorAll('input[name="interpolation"]')) {
  radio.addEventListener('change', () => {
    if (radio.checked) samples.setInterpolation(radio.value).then(showInterpolationControls).catch((e) => say(e.message, { error: true }));
  });
}
for (const id of ['class-from', 'class-to']) {
  $(id).addEventListener('change', () => samples.setClassPair({ from: Number($('class-from').value), to: Number($('class-to').value) })
    .then(showInterpolationControls).catch((e) => say(e.message, { error: true })));
}

session.addEventListener('configured', ({ detail: { note } }) => {
  classPicker.show(samples.classes ? currentClassNames() : null, samples.pickedClass);
  showInterpolationControls();
  $('note').hidden = !note;
  $('note').textContent = note ?? '';
});

session.addEventListener('problem', ({ detail: { message, code } }) => {
  record(code ? `worker ${code}` : 'worker', message);
  say(code === 'GAN_ERR_NON_FINITE' ? `${message}. Try a smaller learning rate, then Reset.` : message, { error: true });
});

// --- controls -------------------------------------------------------------------
$('start').addEventListener('click', () => session.start().then(() => say('Training…')).catch((e) => say(e.message, { error: true })));
$('pause').addEventListener('click', () => session.pause().then(() => say('Paused.')).catch((e) => say(e.message, { error: true })));
$('step').addEventListener('click', () => session.step(1).catch((e) => say(e.message, { error: true })));
$('reset').addEventListener('click', () => exclusive(async () => {
  const { settings, errors } = form.read();
  if (errors.length) throw new Error(`Not applied: ${errors.join('; ')}.`);
  if (form.pending) await applySettings(settings);
  else {
    await session.reset();
    say('Reset: fresh weights, step 0.');
  }
}));

$('settings').addEventListener('change', (event) => {
  if (!event.target.name) return;
  form.touch(event.target.name);
  const { settings, errors } = form.read();
  if (errors.length) { say(`${errors.join('; ')}.`, { error: true }); updateButtons(); return; }
  writeUrl(settings);
  // Before any training, a change costs nothing: apply it at once, or as soon as the model
  // being built is ready (whose values the form then shows for a moment).
  if (working) queuedSettings = settings;
  else if (session.currentStep === 0 && !session.running) exclusive(() => applySettings(settings));
  else updateButtons();
});

$('speed').addEventListener('change', () => {
  chosenSpeed = Number($('speed').value);
  if (form.applied) writeUrl(form.read().settings);
  session.setPace(chosenSpeed).catch((e) => say(e.message, { error: true }));
});

$('save').addEventListener('click', async () => {
  try {
    const bytes = await session.save();
    const step = session.currentStep;
    download(new Blob([bytes], { type: 'application/octet-stream' }), `wasm-gan-${session.settings.preset}-step${step}.safetensors`);
    say(`Saved a checkpoint at step ${step} (${(bytes.length / 1e6).toFixed(1)} MB).`);
  } catch (error) {
    say(`Could not save: ${error.message}`, { error: true });
  }
});

$('load-file').addEventListener('change', (event) => {
  const file = event.target.files[0];
  event.target.value = ''; // choosing the same file again fires change again
  if (!file) return;
  exclusive(async () => {
    try {
      const { step, config } = await session.load(await readFileBytes(file));
      $('step-count').textContent = String(step);
      await showLoaded(config);
      say(`Loaded ${file.name}: step ${step}.`);
    } catch (error) {
      say(`Could not load ${file.name}: ${error.message}. Training carries on unchanged.`, { error: true });
    }
  });
});

// --- their own data ------------------------------------------------------------
// Files are read and checked first; only data that passes replaces the model (a fresh one of
// the current settings, sized to the images). A refusal leaves the training as it was.
const extraData = new Map(); // value of the data select -> {images, labels}: URLs of IDX files (Fashion-MNIST, when built)

function trainOn(read) {
  return exclusive(async () => {
    if (session.isToy) {
      say('The toy preset draws its own 1-D data: choose the small or paper preset first.', { error: true });
      return;
    }
    let data = null;
    try {
      data = await read({ maxDim: session.description.keys.find((entry) => entry.key === 'data_dim')?.max ?? Infinity });
    } catch (error) {
      if (!(error instanceof DataError)) throw error;
      say(`Not used: ${error.message}. Training carries on unchanged.`, { error: true });
      showDataChoice();
      return;
    }
    const previous = session.customData;
    session.customData = data;
    try {
      await applySettings(session.settings);
    } catch (error) {
      session.customData = previous;
      if (!(error instanceof DataFitError)) throw error;
      say(`Not used: ${error.message}. Training carries on unchanged.`, { error: true });
      return;
    } finally {
      showDataChoice();
    }
    const colour = data?.channels === 3 ? ' in colour' : '';
    say(data
      ? `Training data: ${data.name}, ${data.count.toLocaleString('en')} images of ${data.cols}x${data.rows}${colour}; a fresh ${session.settings.preset} model. Press Start.`
      : `Training data: MNIST; a fresh ${session.settings.preset} model. Press Start.`);
  });
}

function showDataChoice() {
  const select = $('data-choice');
  select.querySelector('option[value="custom"]')?.remove();
  const custom = session.customData;
  if (custom && !custom.choice) select.add(new Option(custom.name, 'custom'));
  select.value = custom ? custom.choice ?? 'custom' : 'mnist';
}

$('data-files').addEventListener('change', (event) => {
  const files = [...event.target.files];
  event.target.value = '';
  if (files.length) trainOn((options) => readDataFiles(files, options));
});

$('data-choice').addEventListener('change', () => {
  const choice = $('data-choice').value;
  if (choice === 'custom') return;
  if (choice === 'mnist') trainOn(async () => null);
  else {
    const { images, labels } = extraData.get(choice);
    trainOn(async (options) => Object.assign(await fetchData(images, { ...options, labels }),
      { name: $('data-choice').selectedOptions[0].text, choice, format: choice }));
  }
});

document.addEventListener('dragover', (event) => {
  if (event.dataTransfer?.types.includes('Files')) event.preventDefault();
});
document.addEventListener('drop', (event) => {
  const files = [...(event.dataTransfer?.files ?? [])];
  if (!files.length) return;
  event.preventDefault();
  if (working || !session.config) return;
  trainOn((options) => readDataFiles(files, options));
});

$('export').addEventListener('click', async () => {
  try {
    const step = session.currentStep;
    const blob = session.isToy
      ? await new Promise((resolve) => $('figure1').toBlob(resolve, 'image/png'))
      : await samples.exportPng();
    download(blob, `wasm-gan-${session.isToy ? 'figure1' : 'samples'}-step${step}.png`);
  } catch (error) {
    say(`Could not export: ${error.message}`, { error: true });
  }
});

$('new-endpoints').addEventListener('click', () => samples.randomEndpoints().then(() => session.loop.invalidate()).catch((e) => say(e.message, { error: true })));
samples.onChange = () => { session.loop.invalidate(); showInterpolationControls(); };

// Space: start/pause, S: step, R: reset; not while typing, and not on buttons
// (where Space presses the button itself).
document.addEventListener('keydown', (event) => {
  if (event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (target.closest?.('input, select, textarea, button, [contenteditable], canvas, summary')) return;
  const key = event.key.toLowerCase();
  const click = (id) => { if (!$(id).disabled) $(id).click(); };
  if (key === ' ') { event.preventDefault(); click(session.running ? 'pause' : 'start'); }
  else if (key === 's') click('step');
  else if (key === 'r') click('reset');
});

// --- start ------------------------------------------------------------------------
// Threads and speed are the page's own settings: checked now (the worker
// starts with the thread count); the training settings once the worker has
// described the core.
if (threadsChoice.error) early.push(threadsChoice.error);
if (query.has('speed')) {
  const { value, error } = checkSpeed(query.get('speed'));
  if (error) early.push(error);
  else chosenSpeed = value;
}
updateButtons();
if (query.get('preset') !== 'toy' || checkpointUrl) session.prefetchData(); // MNIST downloads while the wasm compiles
const checkpointFetch = checkpointUrl
  ? fetchBytes(new URL(checkpointUrl, location.href)).then((bytes) => ({ bytes }), (error) => ({ error }))
  : null;
exclusive(async () => {
  let description;
  try {
    ({ description } = await session.open());
  } catch (error) {
    $('mode').textContent = 'Worker failed to start';
    record('worker', `could not start: ${error.message}`);
    throw new Error(`The training worker could not start: ${error.message}`);
  }
  form.build(description);
  // Other data sets the build prepared (web/data/mnist.json's `extra`: Fashion-MNIST when the machine has it).
  try {
    const manifest = await (await fetch(new URL('data/mnist.json', session.assetBase))).json();
    const names = { 'fashion-mnist': 'Fashion-MNIST' };
    for (const [key, entry] of Object.entries(manifest.extra ?? {})) {
      const url = new URL(`data/${entry.trainImages}`, session.assetBase);
      // Offered only when served (the npm package leaves Fashion-MNIST out).
      if (!(await fetch(url, { method: 'HEAD' })).ok) continue;
      extraData.set(key, { images: url, labels: entry.trainLabels ? new URL(`data/${entry.trainLabels}`, session.assetBase) : null });
      $('data-choice').add(new Option(names[key] ?? key, key));
    }
  } catch { /* MNIST alone */ }
  const initial = readSettings(query, description);
  form.showApplied(initial.settings, null);
  let outcome;
  try {
    outcome = await applySettings(initial.settings, checkpointFetch && await checkpointFetch);
  } catch (error) {
    // A preset of other images than the page's (paper-cifar-conv on MNIST), or settings the
    // core refuses (its reason in the message): the default preset trains instead, with the
    // URL's settings if the core takes them there.
    if (!(error instanceof DataFitError) && error.code !== 'GAN_ERR_INVALID_ARGUMENT') throw error;
    let fallback = { preset: DEFAULT_PRESET, overrides: { ...initial.settings.overrides } };
    try {
      await applySettings(fallback);
    } catch {
      fallback = { preset: DEFAULT_PRESET, overrides: {} };
      await applySettings(fallback);
    }
    outcome = tell(`Not applied: ${error.message}.${dataHint(error)} The ${DEFAULT_PRESET} preset trains instead.`, { error: true });
  }
  const errors = [...early, ...initial.errors];
  if (errors.length) say(`${outcome.error ? `${outcome.text} ` : ''}Ignored from the URL: ${errors.join('; ')}.`, { error: true });
});
