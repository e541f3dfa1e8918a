// Display-rate drawing from the latest snapshot. Each animation frame lets
// every view draw whatever changed; a new snapshot is asked of the worker only when the model
// moved on since the last one, the previous answer has arrived, and enough
// time has passed that sampling takes a small share of the worker's time
// (ten round trips' worth, and at least 250 ms: a few percent, so the page
// trains about as fast as the CLI; for the small preset that is still four
// updates a second).

export class FrameLoop {
  /**
   * @param {{snapshot: () => Promise<void>, draw: () => void, onError?: (error) => void,
   *          minInterval?: number, maxInterval?: number}} options
   */
  constructor({ snapshot, draw, onError = (error) => console.warn(error), minInterval = 250, maxInterval = 1000 }) {
    this.snapshot = snapshot;
    this.draw = draw;
    this.onError = onError;
    this.minInterval = minInterval;
    this.maxInterval = maxInterval;
    this.stale = true;      // the model changed since the last snapshot was asked for
    this.inFlight = false;
    this.lastRequest = -Infinity;
    this.roundTrip = 0;
    this.frameHandle = 0;
    this.longestDraw = 0;   // ms, for checking that frames stay short
    this.frame = this.frame.bind(this);
  }

  /** The model changed: take a new snapshot when allowed. */
  invalidate() {
    this.stale = true;
  }

  /** A promise for the next snapshot after now, for things that must see fresh samples (tests, export). */
  async refreshNow() {
    while (this.inFlight) await new Promise((resolve) => setTimeout(resolve, 5));
    this.stale = false;
    await this.#take();
    this.draw();
  }

  start() {
    if (!this.frameHandle) this.frameHandle = requestAnimationFrame(this.frame);
  }

  stop() {
    cancelAnimationFrame(this.frameHandle);
    this.frameHandle = 0;
  }

  frame(now) {
    this.frameHandle = requestAnimationFrame(this.frame);
    const interval = Math.min(this.maxInterval, Math.max(this.minInterval, 10 * this.roundTrip));
    if (this.stale && !this.inFlight && now - this.lastRequest >= interval) {
      this.stale = false;
      this.#take().catch(this.onError);
    }
    // Views keep their own dirty flags, so drawing every frame costs nothing when nothing changed.
    const started = performance.now();
    this.draw();
    this.longestDraw = Math.max(this.longestDraw, performance.now() - started);
  }

  async #take() {
    this.inFlight = true;
    const started = performance.now();
    this.lastRequest = started;
    try {
      await this.snapshot();
    } finally {
      this.roundTrip = performance.now() - started;
      this.inFlight = false;
    }
  }
}
