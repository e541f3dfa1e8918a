// The sample grid (G on a fixed set of z, so the same cell shows the same
// "digit" as G learns) and the latent interpolation strips, linear and
// spherical, between two endpoints. All are drawn from one `sample` request
// per snapshot: the grid's z and both strips' z in one batch, grey or colour
// in the model's image shape, and for a contrast-normalised model
// (paper-cifar-conv) scaled together as the authors drew their samples
// (runtime/image-format.js).
//
// For a class-conditional model the grid has one row per class (columns:
// different z, rows: classes), or, once a class is picked, is all of that
// class. Its strips interpolate either within a class (z from A to B, at
// one class) or between classes at fixed z (class `from` to class `to`, at
// A's z in the first strip and B's in the second). The class rows come
// from runtime/classes.js, as the worker's own requests build them.

import { cellAt, drawImageGrid, gridToPngBlob } from './image-grid.js';
import { displayScale, imageFormat, toDisplay } from '../runtime/image-format.js';
import { blendRows, classCount, oneHot, rowsByClass, rowsOfClass } from '../runtime/classes.js';

const GRID_NOISE_SEED = 2014;
// Endpoint outlines: A yellow, B cyan; the keyboard cursor pink.
const MARK_COLORS = { A: [250, 176, 5], B: [34, 184, 207], cursor: [230, 73, 128] };

export class SamplesView {
  /**
   * @param {{grid: HTMLCanvasElement, linear?: HTMLCanvasElement, spherical?: HTMLCanvasElement,
   *          columns?: number, rows?: number, stripSteps?: number, showStrips?: boolean}} options
   */
  constructor({ grid, linear = null, spherical = null, columns = 8, rows = 8, stripSteps = 10, showStrips = true }) {
    this.canvases = { grid, linear, spherical };
    this.columns = columns;
    this.noiseCount = columns * rows; // the grid's fixed z
    this.count = this.noiseCount;     // cells in the grid (one row per class for a conditional model)
    this.stripSteps = stripSteps;
    this.dirty = false;
    this.showStrips = showStrips && linear && spherical;
    this.client = null;   // the GanClient of the training worker
    this.noiseDim = 0;
    this.format = imageFormat({ data_dim: 784 });
    this.gridZ = null;
    this.endpoints = { A: null, B: null };   // z vectors
    this.endpointCells = { A: -1, B: -1 };   // grid cells they came from, if any
    this.nextEndpoint = 'A';
    this.stripZ = null;                      // {linear, spherical}
    this.stripClasses = null;                // {linear, spherical}: their class rows (conditional models), else null
    this.classes = 0;                        // a conditional model's classes, else 0
    this.pickedClass = null;                 // the class of the whole grid, or null: one row per class
    this.interpolation = 'within';           // conditional models' strips: 'within' a class, or 'between' classes at fixed z
    this.classPair = { from: 0, to: 1 };     // 'within': class `from`; 'between': `from` to `to`
    this.images = null;                      // {grid, linear, spherical} Float32Arrays to draw, in [0, 1]
    this.values = null;                      // the grid's samples as G made them
    this.stripValues = null;                 // {linear, spherical}: the strips' samples as G made them
    this.generation = 0;                     // changes with what the grid or the strips show: a snapshot of an older one is dropped
    this.layout = null;
    this.cursor = -1;                        // keyboard focus cell
    this.randomSeed = 1 + Math.floor(Math.random() * 1e6);
    grid.addEventListener('click', (event) => {
      const cell = this.layout ? cellAt(grid, this.layout, event.clientX, event.clientY) : -1;
      if (cell >= 0) this.chooseEndpoint(cell);
    });
    grid.addEventListener('keydown', (event) => this.#onKey(event));
  }

  /** After (re)configuration: fixed grid noise and fresh random endpoints. */
  async prepare(client, config) {
    this.client = client;
    this.noiseDim = Number(config.noise_dim);
    this.format = imageFormat(config);
    this.images = null;
    this.values = null;
    this.generation++;
    this.classes = classCount(config);
    if (this.pickedClass !== null && this.pickedClass >= this.classes) this.pickedClass = null;
    this.classPair = this.classes ? { from: this.pickedClass ?? 0, to: ((this.pickedClass ?? 0) + 1) % this.classes } : { from: 0, to: 0 };
    this.count = this.#cellCount();
    this.endpointCells = { A: -1, B: -1 };
    this.cursor = -1;
    this.gridZ = (await client.noise(GRID_NOISE_SEED, this.noiseCount)).z;
    if (this.showStrips) await this.randomEndpoints();
  }

  #cellCount() {
    return this.classes && this.pickedClass === null ? this.classes * this.columns : this.noiseCount;
  }

  /** Whether the grid has one row per class (a conditional model, no class picked). */
  get byClass() {
    return this.classes > 0 && this.pickedClass === null;
  }

  /** The noise vector of grid cell `index`: one per column when the grid has a row per class. */
  cellZ(index) {
    const n = this.byClass ? index % this.columns : index;
    return this.gridZ.slice(n * this.noiseDim, (n + 1) * this.noiseDim);
  }

