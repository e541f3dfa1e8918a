// <gan-trainer>: a GAN training live inside any page, from one script tag.
//
//   <script type="module" src="https://your.host/wasm-gan/gan-trainer.js"></script>
//   <gan-trainer preset="toy" autoplay steps="3000"></gan-trainer>
//   <gan-trainer preset="small" views="samples,interpolation,curves" size="6"></gan-trainer>
//
// Each element runs its own training worker (started from this file's URL,
// so it works from a CDN) and needs no special server headers. Removing the
// element ends its worker. Attributes are listed in docs/web.md; a bad one is
// explained inside the element instead of training. The training settings'
// attributes and their ranges come from the core's description, which the
// worker sends once it is up: the attributes are checked then.

import { DataFitError, TrainerSession } from './app/session.js';
import { SamplesView } from './app/samples-view.js';
import { NeighboursView } from './app/neighbours-view.js';
import { CurvesView } from './app/curves-view.js';
import { Figure1View } from './app/figure1-view.js';
import { ReadoutView, setText } from './app/readout-view.js';
import { checkLabel, readAttributes, readThreads } from './app/element-attributes.js';
import { ClassPicker } from './app/class-picker.js';
import { classNames } from './runtime/classes.js';
import { ELEMENT_CSS } from './app/element-styles.js';
import { formatRate } from './app/curves.js';
import { fetchBytes } from './app/files.js';
import { EvaluateView } from './app/evaluate-view.js';
import { fetchData } from './app/custom-data.js';

const ASSET_BASE = new URL('./', import.meta.url);

const VIEW_MARKUP = {
  samples: `<figure data-view="samples"><canvas class="pixelated grid" tabindex="0" role="img"
    aria-label="Generated samples from fixed noise; click one to make it an interpolation endpoint"></canvas>
    <figcaption>Samples from fixed z</figcaption></figure>`,
  interpolation: `<figure data-view="interpolation"><canvas class="pixelated linear" role="img" aria-label="Linear interpolation in z"></canvas>
    <canvas class="pixelated spherical" role="img" aria-label="Spherical interpolation in z" style="margin-top:4px"></canvas>
    <figcaption>Interpolation in z: linear (top), spherical (bottom)</figcaption></figure>`,
  neighbours: `<figure data-view="neighbours"><canvas class="pixelated neighbours" role="img"
    aria-label="Samples above their nearest training images"></canvas>
    <figcaption>Samples above their nearest training images</figcaption></figure>`,
  figure1: `<figure data-view="figure1" class="wide"><canvas class="chart figure1" role="img"
    aria-label="Data density, generator density and discriminator output along x, with arrows x = G(z)"></canvas>
    <figcaption>p<sub>data</sub> (black, dotted), p<sub>g</sub> (green), D(x) (blue, dashed), x = G(z) (arrows)</figcaption></figure>`,
  evaluate: `<figure data-view="evaluate" class="wide"><div class="evaluate"></div></figure>`,
  curves: `<figure data-view="curves" class="wide"><canvas class="chart curves" role="img"
    aria-label="Losses, and D(x) and D(G(z)) with the one-half line, over training steps"></canvas></figure>`,
};

// Attributes every HTML element has (the element sets `style` itself, from `width`).
const GLOBAL_ATTRIBUTES = new Set(['style', 'class', 'id', 'title', 'hidden', 'slot', 'lang', 'dir', 'tabindex', 'part']);
const isGlobalAttribute = (name) => GLOBAL_ATTRIBUTES.has(name) || name.startsWith('aria-') || name.startsWith('data-');

export class GanTrainerElement extends HTMLElement {
  constructor() {
    super();
    this.attachShadow({ mode: 'open' });
    this.session = null;
    this.options = null;
    // Every problem this element met (its worker's errors and failures
    // included), as text: for tests, and engines whose automation cannot see
    // inside workers. Bad attributes are listed in the element, not here.
    this.errors = [];
    this.restartQueued = false;
    // Every attribute but HTML's global ones is watched, not a fixed list
    // (observedAttributes): the training settings' names come from the core,
    // known only once a worker runs.
    this.observer = new MutationObserver((records) => {
      if (records.some((record) => !isGlobalAttribute(record.attributeName) &&
        record.oldValue !== this.getAttribute(record.attributeName))) this.#queueRestart();
    });
  }

  connectedCallback() {
    this.observer.observe(this, { attributes: true, attributeOldValue: true });
    this.#restart();
  }

  disconnectedCallback() {
    this.observer.disconnect();
    this.#stop();
  }

