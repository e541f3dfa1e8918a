// A small line chart as PNG (pngjs, no fonts installed): the Parzen estimate
// against training steps, with reference lines (the paper's 225 nats), axis
// ticks labelled with a 3x5 pixel digit font.
import pngjs from 'pngjs';

const { PNG } = pngjs;

// 3x5 glyphs, rows top to bottom, 3 bits each (4 = left pixel).
const GLYPHS = {
  0: [7, 5, 5, 5, 7], 1: [2, 6, 2, 2, 7], 2: [7, 1, 7, 4, 7], 3: [7, 1, 7, 1, 7], 4: [5, 5, 7, 1, 1],
  5: [7, 4, 7, 1, 7], 6: [7, 4, 7, 5, 7], 7: [7, 1, 1, 1, 1], 8: [7, 5, 7, 5, 7], 9: [7, 5, 7, 1, 7],
  '-': [0, 0, 7, 0, 0], '.': [0, 0, 0, 0, 2], k: [4, 5, 6, 5, 5],
};

/** Round tick values spanning [lo, hi]: about `count` of them. */
function ticks(lo, hi, count = 5) {
  const span = hi - lo || 1;
  const raw = span / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw);
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/**
 * series: [{points: [[x, y], ...], color: [r,g,b]}]; lines: [{y, color}] horizontal references.
 * Returns a PNG object.
 */
export function lineChart({ series, lines = [], width = 640, height = 360, scale = 2 }) {
  const png = new PNG({ width, height, colorType: 2 });
  png.data.fill(255);
  const left = 40 * scale / 2, right = 12, top = 12, bottom = 26 * scale / 2;
  const all = series.flatMap((s) => s.points);
  const xs = all.map((p) => p[0]), ys = [...all.map((p) => p[1]), ...lines.map((l) => l.y)];
  const x0 = 0, x1 = Math.max(1, ...xs);
  let y0 = Math.min(0, ...ys), y1 = Math.max(1, ...ys);
  const pad = (y1 - y0) * 0.05; y0 -= pad; y1 += pad;
  const px = (x) => left + ((x - x0) / (x1 - x0)) * (width - left - right);
  const py = (y) => height - bottom - ((y - y0) / (y1 - y0)) * (height - top - bottom);
  const put = (x, y, [r, g, b]) => {
    x = Math.round(x); y = Math.round(y);
    if (x < 0 || y < 0 || x >= width || y >= height) return;
    const o = (y * width + x) * 4;
    png.data[o] = r; png.data[o + 1] = g; png.data[o + 2] = b;
  };
  const segment = (ax, ay, bx, by, color, thick = 1) => {
    const n = Math.max(1, Math.ceil(Math.max(Math.abs(bx - ax), Math.abs(by - ay))));
    for (let i = 0; i <= n; i++) {
      const x = ax + ((bx - ax) * i) / n, y = ay + ((by - ay) * i) / n;
      for (let d = 0; d < thick; d++) { put(x, y + d, color); put(x + d, y, color); }
    }
  };
  const text = (s, x, y, color = [0, 0, 0]) => {
    let cx = x;
    for (const ch of String(s)) {
      const glyph = GLYPHS[ch];
      if (glyph) {
        glyph.forEach((row, r) => {
          for (let c = 0; c < 3; c++) {
            if (row & (4 >> c)) for (let dy = 0; dy < scale; dy++) for (let dx = 0; dx < scale; dx++) put(cx + c * scale + dx, y + r * scale + dy, color);
          }
        });
      }
      cx += 4 * scale;
    }
    return cx - x;
  };
  const grey = [220, 220, 220];
  for (const t of ticks(y0, y1)) {
    segment(left, py(t), width - right, py(t), grey);
    const label = String(t);
    text(label, left - 4 - label.length * 4 * scale, py(t) - 2 * scale);
  }
  for (const t of ticks(x0, x1)) {
    segment(px(t), top, px(t), height - bottom, grey);
    const label = t >= 1000 && t % 1000 === 0 ? `${t / 1000}k` : String(t);
    text(label, px(t) - label.length * 2 * scale, height - bottom + 4);
  }
  segment(left, top, left, height - bottom, [0, 0, 0]);
  segment(left, height - bottom, width - right, height - bottom, [0, 0, 0]);
  for (const line of lines) {
    for (let x = left; x < width - right; x += 6) segment(x, py(line.y), Math.min(x + 3, width - right), py(line.y), line.color, 2);
  }
  for (const s of series) {
    s.points.forEach(([x, y], i) => {
      if (i > 0) segment(px(s.points[i - 1][0]), py(s.points[i - 1][1]), px(x), py(y), s.color, 2);
      for (let dx = -2; dx <= 2; dx++) for (let dy = -2; dy <= 2; dy++) put(px(x) + dx, py(y) + dy, s.color);
    });
  }
  return png;
}
