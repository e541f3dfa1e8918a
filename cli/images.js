// Image grids as PNG (pngjs): sample grids, interpolation rows and the
// sample-beside-its-nearest-training-image figure, all from float pixels in [0, 1]
// (or u8), grey or colour, stored channels last as the core stores images
// (the neighbours themselves come from web/runtime/neighbours.js; what a
// model's values look like, web/runtime/image-format.js).
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import pngjs from 'pngjs';

const { PNG } = pngjs;

/** Float pixels in [0, 1] to u8 (rounded, clamped; NaN becomes 0). */
export function toBytes(values) {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Math.round(values[i] * 255);
    out[i] = v > 255 ? 255 : v > 0 ? v : 0;
  }
  return out;
}

/**
 * Lays out tiles on a canvas. tiles: array of {pixels (floats in [0,1] or u8,
 * height x width x channels: 1 grey, 3 RGB), frame?: [r,g,b]} in row-major
 * order; columns per row; blank tiles are null. Returns a PNG object.
 */
export function tileGrid(tiles, columns, { height, width, channels = 1, pad = 2, scale = 1, background = [40, 40, 40] }) {
  const rows = Math.ceil(tiles.length / columns);
  const cellW = width * scale + pad;
  const cellH = height * scale + pad;
  const png = new PNG({ width: columns * cellW + pad, height: rows * cellH + pad, colorType: 2 });
  const data = png.data;
  for (let i = 0; i < data.length; i += 4) {
    data[i] = background[0]; data[i + 1] = background[1]; data[i + 2] = background[2]; data[i + 3] = 255;
  }
  const put = (x, y, r, g, b) => {
    const o = (y * png.width + x) * 4;
    data[o] = r; data[o + 1] = g; data[o + 2] = b;
  };
  tiles.forEach((tile, index) => {
    if (!tile) return;
    const x0 = pad + (index % columns) * cellW;
    const y0 = pad + Math.floor(index / columns) * cellH;
    const bytes = tile.pixels instanceof Uint8Array ? tile.pixels : toBytes(tile.pixels);
    for (let y = 0; y < height * scale; y++) {
      for (let x = 0; x < width * scale; x++) {
        const at = (Math.floor(y / scale) * width + Math.floor(x / scale)) * channels;
        if (channels === 3) put(x0 + x, y0 + y, bytes[at], bytes[at + 1], bytes[at + 2]);
        else put(x0 + x, y0 + y, bytes[at], bytes[at], bytes[at]);
      }
    }
    if (tile.frame && pad > 0) {
      const [r, g, b] = tile.frame;
      for (let x = -1; x <= width * scale; x++) { put(x0 + x, y0 - 1, r, g, b); put(x0 + x, y0 + height * scale, r, g, b); }
      for (let y = -1; y <= height * scale; y++) { put(x0 - 1, y0 + y, r, g, b); put(x0 + width * scale, y0 + y, r, g, b); }
    }
  });
  return png;
}

/** Splits n x dim values into n tiles. */
export function tilesOf(values, dim, count = values.length / dim) {
  const tiles = [];
  for (let i = 0; i < count; i++) tiles.push({ pixels: values.subarray(i * dim, (i + 1) * dim) });
  return tiles;
}

/** Writes through a temporary file and a rename; a failure names `path`. */
export function writeFileAtomically(path, bytes) {
  const temp = `${path}.tmp-${process.pid}`;
  try {
    writeFileSync(temp, bytes);
    renameSync(temp, path);
  } catch (error) {
    try { unlinkSync(temp); } catch { /* never written */ }
    throw new Error(`${path}: cannot write it (${error.code ?? error.message})`);
  }
}

export function writePng(path, png) {
  writeFileAtomically(path, PNG.sync.write(png));
}

export function readPng(bytes) {
  return PNG.sync.read(Buffer.from(bytes));
}