  /** The class of grid cell `index` (its row, or the picked class), or null for an unconditional model. */
  cellClass(index) {
    if (!this.classes) return null;
    return this.byClass ? Math.floor(index / this.columns) : this.pickedClass;
  }

  /** The grid's z and class rows (null for an unconditional model), as one `sample` request takes them. */
  gridInput() {
    if (!this.classes) return { z: this.gridZ, classes: null };
    if (this.byClass) {
      const z = new Float32Array(this.count * this.noiseDim);
      for (let cell = 0; cell < this.count; cell++) z.set(this.gridZ.subarray((cell % this.columns) * this.noiseDim, (cell % this.columns + 1) * this.noiseDim), cell * this.noiseDim);
      return { z, classes: rowsByClass(this.classes, this.columns) };
    }
    return { z: this.gridZ, classes: rowsOfClass(this.count, this.classes, this.pickedClass) };
  }

  /**
   * A conditional model's grid: all of class `index`, or one row per class (null). Picking a
   * class also makes it the strips' class (and the next one their `to` class).
   */
  async pickClass(index) {
    if (!this.classes) return;
    if (index !== null && (!Number.isInteger(index) || index < 0 || index >= this.classes)) {
      throw new RangeError(`class ${index} is out of range: this model has classes 0 to ${this.classes - 1}`);
    }
    this.pickedClass = index;
    this.generation++;
    this.count = this.#cellCount();
    this.endpointCells = { A: -1, B: -1 };
    this.cursor = -1;
    if (index !== null) await this.setClassPair({ from: index, to: (index + 1) % this.classes });
    this.dirty = true;
    this.onChange?.();
  }

  /** A conditional model's strips: 'within' a class (z from A to B) or 'between' classes at fixed z. */
  async setInterpolation(mode) {
    if (mode !== 'within' && mode !== 'between') throw new RangeError(`interpolation "${mode}" is not within or between`);
    this.interpolation = mode;
    if (this.showStrips && this.endpoints.A) await this.#setEndpoints(this.endpoints, this.endpointCells);
    this.onChange?.();
  }

  /** The strips' classes: {from, to} (within a class: `from`). */
  async setClassPair({ from = this.classPair.from, to = this.classPair.to }) {
    for (const value of [from, to]) {
      if (!Number.isInteger(value) || value < 0 || value >= this.classes) throw new RangeError(`class ${value} is out of range: this model has classes 0 to ${this.classes - 1}`);
    }
    this.classPair = { from, to };
    if (this.showStrips && this.endpoints.A) await this.#setEndpoints(this.endpoints, this.endpointCells);
    this.onChange?.();
  }

  /** New random endpoints for the strips (the "New endpoints" button). */
  async randomEndpoints() {
    const { z } = await this.client.noise(this.randomSeed++, 2);
    await this.#setEndpoints({ A: z.slice(0, this.noiseDim), B: z.slice(this.noiseDim) }, { A: -1, B: -1 });
    this.nextEndpoint = 'A';
  }

  /** Makes grid cell `index` the next endpoint (A, then B, then A...). */
  async chooseEndpoint(index) {
    if (!this.gridZ || !this.showStrips) return;
    const which = this.nextEndpoint;
    this.nextEndpoint = which === 'A' ? 'B' : 'A';
    const endpoints = { ...this.endpoints, [which]: this.cellZ(index) };
    // In a grid by class, the cell's row is its class: A's becomes the strips' class (`from`), B's their `to`.
    if (this.byClass) this.classPair = { ...this.classPair, [which === 'A' ? 'from' : 'to']: this.cellClass(index) };
    await this.#setEndpoints(endpoints, { ...this.endpointCells, [which]: index });
    this.onChange?.();
  }

  /**
   * What each strip interpolates: {linear, spherical}, each {z0, z1, spherical, classes0,
   * classes1} (the classes null for an unconditional model). Unconditional, and within a
   * class: z from A to B, linearly and spherically. Between classes: at A's z (first strip)
   * and at B's (second), from class `from` to class `to`.
   */
  stripRequests(endpoints = this.endpoints) {
    if (!this.classes) {
      return {
        linear: { z0: endpoints.A, z1: endpoints.B, spherical: false, classes0: null, classes1: null },
        spherical: { z0: endpoints.A, z1: endpoints.B, spherical: true, classes0: null, classes1: null },
      };
    }
    const from = oneHot(this.classes, this.classPair.from);
    if (this.interpolation === 'within') {
      return {
        linear: { z0: endpoints.A, z1: endpoints.B, spherical: false, classes0: from, classes1: from },
        spherical: { z0: endpoints.A, z1: endpoints.B, spherical: true, classes0: from, classes1: from },
      };
    }
    const to = oneHot(this.classes, this.classPair.to);
    return {
      linear: { z0: endpoints.A, z1: endpoints.A, spherical: false, classes0: from, classes1: to },
      spherical: { z0: endpoints.B, z1: endpoints.B, spherical: false, classes0: from, classes1: to },
    };
  }

