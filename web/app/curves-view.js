// Curves view: keeps the stats history and draws it when asked. Stats arrive
// about ten times a second; the frame loop draws at most four frames a
// second, so the curves (rasterised on the main thread) are redrawn at most
// that often, and not at all while nothing new came in.

import { CanvasView } from './canvas-view.js';
import { drawCurves } from './curves.js';
import { StatsHistory } from './stats-history.js';

export class CurvesView extends CanvasView {
  constructor({ canvas, height = 240 }) {
    super({ canvas, height });
    this.history = new StatsHistory();
  }

  push(stats) {
    this.history.push(stats);
    this.changed();
  }

  clear() {
    this.history.clear();
    this.changed();
  }

  draw({ force = false } = {}) {
    if (!this.dirty && !force) return;
    this.dirty = false;
    drawCurves(this.canvas, this.history, { height: this.height, width: this.width });
  }
}
