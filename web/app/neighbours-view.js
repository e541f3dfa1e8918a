// The paper's Figure 2 check that G does not just memorise: each of the
// first few grid samples above its nearest training image (outlined in
// yellow). The search runs in the data worker; it is repeated every five
// seconds while the samples change, never more than one at a time, and less
// often when a search takes long: it shares the cores with the training, so
// the wait after one is `share` times its duration, 5 to 15 s (searches take
// 100-300 ms of a core, longest at the start of training: 2% of a core, or a
// little more at first). None starts in the first seconds of a run, while
// the core times its GEMM helper threads (see #search).

import { drawImageGrid } from './image-grid.js';

export class NeighboursView {
  constructor({ canvas, count = 8, interval = 5000, share = 50, maxInterval = 3 * interval, gap = 3, minGap = 50 }) {
    this.canvas = canvas;
    this.count = count;
    this.interval = interval;
    this.share = share;
    this.maxInterval = maxInterval;
    this.gap = gap;
    this.minGap = minGap;
    this.wait = interval; // before the next search: interval, or longer after a slow search
    this.source = null;   // a TrainingData
    this.busy = false;
    this.lastQuery = -Infinity;
    this.pairs = null;    // Float32Array: count samples, then count neighbours
    this.distances = null;
    this.shape = { height: 28, width: 28, channels: 1 };
    this.dirty = false;
    this.onDirty = null;  // set by the session: asks the frame loop for a frame
    this.training = () => true; // set by the session: whether the searches must leave room for training
    this.heldUntil = -Infinity;
    this.generation = 0;
  }

  /** Training starts: no search for the next `hold` ms while it goes on. */
  holdOff(hold = 3000) {
    this.heldUntil = performance.now() + hold;
  }

  /** A new model: the pairs shown are of the old one. */
  prepare() {
    this.generation++; // a search still running is of the old model
    this.pairs = null;
    this.lastQuery = -Infinity;
    this.wait = this.interval;
    this.canvas.getContext('2d').clearRect(0, 0, this.canvas.width, this.canvas.height);
  }

  /** Where to search: a TrainingData with images of `shape` ({height, width, channels}), u8 pixels. */
  setSource(source, shape) {
    this.source = source;
    this.shape = shape;
  }

  get dim() { return this.shape.height * this.shape.width * this.shape.channels; }

  /** Starts a search for these samples if none is running and the last one is old enough. */
  maybeUpdate(samples, { force = false } = {}) {
    if (!this.source || !samples || this.busy) return null;
    const now = performance.now();
    if (!force && (now - this.lastQuery < this.wait || (now < this.heldUntil && this.training()))) return null;
    this.lastQuery = now;
    this.busy = true;
    return this.#search(samples.slice(0, this.count * this.dim)).finally(() => { this.busy = false; });
  }

  // One sample per request, each followed, while training, by a pause `gap`
  // times as long as it took: all of them at once would hold a core for
  // 100-500 ms, long enough for the core to find its GEMM helper threads slow
  // and train on one thread for seconds (src/threads.c measures and picks the
  // faster way). The pairs are shown together when all are found.
  async #search(query) {
    const generation = this.generation;
    const dim = this.dim;
    const pairs = new Float32Array(2 * this.count * dim);
    pairs.set(query, 0);
    const distances = new Float32Array(this.count);
    let took = 0;
    for (let i = 0; i < this.count; i++) {
      const started = performance.now();
      const answer = await this.source.nearest(query.subarray(i * dim, (i + 1) * dim), 1);
      // The worker's own time for the search, without the wait in its queue.
      const ms = answer.ms ?? performance.now() - started;
      took += ms;
      for (let p = 0; p < dim; p++) pairs[(this.count + i) * dim + p] = answer.images[p] / 255;
      distances[i] = answer.distances[0];
      if (i + 1 < this.count && this.training()) {
        await new Promise((resolve) => setTimeout(resolve, Math.max(this.minGap, this.gap * ms)));
      }
    }
    this.wait = Math.min(this.maxInterval, Math.max(this.interval, this.share * took));
    if (generation !== this.generation) return;
    this.pairs = pairs;
    this.distances = distances;
    this.dirty = true;
    this.onDirty?.();
  }

  draw() {
    if (!this.pairs || !this.dirty) return;
    this.dirty = false;
    const marks = [];
    for (let i = 0; i < this.count; i++) marks.push({ index: this.count + i, color: [250, 176, 5] });
    drawImageGrid(this.canvas, this.pairs, { count: 2 * this.count, columns: this.count, shape: this.shape, marks });
  }
}
