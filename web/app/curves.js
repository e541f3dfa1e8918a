// Live training curves: D and G loss above, D(x) and D(G(z)) below with the
// 1/2 line where the game's equilibrium puts both (the paper's Section 4).
// Draws a StatsHistory onto a canvas sized to its CSS box.

const COLORS = {
  d_loss: '#d9480f',
  g_loss: '#1c7ed6',
  d_real: '#2b8a3e',
  d_fake: '#ae3ec9',
  grid: 'rgba(128,128,128,0.35)',
  text: '#495057',
};

/**
 * Resizes a canvas's backing store to its CSS size times devicePixelRatio.
 * Pass the CSS width when known (from a ResizeObserver): reading clientWidth
 * forces a layout.
 */
export function fitCanvas(canvas, cssHeight, knownWidth = 0) {
  const ratio = globalThis.devicePixelRatio || 1;
  const cssWidth = Math.max(120, knownWidth || canvas.clientWidth || canvas.parentElement?.clientWidth || 320);
  const width = Math.round(cssWidth * ratio);
  cssHeight ??= canvas.clientHeight || 200;
  const height = Math.round(cssHeight * ratio);
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  // A fixed CSS height: the width follows the layout, the height never feeds back into it.
  if (canvas.style.height !== `${cssHeight}px`) canvas.style.height = `${cssHeight}px`;
  const context = canvas.getContext('2d');
  context.setTransform(ratio, 0, 0, ratio, 0, 0);
  return { context, width: width / ratio, height: cssHeight };
}

export function drawCurves(canvas, history, { height = 260, width: knownWidth = 0 } = {}) {
  const { context, width } = fitCanvas(canvas, height, knownWidth);
  context.clearRect(0, 0, width, height);
  context.font = '11px system-ui, sans-serif';
  const pad = { left: 38, right: 8, top: 18, bottom: 18 };
  const gap = 22;
  const panelHeight = (height - pad.top - pad.bottom - gap) / 2;
  const plotWidth = width - pad.left - pad.right;
  const steps = history.step;
  const first = steps.length ? steps[0] : 0;
  const last = steps.length ? steps[steps.length - 1] : 1;
  const xOf = (step) => pad.left + (last > first ? (step - first) / (last - first) : 0) * plotWidth;

  // Losses: the range of what was seen, from 0, so the two are comparable.
  let lossMax = 1;
  for (const field of ['d_loss', 'g_loss']) {
    for (const value of history[field]) if (Number.isFinite(value) && value > lossMax) lossMax = value;
  }
  lossMax = niceCeiling(lossMax);
  const top = { y: pad.top, h: panelHeight, min: 0, max: lossMax };
  const bottom = { y: pad.top + panelHeight + gap, h: panelHeight, min: 0, max: 1 };

  drawPanelFrame(context, top, pad.left, plotWidth, [0, lossMax / 2, lossMax]);
  drawPanelFrame(context, bottom, pad.left, plotWidth, [0, 0.5, 1]);

  // The equilibrium line: D(x) = D(G(z)) = 1/2 when p_g = p_data.
  const half = yOf(bottom, 0.5);
  context.save();
  context.setLineDash([5, 4]);
  context.strokeStyle = COLORS.text;
  context.beginPath();
  context.moveTo(pad.left, half);
  context.lineTo(pad.left + plotWidth, half);
  context.stroke();
  context.restore();

  // Each report is one minibatch's value, so noisy: faint as measured, and
  // solid as a running average (when there are enough points to need one).
  // At most one point per three pixels: the canvas is rasterised on the main
  // thread, and path length is what costs.
  const bucket = Math.max(1, Math.ceil(steps.length / Math.max(1, plotWidth / 3)));
  const xs = decimate(steps, bucket);
  const smooth = steps.length > 40;
  for (const [values, panel, color] of [
    [history.d_loss, top, COLORS.d_loss], [history.g_loss, top, COLORS.g_loss],
    [history.d_real, bottom, COLORS.d_real], [history.d_fake, bottom, COLORS.d_fake]]) {
    if (smooth) {
      plot(context, xs, decimate(values, bucket), panel, xOf, fade(color));
      plot(context, xs, decimate(runningAverage(values, 0.1), bucket), panel, xOf, color);
    } else {
      plot(context, xs, decimate(values, bucket), panel, xOf, color);
    }
  }

  legend(context, pad.left, top.y - 5, [['D loss', COLORS.d_loss], ['G loss', COLORS.g_loss]]);
  legend(context, pad.left, bottom.y - 5, [['D(x)', COLORS.d_real], ['D(G(z))', COLORS.d_fake], ['1/2', COLORS.text]]);

  context.fillStyle = COLORS.text;
  context.textBaseline = 'top';
  context.textAlign = 'left';
  context.fillText(`step ${Math.round(first)}`, pad.left, height - pad.bottom + 4);
  context.textAlign = 'right';
  const rate = history.latest ? history.latest.steps_per_s : NaN;
  const rateText = Number.isFinite(rate) ? ` · ${formatRate(rate)} steps/s` : '';
  context.fillText(`step ${Math.round(last)}${rateText}`, pad.left + plotWidth, height - pad.bottom + 4);
  context.textAlign = 'left';
}

