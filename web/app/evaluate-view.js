// The "Evaluate" panel, the page's and the element's: runs the paper's
// Parzen-window estimate of the current model (session.evaluate, in a
// worker of its own, so training and drawing go on) and shows the figure,
// its standard error and sigma beside the paper's Table 1.

// Goodfellow et al. (2014), Table 1: Parzen window log-likelihood estimates for MNIST (nats).
export const PAPER_TABLE_1 = [
  { model: 'DBN', mean: 138, stdError: 2 },
  { model: 'Stacked CAE', mean: 121, stdError: 1.6 },
  { model: 'Deep GSN', mean: 214, stdError: 1.1 },
  { model: 'Adversarial nets', mean: 225, stdError: 2 },
];

export const PAPER_PROTOCOL = { samples: 10000, validation: 1000, test: 10000 };

const MARKUP = `<div class="evaluate-bar">
    <button type="button" class="evaluate-run">Evaluate</button>
    <progress class="evaluate-progress" max="1" value="0" hidden></progress>
    <span class="evaluate-status" role="status" aria-live="polite"></span>
  </div>
  <table class="evaluate-table">
    <caption>Parzen window log-likelihood of MNIST's test set, nats (the paper's Table 1)</caption>
    <thead><tr><th scope="col">model</th><th scope="col">log-likelihood</th></tr></thead>
    <tbody>${PAPER_TABLE_1.map(({ model, mean, stdError }) =>
    `<tr><td>${model}</td><td>${mean} ± ${stdError}</td></tr>`).join('')}
      <tr class="this-model"><td>this model</td><td class="evaluate-figure">–</td></tr>
    </tbody>
  </table>
  <p class="evaluate-detail"></p>`;

export class EvaluateView {
  /**
   * @param {{container: Element, session: TrainerSession, protocol?: {samples, validation, test}}} options
   *   protocol: the counts (the paper's by default; smaller ones give a quick, rougher figure)
   */
  constructor({ container, session, protocol = PAPER_PROTOCOL }) {
    this.container = container;
    this.session = session;
    this.protocol = { ...PAPER_PROTOCOL, ...protocol };
    this.result = null;
    this.running = false;
    container.innerHTML = MARKUP;
    this.part = (name) => container.querySelector(`.evaluate-${name}`);
    this.part('run').addEventListener('click', () => this.run());
  }

  /** Evaluates the model as it is now; resolves to the result (or null after a failure, which it shows). */
  async run() {
    if (this.running) return null;
    this.running = true;
    const button = this.part('run');
    const progress = this.part('progress');
    const status = this.part('status');
    button.disabled = true;
    progress.hidden = false;
    progress.value = 0;
    const step = this.session.currentStep;
    const started = performance.now();
    try {
      const result = await this.session.evaluate({
        ...this.protocol,
        onProgress: ({ fraction, text }) => { progress.value = fraction; status.textContent = text; },
      });
      this.result = result;
      const seconds = (performance.now() - started) / 1000;
      this.part('figure').textContent = `${result.mean.toFixed(1)} ± ${result.std_error.toFixed(1)}`;
      this.container.querySelector('.this-model td').textContent = `this model, step ${result.step}`;
      this.part('detail').textContent = `sigma ${result.sigma.toFixed(4)}, chosen on ${result.validation.toLocaleString('en')} validation images; ` +
        `${result.samples.toLocaleString('en')} samples, ${result.test.toLocaleString('en')} test images; ${seconds.toFixed(1)} s` +
        (this.#isPaperProtocol(result) ? '' : ' (fewer than the paper\'s 10,000 samples and test images: a rougher figure)');
      status.textContent = `Evaluated at step ${result.step}.`;
      return result;
    } catch (error) {
      status.textContent = `Could not evaluate at step ${step}: ${error.message}`;
      return null;
    } finally {
      this.running = false;
      button.disabled = false;
      progress.hidden = true;
    }
  }

  #isPaperProtocol(result) {
    return result.samples >= PAPER_PROTOCOL.samples && result.validation >= PAPER_PROTOCOL.validation && result.test >= PAPER_PROTOCOL.test;
  }
}
