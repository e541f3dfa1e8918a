// The paper's Figure 2 check that G does not just memorise: each of the
// first few grid samples above its nearest training image (outlined in
// yellow). The search runs in the data worker; it is repeated every five
// seconds while the samples change, never more than one at a time.

import { drawImageGrid } from './image-grid.js';

export class NeighboursView {
  constructor({ canvas, count = 8, interval = 5000 }) {
    this.canvas = canvas;
    this.count = count;
    this.interval = interval;
    this.source = null;   // a TrainingData
    this.busy = false;
    this.lastQuery = -Infinity;
    this.pairs = null;    // Float32Array: count samples, then count neighbours
    this.distances = null;
    this.side = 28;
    this.dirty = false;
    this.onDirty = null;  // set by the session: asks the frame loop for a frame
  }

  /** Where to search: a TrainingData with images of side x side pixels. */
  setSource(source, side) {
    this.source = source;
    this.side = side;
  }

  /** Starts a search for these samples if none is running and the last one is old enough. */
  maybeUpdate(samples, { force = false } = {}) {
    if (!this.source || !samples || this.busy) return null;
    const now = performance.now();
    if (!force && now - this.lastQuery < this.interval) return null;
    this.lastQuery = now;
    this.busy = true;
    const dim = this.side * this.side;
    const query = samples.slice(0, this.count * dim);
    return this.source.nearest(query, this.count).then((answer) => {
      const pairs = new Float32Array(2 * this.count * dim);
      pairs.set(query, 0);
      for (let i = 0; i < answer.images.length; i++) pairs[this.count * dim + i] = answer.images[i] / 255;
      this.pairs = pairs;
      this.distances = answer.distances;
      this.dirty = true;
      this.onDirty?.();
      return answer;
    }).finally(() => { this.busy = false; });
  }

  draw() {
    if (!this.pairs || !this.dirty) return;
    this.dirty = false;
    const marks = [];
    for (let i = 0; i < this.count; i++) marks.push({ index: this.count + i, color: '#fab005' });
    drawImageGrid(this.canvas, this.pairs, { count: 2 * this.count, columns: this.count, side: this.side, marks });
  }
}