export function formatRate(rate) {
  return rate >= 100 ? rate.toFixed(0) : rate >= 10 ? rate.toFixed(1) : rate.toFixed(2);
}

/** Means of consecutive groups of `size` values (non-finite ones skipped). */
export function decimate(values, size) {
  if (size <= 1) return values;
  const out = new Float64Array(Math.ceil(values.length / size));
  for (let i = 0; i < out.length; i++) {
    let sum = 0;
    let n = 0;
    for (let j = i * size; j < Math.min(values.length, (i + 1) * size); j++) {
      if (Number.isFinite(values[j])) { sum += values[j]; n++; }
    }
    out[i] = n ? sum / n : NaN;
  }
  return out;
}

/** A #rrggbb colour at a quarter opacity (cheaper to raster than globalAlpha). */
function fade(color) {
  return `${color}40`;
}

/** Exponential moving average, skipping non-finite values. */
export function runningAverage(values, weight) {
  const out = new Float64Array(values.length);
  let average = NaN;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    if (Number.isFinite(value)) average = Number.isFinite(average) ? average + weight * (value - average) : value;
    out[i] = Number.isFinite(value) ? average : NaN;
  }
  return out;
}

function niceCeiling(value) {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const m of [1, 1.5, 2, 3, 4, 5, 6, 8, 10]) if (m * power >= value) return m * power;
  return 10 * power;
}

function yOf(panel, value) {
  const t = (value - panel.min) / (panel.max - panel.min);
  return panel.y + panel.h - Math.min(1, Math.max(0, t)) * panel.h;
}

function drawPanelFrame(context, panel, left, width, ticks) {
  context.strokeStyle = COLORS.grid;
  context.fillStyle = COLORS.text;
  context.lineWidth = 1;
  context.textAlign = 'right';
  context.textBaseline = 'middle';
  for (const tick of ticks) {
    const y = Math.round(yOf(panel, tick)) + 0.5;
    context.beginPath();
    context.moveTo(left, y);
    context.lineTo(left + width, y);
    context.stroke();
    context.fillText(formatTick(tick), left - 4, y);
  }
  context.textAlign = 'left';
}

function formatTick(value) {
  return Number.isInteger(value) ? String(value) : value.toFixed(value < 1 ? 2 : 1);
}

function plot(context, steps, values, panel, xOf, color) {
  if (steps.length === 0) return;
  context.strokeStyle = color;
  context.lineWidth = 1;
  context.beginPath();
  let drawing = false;
  for (let i = 0; i < steps.length; i++) {
    const value = values[i];
    if (!Number.isFinite(value)) { drawing = false; continue; }
    const x = xOf(steps[i]);
    const y = yOf(panel, value);
    if (drawing) context.lineTo(x, y);
    else context.moveTo(x, y);
    drawing = true;
  }
  if (steps.length === 1) context.arc(xOf(steps[0]), yOf(panel, values[0]), 1.5, 0, 2 * Math.PI);
  context.stroke();
}

function legend(context, x, y, entries) {
  context.textBaseline = 'alphabetic';
  context.textAlign = 'left';
  for (const [label, color] of entries) {
    context.fillStyle = color;
    context.fillRect(x, y - 7, 10, 3);
    context.fillStyle = COLORS.text;
    context.fillText(label, x + 13, y);
    x += 13 + context.measureText(label).width + 12;
  }
}
