// Curves view: keeps the stats history and draws it when asked.

import { drawCurves } from './curves.js';
import { StatsHistory } from './stats-history.js';

export class CurvesView {
  constructor({ canvas, height = 240 }) {
    this.canvas = canvas;
    this.height = height;
    this.dirty = true;
    // Redraw at the new width when the layout resizes the canvas.
    this.width = 0;
    new ResizeObserver(([entry]) => {
      const width = Math.round(entry.contentRect.width);
      if (width !== this.width) { this.width = width; this.dirty = true; }
    }).observe(canvas);
    this.history = new StatsHistory();
  }

  push(stats) {
    this.history.push(stats);
    this.dirty = true;
  }

  clear() {
    this.history.clear();
    this.dirty = true;
  }

  // At most four redraws a second: stats arrive about ten times a second,
  // and each redraw is rasterised on the main thread.
  draw({ force = false } = {}) {
    if (!this.dirty && !force) return;
    const now = performance.now();
    if (!force && now - (this.lastDraw ?? -Infinity) < 250) return;
    this.lastDraw = now;
    this.dirty = false;
    drawCurves(this.canvas, this.history, { height: this.height, width: this.width });
  }
}
