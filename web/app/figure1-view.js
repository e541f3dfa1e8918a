// The Figure 1 teaching view for the `toy` preset: asks the worker for G on a
// uniform grid of z (the arrows), G on many random z (p_g, as a kernel density
// estimate) and D on a grid of x, and draws them as the paper's figure.

import { TOY_RANGE, toyDensity } from '../runtime/toy-data.js';
import { CanvasView } from './canvas-view.js';
import { gaussianKde, linspace } from './density.js';
import { drawFigure1 } from './figure1.js';

const ARROWS = 25;
const DENSITY_SAMPLES = 2000;
const GRID_POINTS = 240;
const NOISE_SEED = 1914;

export class Figure1View extends CanvasView {
  constructor({ canvas, height = 280 }) {
    super({ canvas, height });
    this.figure = null;
  }

  async prepare(client, config) {
    this.client = client;
    this.noiseDim = Number(config.noise_dim);
    const scale = Number(config.prior_scale) || 1;
    // Uniform noise spans +-scale; Gaussian noise is shown over +-3 std.
    const half = String(config.prior).startsWith('gauss') ? 3 * scale : scale;
    this.zRange = [-half, half];
    this.xs = linspace(TOY_RANGE[0], TOY_RANGE[1], GRID_POINTS);
    this.pData = Float64Array.from(this.xs, toyDensity);
    // Arrows: z along a line through the noise space's first axis.
    const line = linspace(-half, half, ARROWS);
    this.arrowZ = new Float32Array(ARROWS * this.noiseDim);
    for (let i = 0; i < ARROWS; i++) this.arrowZ[i * this.noiseDim] = line[i];
    this.arrowLine = line;
    this.densityZ = (await client.noise(NOISE_SEED, DENSITY_SAMPLES)).z;
    this.z = new Float32Array(this.arrowZ.length + this.densityZ.length);
    this.z.set(this.arrowZ, 0);
    this.z.set(this.densityZ, this.arrowZ.length);
    this.figure = null;
  }

  async snapshot() {
    if (!this.z) return;
    const [{ images: samples }, { values: d }] = await Promise.all([
      this.client.sample({ z: this.z }),
      this.client.discriminate(this.xs),
    ]);
    const generated = samples.subarray(ARROWS);
    this.figure = {
      xs: this.xs,
      pData: this.pData,
      pG: gaussianKde(generated, this.xs),
      d,
      mapping: { z: this.arrowLine, x: samples.subarray(0, ARROWS) },
      xRange: TOY_RANGE,
      zRange: this.zRange,
    };
    this.dirty = true;
  }

  draw({ force = false } = {}) {
    if (!this.figure || (!this.dirty && !force)) return;
    this.dirty = false;
    drawFigure1(this.canvas, this.figure, { height: this.height, width: this.width });
  }
}
