// The paper's Figure 2 check that G does not just memorise: each of the
// first few grid samples above its nearest training image (outlined in
// yellow). The search runs in its own worker; it is repeated every few
// seconds while the samples change, never more than one at a time.

import { drawImageGrid } from './image-grid.js';
import { NeighbourFinder } from './neighbours.js';

export class NeighboursView {
  constructor({ canvas, count = 8, interval = 3000, scale = 2 }) {
    this.canvas = canvas;
    this.count = count;
    this.interval = interval;
    this.scale = scale;
    this.finder = null;
    this.lastQuery = -Infinity;
    this.pairs = null; // Float32Array: count samples, then count neighbours
    this.distances = null;
    this.side = 28;
  }

  /** Gives the training images to the search worker (transferred: pass a copy). */
  setDataset(images, count, dim) {
    this.finder ??= new NeighbourFinder();
    this.finder.setDataset(images, count, dim);
    this.side = Math.round(Math.sqrt(dim));
  }

  /** Starts a search for these samples if none is running and the last one is old enough. */
  maybeUpdate(samples, { force = false } = {}) {
    if (!this.finder || !samples || this.finder.busy) return null;
    const now = performance.now();
    if (!force && now - this.lastQuery < this.interval) return null;
    this.lastQuery = now;
    const dim = this.side * this.side;
    const query = samples.slice(0, this.count * dim);
    return this.finder.nearest(query, this.count).then((answer) => {
      const pairs = new Float32Array(2 * this.count * dim);
      pairs.set(query, 0);
      for (let i = 0; i < answer.images.length; i++) pairs[this.count * dim + i] = answer.images[i] / 255;
      this.pairs = pairs;
      this.distances = answer.distances;
      this.draw();
      this.onUpdate?.(answer);
      return answer;
    });
  }

  draw() {
    if (!this.pairs) return;
    const marks = [];
    for (let i = 0; i < this.count; i++) marks.push({ index: this.count + i, color: '#fab005' });
    drawImageGrid(this.canvas, this.pairs, { count: 2 * this.count, columns: this.count, side: this.side, scale: this.scale, marks });
  }

  terminate() {
    this.finder?.terminate();
    this.finder = null;
  }
}