  // Several attributes set in a row restart once.
  #queueRestart() {
    if (this.restartQueued || !this.isConnected) return;
    this.restartQueued = true;
    queueMicrotask(() => {
      this.restartQueued = false;
      if (this.isConnected) this.#restart();
    });
  }

  /** The current training step (0 before training). */
  get step() {
    return this.session?.currentStep ?? 0;
  }

  get running() {
    return !!this.session?.running;
  }

  play() { return this.session?.start(); }
  pause() { return this.session?.pause(); }
  reset() { return this.session?.reset(); }
  /** With views including `evaluate`: the Parzen estimate of the model now (the view's result, or null). */
  evaluate() { return this.evaluation?.run() ?? Promise.resolve(null); }

  #stop() {
    this.session?.close();
    this.session = null;
    this.evaluation = null;
  }

  #restart() {
    this.#stop();
    this.options = null;
    this.shadowRoot.innerHTML = `<style>${ELEMENT_CSS}</style>
      <div class="bar"><span class="mode">starting…</span></div>
      <p class="problem" role="alert" hidden></p>`;
    const session = new TrainerSession({ threads: readThreads(this).value ?? 'auto', assetBase: ASSET_BASE });
    this.session = session;
    this.#run(session).catch((error) => {
      if (this.session === session) this.#problem(`Could not start training: ${error.message}`);
    });
  }

  #showErrors(errors) {
    this.shadowRoot.innerHTML = `<style>${ELEMENT_CSS}</style>
      <p class="problem" role="alert"><strong>&lt;gan-trainer&gt; cannot start:</strong></p>`;
    const list = document.createElement('ul');
    for (const error of errors) list.append(Object.assign(document.createElement('li'), { textContent: error }));
    this.shadowRoot.querySelector('.problem').append(list);
  }

  #build(options) {
    this.shadowRoot.innerHTML = `<style>${ELEMENT_CSS}</style>
      <div class="bar" role="group" aria-label="GAN training">
        <button type="button" class="play primary" disabled>Train</button>
        <button type="button" class="reset" disabled>Reset</button>
        <span class="status" aria-live="off">step 0</span>
        <span class="origin"></span>
        <span class="mode">starting…</span>
      </div>
      <div class="progress" hidden><progress max="1" value="0"></progress><span></span></div>
      <p class="problem" role="alert" hidden></p>
      <p class="note" role="note" hidden></p>
      <div class="class-picker" hidden></div>
      <div class="views">${options.views.map((name) => VIEW_MARKUP[name]).join('')}</div>`;
  }

  #part(selector) {
    return this.shadowRoot.querySelector(selector);
  }

  async #run(session) {
    const mode = await session.open();
    if (this.session !== session) return;
    const options = readAttributes(this, mode.description);
    this.options = options;
    this.style.width = options.width ? `${options.width}px` : '';
    if (options.errors.length) {
      this.#stop();
      this.#showErrors(options.errors);
      return;
    }
    if ((options.settings.preset !== 'toy' || options.checkpoint) && !options.data) session.prefetchData();
    // Their own images, instead of MNIST: an IDX file, checked before the model is built.
    const maxDim = mode.description.keys.find((entry) => entry.key === 'data_dim')?.max ?? Infinity;
    const dataFetch = options.data
      ? fetchData(new URL(options.data, document.baseURI), { maxDim, labels: options.labels && new URL(options.labels, document.baseURI) })
        .then((data) => ({ data }), (error) => ({ error }))
      : null;
    // A trained start: fetched while the views are built, loaded before the first frame.
    const checkpointFetch = options.checkpoint
      ? fetchBytes(new URL(options.checkpoint, document.baseURI)).then((bytes) => ({ bytes }), (error) => ({ error }))
      : null;
    this.#build(options);
    const has = (name) => options.views.includes(name);
    const views = {};
    if (has('samples') || has('interpolation') || has('neighbours')) {
      // The strips and the neighbour view draw from the grid's snapshot even when the grid is hidden.
      const grid = this.#part('canvas.grid') ?? document.createElement('canvas');
      views.samples = new SamplesView({
        grid, linear: this.#part('canvas.linear'), spherical: this.#part('canvas.spherical'),
        columns: options.size, rows: options.size, showStrips: has('interpolation'),
      });
      // A conditional model's grid: all of the `label` attribute's class (else one row per class).
      views.samples.pickedClass = options.label;
    }
    if (has('neighbours')) views.neighbours = new NeighboursView({ canvas: this.#part('canvas.neighbours'), count: Math.min(8, options.size * options.size) });
    if (has('curves')) views.curves = new CurvesView({ canvas: this.#part('canvas.curves'), height: 180 });
    if (has('figure1')) views.figure1 = new Figure1View({ canvas: this.#part('canvas.figure1'), height: 240 });
    const evaluation = has('evaluate') ? new EvaluateView({ container: this.#part('div.evaluate'), session, protocol: options.evaluate }) : null;
    this.evaluation = evaluation;
    const status = this.#part('.status');
    // The status line is written in the frame loop's frames, with the canvases.
    views.readout = new ReadoutView((stats) => {
      const rate = session.running && stats.steps_per_s > 0 ? ` · ${formatRate(stats.steps_per_s)} steps/s` : '';
      const k = Number(session.config?.adaptive_k) === 1 && Number.isFinite(stats.d_steps) ? ` · k ${stats.d_steps}` : '';
      setText(status, `step ${stats.step}${k}${rate}`);
    });

    session.setViews(views);
    session.runLength = options.steps;
    session.pace = options.speed;
    const play = this.#part('button.play');
    const reset = this.#part('button.reset');
    const update = () => {
      if (this.session !== session) return;
      play.textContent = session.running ? 'Pause' : 'Train';
      play.disabled = reset.disabled = !session.config;
      if (evaluation && !evaluation.running) evaluation.part('run').disabled = !session.config;
    };
    play.addEventListener('click', () => (session.running ? session.pause() : session.start()).catch((e) => this.#problem(e.message)));
    reset.addEventListener('click', () => session.reset().then(update).catch((e) => this.#problem(e.message)));
    if (views.samples) views.samples.onChange = () => session.loop.invalidate();

    this.#part('.mode').textContent = `${mode.simd ? 'SIMD' : 'scalar'} · ${mode.threads} thread${mode.threads === 1 ? '' : 's'}`;
    this.#part('.mode').title = mode.threadsNote ?? '';
    session.addEventListener('progress', ({ detail: { fraction, text } }) => {
      const box = this.#part('.progress');
      box.hidden = fraction >= 1;
      box.querySelector('progress').value = fraction;
      box.querySelector('span').textContent = text;
    });
    session.addEventListener('stats', ({ detail: { stats } }) => {
      this.dispatchEvent(new CustomEvent('gan-stats', { detail: stats }));
    });
    session.addEventListener('state', update);
    // A conditional model: a class picker above the grid, and a note when the data had no labels for it.
    const picker = has('samples') ? new ClassPicker(this.#part('.class-picker'), {
      label: 'Show one class',
      onPick: (index) => views.samples.pickClass(index).catch((e) => this.#problem(e.message)),
    }) : null;
    session.addEventListener('configured', ({ detail }) => {
      status.textContent = `step ${detail.step ?? 0}`;
      const samples = views.samples;
      picker?.show(samples?.classes ? classNames(samples.classes, session.dataKind) : null, samples?.pickedClass ?? null);
      const note = this.#part('.note');
      note.hidden = !detail.note;
      note.textContent = detail.note ?? '';
      update();
    });
    session.addEventListener('problem', ({ detail }) => { if (this.session === session) this.#problem(detail.message); });

    const fetched = checkpointFetch && await checkpointFetch;
    const fetchedData = dataFetch && await dataFetch;
    if (this.session !== session) return;
    session.customData = fetchedData?.data ?? null;
    let result;
    try {
      result = await session.apply(options.settings, { checkpoint: fetched?.bytes });
    } catch (error) {
      if (!(error instanceof DataFitError)) throw error;
      // A preset of other images than the element's (paper-cifar-conv on MNIST): say so, with the core's reason.
      const where = error.wanted === '3 x 32 x 32' ? ' Give it a data attribute naming one of CIFAR-10\'s binary files (data_batch_1.bin).'
        : error.wanted ? ` Give it a data attribute naming ${error.wanted} images.` : '';
      if (this.session === session) this.#problem(`Cannot train: ${error.message}.${where}`);
      return;
    }
    if (this.session !== session) return;
    const labelProblem = options.label === null ? null : checkLabel(options.label, session.config, session.note);
    if (labelProblem) {
      this.#stop();
      this.#showErrors([labelProblem]);
      return;
    }
    update();
    const problem = fetched?.error ?? result.checkpointError;
    const problems = [];
    if (fetchedData?.error) problems.push(`Could not use the data ${options.data}: ${fetchedData.error.message}. Training on MNIST instead.`);
    if (problem) problems.push(`Could not load the checkpoint ${options.checkpoint}: ${problem.message}. Training from fresh weights instead.`);
    if (problems.length) this.#problem(problems.join(' '));
    const origin = this.#part('.origin');
    origin.textContent = [result.loaded ? `checkpoint: ${result.config.preset ?? 'preset not recorded'}` : '',
      session.customData ? `data: ${session.customData.name}` : ''].filter(Boolean).join(' · ');
    origin.title = result.loaded ? `Opened ${options.checkpoint} at step ${result.step}` : '';
    reset.addEventListener('click', () => { origin.textContent = session.customData ? `data: ${session.customData.name}` : ''; origin.title = ''; });
    this.dispatchEvent(new CustomEvent('gan-ready', {
      detail: { config: session.config, checkpoint: result.loaded ? { url: options.checkpoint, step: result.step, preset: result.config.preset } : null },
    }));
    if (options.autoplay) await session.start();
  }

  #problem(message) {
    this.errors.push(message);
    const box = this.#part('.problem');
    if (!box) return;
    box.hidden = false;
    box.textContent = message;
  }
}

if (!customElements.get('gan-trainer')) customElements.define('gan-trainer', GanTrainerElement);
