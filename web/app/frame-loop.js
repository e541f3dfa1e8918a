// When the page draws, and when it asks the worker for a snapshot. The page
// shares the machine with the training worker and its thread helpers: every
// millisecond the main thread, the compositor or the GPU process spends is
// taken from training. So nothing here runs on a timer of its own:
//
// - A snapshot (samples from the worker) is asked for only when the model
//   moved on since the last one, the previous answer has arrived, and enough
//   time has passed that sampling takes a small share of the worker's time
//   (ten round trips' worth, and at least 250 ms: four updates a second).
// - A frame is asked for (requestAnimationFrame) only when a view has
//   something new to show: in the next animation frame for a snapshot that
//   landed (they are 250 ms apart at least), else (stats, about ten a
//   second) at most one every 250 ms. A frame that would fall while a
//   snapshot is on its way waits for it (up to a second), so the new samples,
//   curves and numbers reach the screen together: while snapshots come four
//   times a second, that is four frames a second. An idle page asks for no
//   frames at all: a requestAnimationFrame loop kept running would make the
//   renderer and the compositor produce 60 frames a second.
// - While the page is hidden (another tab, a minimised window) it neither
//   draws nor asks for snapshots; when it shows again it takes one at once.

/** What the loop needs from the page; tests pass their own. */
export function browserEnvironment() {
  return {
    now: () => performance.now(),
    requestFrame: (callback) => requestAnimationFrame(callback),
    cancelFrame: (handle) => cancelAnimationFrame(handle),
    setTimer: (callback, ms) => setTimeout(callback, ms),
    clearTimer: (handle) => clearTimeout(handle),
    hidden: () => document.visibilityState === 'hidden',
    onVisibilityChange: (listener) => {
      document.addEventListener('visibilitychange', listener);
      return () => document.removeEventListener('visibilitychange', listener);
    },
  };
}

export class FrameLoop {
  /**
   * @param {{snapshot: () => Promise<void>, draw: () => void, onError?: (error) => void,
   *          minInterval?: number, maxInterval?: number, frameInterval?: number,
   *          maxWait?: number, environment?: object}} options
   *   minInterval, maxInterval: bounds of the time between snapshot requests (ms);
   *   frameInterval: least time between two frames (ms); maxWait: longest a frame waits for a snapshot (ms)
   */
  constructor({ snapshot, draw, onError = (error) => console.warn(error), minInterval = 250, maxInterval = 1000,
    frameInterval = 250, maxWait = 1000, environment = browserEnvironment() }) {
    this.snapshot = snapshot;
    this.draw = draw;
    this.onError = onError;
    this.minInterval = minInterval;
    this.maxInterval = maxInterval;
    this.frameInterval = frameInterval;
    this.maxWait = maxWait;
    this.env = environment;
    this.running = false;
    this.stale = true;       // the model changed since the last snapshot was asked for
    this.inFlight = false;
    this.lastRequest = -Infinity;
    this.roundTrip = 0;
    this.snapshotTimer = null;
    this.wanted = false;     // a view has something new to draw
    this.wantedSince = 0;
    this.soon = false;       // ... and it is a snapshot: draw in the next animation frame
    this.frameHandle = null;
    this.frameTimer = null;
    this.lastFrame = -Infinity;
    this.frames = 0;         // frames drawn, for tests
    this.snapshots = 0;      // snapshots asked for, for tests
    this.longestDraw = 0;    // ms, for checking that frames stay short
    this.stopWatching = null;
    this.frame = this.frame.bind(this);
  }

  get hidden() {
    return this.env.hidden();
  }

  /** The model changed: take a new snapshot when allowed. */
  invalidate() {
    this.stale = true;
    this.#scheduleSnapshot();
  }

  /** A view has something new to show: draw it in a coming frame (soon: the next one). */
  requestDraw({ soon = false } = {}) {
    if (!this.wanted) this.wantedSince = this.env.now();
    this.wanted = true;
    if (soon) this.soon = true;
    this.#scheduleFrame();
  }

