// Curves view: keeps the stats history and draws it when asked.

import { drawCurves } from './curves.js';
import { StatsHistory } from './stats-history.js';

export class CurvesView {
  constructor({ canvas, height = 240 }) {
    this.canvas = canvas;
    this.height = height;
    this.history = new StatsHistory();
  }

  push(stats) {
    this.history.push(stats);
  }

  clear() {
    this.history.clear();
  }

  draw() {
    drawCurves(this.canvas, this.history, { height: this.height });
  }
}
