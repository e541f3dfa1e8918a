// The paper's Figure 1, live: the data density p_data (black, dotted), the
// generator's density p_g (green, solid) and the discriminator D(x) (blue,
// dashed) over the x line; below it the z line, with arrows for x = G(z)
// showing how G maps a uniform grid of noise onto x.

import { fitCanvas } from './curves.js';

const COLORS = { data: '#111', generated: '#2b8a3e', discriminator: '#1c7ed6', axis: '#868e96', text: '#495057' };

/**
 * @param {HTMLCanvasElement} canvas
 * @param {{xs: ArrayLike<number>, pData?: ArrayLike<number>, pG: ArrayLike<number>,
 *          d: ArrayLike<number>, mapping: {z: ArrayLike<number>, x: ArrayLike<number>},
 *          xRange: [number, number], zRange: [number, number]}} figure
 */
export function drawFigure1(canvas, figure, { height = 280, width: knownWidth = 0 } = {}) {
  const { context, width } = fitCanvas(canvas, height, knownWidth);
  context.clearRect(0, 0, width, height);
  context.font = '11px system-ui, sans-serif';
  const pad = { left: 12, right: 12, top: 20 };
  const plotWidth = width - pad.left - pad.right;
  const xLine = height * 0.68;
  const zLine = height - 22;
  const plotTop = pad.top;
  const plotHeight = xLine - plotTop - 4;
  const [xLo, xHi] = figure.xRange;
  const [zLo, zHi] = figure.zRange;
  const px = (x) => pad.left + ((x - xLo) / (xHi - xLo)) * plotWidth;
  const pz = (z) => pad.left + ((z - zLo) / (zHi - zLo)) * plotWidth;

  // Both densities share one scale so their heights compare honestly.
  let densityMax = 1e-9;
  for (const series of [figure.pData, figure.pG]) {
    if (series) for (const v of series) if (Number.isFinite(v) && v > densityMax) densityMax = v;
  }
  const densityY = (v) => xLine - 4 - (Math.min(v, densityMax) / densityMax) * plotHeight * 0.92;
  const probabilityY = (p) => xLine - 4 - p * plotHeight;

  // The x and z lines.
  context.strokeStyle = COLORS.axis;
  context.lineWidth = 1;
  for (const y of [xLine, zLine]) {
    context.beginPath();
    context.moveTo(pad.left, y + 0.5);
    context.lineTo(pad.left + plotWidth, y + 0.5);
    context.stroke();
  }
  context.fillStyle = COLORS.text;
  context.textBaseline = 'middle';
  context.fillText('x', pad.left + plotWidth - 8, xLine + 10);
  context.fillText('z', pad.left + plotWidth - 8, zLine + 10);

  // x = G(z): one arrow per point of a uniform z grid.
  context.strokeStyle = 'rgba(73,80,87,0.55)';
  const { z, x } = figure.mapping;
  for (let i = 0; i < z.length; i++) {
    if (!Number.isFinite(x[i])) continue;
    const x0 = pz(z[i]);
    const x1 = Math.min(pad.left + plotWidth, Math.max(pad.left, px(x[i])));
    context.beginPath();
    context.moveTo(x0, zLine);
    context.lineTo(x1, xLine + 2);
    context.stroke();
    arrowHead(context, x0, zLine, x1, xLine + 2);
  }

  if (figure.pData) curve(context, figure.xs, figure.pData, px, densityY, COLORS.data, [2, 3], 2);
  curve(context, figure.xs, figure.pG, px, densityY, COLORS.generated, [], 2);
  curve(context, figure.xs, figure.d, px, probabilityY, COLORS.discriminator, [6, 4], 2);

  // The 1/2 mark on D's scale: where D ends when p_g = p_data.
  context.fillStyle = COLORS.discriminator;
  context.textBaseline = 'middle';
  context.fillText('½', pad.left + 2, probabilityY(0.5));
  context.fillRect(pad.left + 12, probabilityY(0.5), 6, 1);

  let lx = pad.left;
  context.textBaseline = 'alphabetic';
  for (const [label, color, dash] of [['p_data', COLORS.data, [2, 3]], ['p_g', COLORS.generated, []], ['D(x)', COLORS.discriminator, [6, 4]]]) {
    context.strokeStyle = color;
    context.setLineDash(dash);
    context.lineWidth = 2;
    context.beginPath();
    context.moveTo(lx, 10);
    context.lineTo(lx + 18, 10);
    context.stroke();
    context.setLineDash([]);
    context.fillStyle = COLORS.text;
    context.fillText(label, lx + 22, 14);
    lx += 22 + context.measureText(label).width + 14;
  }
}

function curve(context, xs, ys, px, py, color, dash, lineWidth) {
  context.save();
  context.strokeStyle = color;
  context.setLineDash(dash);
  context.lineWidth = lineWidth;
  context.beginPath();
  let drawing = false;
  for (let i = 0; i < xs.length; i++) {
    if (!Number.isFinite(ys[i])) { drawing = false; continue; }
    const X = px(xs[i]);
    const Y = py(ys[i]);
    if (drawing) context.lineTo(X, Y);
    else context.moveTo(X, Y);
    drawing = true;
  }
  context.stroke();
  context.restore();
}

function arrowHead(context, x0, y0, x1, y1) {
  const angle = Math.atan2(y1 - y0, x1 - x0);
  const size = 5;
  context.beginPath();
  context.moveTo(x1, y1);
  context.lineTo(x1 - size * Math.cos(angle - 0.4), y1 - size * Math.sin(angle - 0.4));
  context.moveTo(x1, y1);
  context.lineTo(x1 - size * Math.cos(angle + 0.4), y1 - size * Math.sin(angle + 0.4));
  context.stroke();
}