  // Endpoints, their cells and the strips' z change together, once the
  // worker has interpolated, so a snapshot never mixes old and new.
  async #setEndpoints(endpoints, cells) {
    const requests = this.stripRequests(endpoints);
    const [{ z: linear }, { z: spherical }] = await Promise.all(['linear', 'spherical'].map((strip) => {
      const { z0, z1, spherical: slerp, classes0, classes1 } = requests[strip];
      return this.client.interpolate(z0, z1, this.stripSteps, slerp, classes0 ? { classes0, classes1 } : {});
    }));
    this.generation++;
    this.endpoints = endpoints;
    this.endpointCells = cells;
    this.stripZ = { linear, spherical };
    this.stripClasses = this.classes ? {
      linear: blendRows(requests.linear.classes0, requests.linear.classes1, this.stripSteps),
      spherical: blendRows(requests.spherical.classes0, requests.spherical.classes1, this.stripSteps),
    } : null;
  }

  /** One `sample` request for the grid and both strips. */
  async snapshot() {
    if (!this.gridZ) return;
    const grid = this.gridInput();
    const parts = [grid.z];
    const classParts = [grid.classes];
    // (a conditional model's strips once their class rows are there: prepare() may be under way)
    const strips = this.showStrips && this.stripZ && (!this.classes || this.stripClasses);
    if (strips) {
      parts.push(this.stripZ.linear, this.stripZ.spherical);
      classParts.push(this.stripClasses?.linear, this.stripClasses?.spherical);
    }
    const z = concat(parts);
    const generation = this.generation;
    const { images: values } = await this.client.sample(this.classes ? { z, classes: concat(classParts) } : { z });
    if (generation !== this.generation) return; // the grid or the strips changed meanwhile: the next snapshot draws them
    const images = toDisplay(values, displayScale(values, this.format), this.format);
    const dim = this.format.dim;
    const gridEnd = this.count * dim;
    this.values = values.subarray(0, gridEnd);
    this.stripValues = strips ? {
      linear: values.subarray(gridEnd, gridEnd + this.stripSteps * dim), spherical: values.subarray(gridEnd + this.stripSteps * dim),
    } : null;
    this.images = {
      grid: images.subarray(0, gridEnd),
      linear: strips ? images.subarray(gridEnd, gridEnd + this.stripSteps * dim) : null,
      spherical: strips ? images.subarray(gridEnd + this.stripSteps * dim) : null,
    };
    this.dirty = true;
  }

  draw({ force = false } = {}) {
    if (!this.images || (!this.dirty && !force)) return;
    this.dirty = false;
    const marks = [];
    for (const which of ['A', 'B']) {
      if (this.endpointCells[which] >= 0) marks.push({ index: this.endpointCells[which], color: MARK_COLORS[which] });
    }
    if (this.cursor >= 0) marks.push({ index: this.cursor, color: MARK_COLORS.cursor });
    this.layout = drawImageGrid(this.canvases.grid, this.images.grid, {
      count: this.count, columns: this.columns, shape: this.format, marks,
    });
    if (this.showStrips && this.images.linear) {
      const strip = { count: this.stripSteps, columns: this.stripSteps, shape: this.format };
      const ends = [{ index: 0, color: MARK_COLORS.A }, { index: this.stripSteps - 1, color: MARK_COLORS.B }];
      drawImageGrid(this.canvases.linear, this.images.linear, { ...strip, marks: ends });
      drawImageGrid(this.canvases.spherical, this.images.spherical, { ...strip, marks: ends });
    }
  }

  /**
   * n grid samples as G made them (for the neighbour view): the first n, or in a grid by class
   * one of each class (row r's sample in column r), so the view does not show n of class 0.
   */
  gridSamples(n) {
    if (!this.values) return null;
    const dim = this.format.dim;
    if (!this.byClass || n > this.classes) return this.values.subarray(0, n * dim);
    const out = new Float32Array(n * dim);
    for (let r = 0; r < n; r++) {
      const cell = r * this.columns + (r % this.columns);
      out.set(this.values.subarray(cell * dim, (cell + 1) * dim), r * dim);
    }
    return out;
  }

  exportPng() {
    if (!this.images) return Promise.reject(new Error('no samples yet'));
    return gridToPngBlob(this.images.grid, { count: this.count, columns: this.columns, shape: this.format });
  }

  // Keyboard: arrows move a cursor over the grid, Enter or Space makes it an endpoint.
  #onKey(event) {
    const moves = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -this.columns, ArrowDown: this.columns };
    if (event.key in moves) {
      event.preventDefault();
      const start = this.cursor < 0 ? 0 : this.cursor + moves[event.key];
      this.cursor = Math.min(this.count - 1, Math.max(0, start));
      this.draw({ force: true });
    } else if ((event.key === 'Enter' || event.key === ' ') && this.cursor >= 0) {
      event.preventDefault();
      this.chooseEndpoint(this.cursor).then(() => this.draw({ force: true }));
    }
  }
}

function concat(arrays) {
  arrays = arrays.filter(Boolean);
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) { out.set(a, offset); offset += a.length; }
  return out;
}
