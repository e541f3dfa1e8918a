// Curves view: keeps the stats history and draws it when asked. Stats arrive
// about ten times a second; the frame loop draws at most four frames a
// second, so the curves (rasterised on the main thread) are redrawn at most
// that often, and not at all while nothing new came in.

import { drawCurves } from './curves.js';
import { StatsHistory } from './stats-history.js';

export class CurvesView {
  constructor({ canvas, height = 240 }) {
    this.canvas = canvas;
    this.height = height;
    this.dirty = true;
    this.onDirty = null; // set by the session: asks the frame loop for a frame
    // Redraw at the new width when the layout resizes the canvas.
    this.width = 0;
    new ResizeObserver(([entry]) => {
      const width = Math.round(entry.contentRect.width);
      if (width !== this.width) { this.width = width; this.#changed(); }
    }).observe(canvas);
    this.history = new StatsHistory();
  }

  push(stats) {
    this.history.push(stats);
    this.#changed();
  }

  clear() {
    this.history.clear();
    this.#changed();
  }

  draw({ force = false } = {}) {
    if (!this.dirty && !force) return;
    this.dirty = false;
    drawCurves(this.canvas, this.history, { height: this.height, width: this.width });
  }

  #changed() {
    this.dirty = true;
    this.onDirty?.();
  }
}