  /** A promise for the next snapshot after now, drawn at once, for things that must see fresh samples (tests, export). */
  async refreshNow() {
    while (this.inFlight) await new Promise((resolve) => this.env.setTimer(resolve, 5));
    this.stale = false;
    await this.#take();
    this.#drawNow();
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.stopWatching = this.env.onVisibilityChange(() => this.#visibilityChanged());
    this.#scheduleSnapshot();
    this.#scheduleFrame();
  }

  stop() {
    this.running = false;
    this.stopWatching?.();
    this.stopWatching = null;
    if (this.snapshotTimer !== null) this.env.clearTimer(this.snapshotTimer);
    if (this.frameTimer !== null) this.env.clearTimer(this.frameTimer);
    if (this.frameHandle !== null) this.env.cancelFrame(this.frameHandle);
    this.snapshotTimer = this.frameTimer = this.frameHandle = null;
  }

  // Back from hidden: the snapshot and the frame that were held back.
  #visibilityChanged() {
    if (this.hidden) return;
    this.wantedSince = this.env.now(); // the first frame waits for the fresh snapshot
    this.#scheduleSnapshot();
    this.#scheduleFrame();
  }

  #scheduleSnapshot() {
    if (!this.running || !this.stale || this.inFlight || this.snapshotTimer !== null || this.hidden) return;
    const interval = Math.min(this.maxInterval, Math.max(this.minInterval, 10 * this.roundTrip));
    const wait = Math.max(0, this.lastRequest + interval - this.env.now());
    this.snapshotTimer = this.env.setTimer(() => {
      this.snapshotTimer = null;
      if (!this.running || !this.stale || this.inFlight || this.hidden) return;
      this.stale = false;
      this.#take()
        .then(() => this.requestDraw({ soon: true }), this.onError)
        .finally(() => {
          this.#scheduleSnapshot();
          this.#scheduleFrame(); // a frame held back for this answer
        });
    }, wait);
  }

  // A frame at the soonest allowed time: the next animation frame for a
  // snapshot; else frameInterval after the last one, and while a snapshot is
  // on its way, when it lands (or maxWait has passed).
  #scheduleFrame() {
    if (this.frameTimer !== null) this.env.clearTimer(this.frameTimer);
    this.frameTimer = null;
    if (!this.running || !this.wanted || this.frameHandle !== null || this.hidden) return;
    const now = this.env.now();
    const wait = this.soon ? 0
      : Math.max(this.lastFrame + this.frameInterval - now, this.inFlight ? this.wantedSince + this.maxWait - now : 0);
    if (wait > 0) {
      this.frameTimer = this.env.setTimer(() => {
        this.frameTimer = null;
        this.#scheduleFrame();
      }, wait);
    } else {
      this.frameHandle = this.env.requestFrame(this.frame);
    }
  }

  frame() {
    this.frameHandle = null;
    if (!this.running || !this.wanted || this.hidden) return; // shown again: #visibilityChanged
    // A snapshot went out since this frame was asked for: draw with its answer.
    if (!this.soon && this.inFlight && this.env.now() - this.wantedSince < this.maxWait) {
      this.#scheduleFrame();
      return;
    }
    this.#drawNow();
  }

  #drawNow() {
    this.wanted = false;
    this.soon = false;
    const started = this.env.now();
    this.lastFrame = started;
    this.frames++;
    // Views keep their own dirty flags and draw only what changed.
    this.draw();
    this.longestDraw = Math.max(this.longestDraw, this.env.now() - started);
  }

  async #take() {
    this.inFlight = true;
    this.snapshots++;
    const started = this.env.now();
    this.lastRequest = started;
    try {
      await this.snapshot();
    } finally {
      this.roundTrip = this.env.now() - started;
      this.inFlight = false;
    }
  }
}
