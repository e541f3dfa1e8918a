// The sample grid (G on a fixed set of z, so the same cell shows the same
// "digit" as G learns) and the latent interpolation strips, linear and
// spherical, between two endpoints. All are drawn from one `sample` request
// per snapshot: the grid's z and both strips' z in one batch, grey or colour
// in the model's image shape, and for a contrast-normalised model
// (paper-cifar-conv) scaled together as the authors drew their samples
// (runtime/image-format.js).

import { cellAt, drawImageGrid, gridToPngBlob } from './image-grid.js';
import { displayScale, imageFormat, toDisplay } from '../runtime/image-format.js';

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
    this.count = columns * rows;
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
    this.images = null;                      // {grid, linear, spherical} Float32Arrays to draw, in [0, 1]
    this.values = null;                      // the grid's samples as G made them
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
    this.gridZ = (await client.noise(GRID_NOISE_SEED, this.count)).z;
    if (this.showStrips) await this.randomEndpoints();
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
    const endpoints = { ...this.endpoints, [which]: this.gridZ.slice(index * this.noiseDim, (index + 1) * this.noiseDim) };
    await this.#setEndpoints(endpoints, { ...this.endpointCells, [which]: index });
    this.onChange?.();
  }

  // Endpoints, their cells and the strips' z change together, once the
  // worker has interpolated, so a snapshot never mixes old and new.
  async #setEndpoints(endpoints, cells) {
    const [{ z: linear }, { z: spherical }] = await Promise.all([
      this.client.interpolate(endpoints.A, endpoints.B, this.stripSteps, false),
      this.client.interpolate(endpoints.A, endpoints.B, this.stripSteps, true),
    ]);
    this.endpoints = endpoints;
    this.endpointCells = cells;
    this.stripZ = { linear, spherical };
  }

  /** One `sample` request for the grid and both strips. */
  async snapshot() {
    if (!this.gridZ) return;
    const parts = [this.gridZ];
    if (this.showStrips && this.stripZ) parts.push(this.stripZ.linear, this.stripZ.spherical);
    const z = concat(parts);
    const { images: values } = await this.client.sample({ z });
    const images = toDisplay(values, displayScale(values, this.format), this.format);
    const dim = this.format.dim;
    const gridEnd = this.count * dim;
    this.values = values.subarray(0, gridEnd);
    this.images = {
      grid: images.subarray(0, gridEnd),
      linear: parts.length > 1 ? images.subarray(gridEnd, gridEnd + this.stripSteps * dim) : null,
      spherical: parts.length > 1 ? images.subarray(gridEnd + this.stripSteps * dim) : null,
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

  /** The first n grid samples as G made them (for the neighbour view). */
  gridSamples(n) {
    return this.values ? this.values.subarray(0, n * this.format.dim) : null;
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
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let offset = 0;
  for (const a of arrays) { out.set(a, offset); offset += a.length; }
  return out;
}
