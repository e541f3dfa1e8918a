// Draws a batch of grayscale images (floats in [0, 1], white digits on black,
// as in the paper's figures) as a grid on a canvas, and maps clicks back to a
// cell. The canvas keeps an integer `scale` of the images' own pixels, so the
// digits stay sharp and outlines can be drawn between them.

const GAP = 1; // image pixels between cells

/** Grid geometry in image pixels, before scaling. */
export function gridLayout(count, columns, side) {
  const rows = Math.max(1, Math.ceil(count / columns));
  return {
    rows,
    columns,
    side,
    width: columns * (side + GAP) - GAP,
    height: rows * (side + GAP) - GAP,
  };
}

/**
 * Paints `count` images into an ImageData-sized RGBA buffer at 1:1 scale.
 * @param {Float32Array} images count x side*side floats in [0, 1]
 * @returns {ImageData}
 */
export function renderGridImageData(images, count, columns, side, background = 40) {
  const layout = gridLayout(count, columns, side);
  const data = new ImageData(layout.width, layout.height);
  const rgba = data.data;
  rgba.fill(background);
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
  const pixels = side * side;
  for (let n = 0; n < count; n++) {
    const x0 = (n % columns) * (side + GAP);
    const y0 = Math.floor(n / columns) * (side + GAP);
    const base = n * pixels;
    for (let y = 0; y < side; y++) {
      let o = ((y0 + y) * layout.width + x0) * 4;
      for (let x = 0; x < side; x++, o += 4) {
        const v = images[base + y * side + x];
        const byte = v <= 0 ? 0 : v >= 1 ? 255 : (v * 255 + 0.5) | 0;
        rgba[o] = rgba[o + 1] = rgba[o + 2] = byte;
      }
    }
  }
  return data;
}

/**
 * Draws images onto `canvas` at an integer scale, with optional outlined and
 * labelled cells: marks = [{index, color, label}].
 * Returns the layout (for hit testing).
 */
export function drawImageGrid(canvas, images, { count, columns, side = 28, scale = 3, marks = [] }) {
  const layout = gridLayout(count, columns, side);
  const width = layout.width * scale;
  const height = layout.height * scale;
  if (canvas.width !== width) canvas.width = width;
  if (canvas.height !== height) canvas.height = height;
  const source = toCanvas(renderGridImageData(images, count, columns, side));
  const context = canvas.getContext('2d');
  context.imageSmoothingEnabled = false;
  context.drawImage(source, 0, 0, width, height);
  for (const mark of marks) {
    if (mark.index < 0 || mark.index >= count) continue;
    const cell = (side + GAP) * scale;
    const x = (mark.index % columns) * cell;
    const y = Math.floor(mark.index / columns) * cell;
    context.strokeStyle = mark.color;
    context.lineWidth = Math.max(2, scale);
    context.strokeRect(x + 1, y + 1, side * scale - 2, side * scale - 2);
    if (mark.label) {
      context.font = `bold ${Math.max(11, 4 * scale)}px system-ui, sans-serif`;
      context.fillStyle = mark.color;
      context.textBaseline = 'top';
      context.fillText(mark.label, x + 3 * scale / 2 + 2, y + 2);
    }
  }
  return layout;
}

/** The cell index under a pointer event on a canvas drawn by drawImageGrid, or -1. */
export function cellAt(canvas, layout, clientX, clientY) {
  const box = canvas.getBoundingClientRect();
  if (!box.width || !box.height) return -1;
  const x = ((clientX - box.left) / box.width) * layout.width;
  const y = ((clientY - box.top) / box.height) * layout.height;
  const column = Math.floor(x / (layout.side + GAP));
  const row = Math.floor(y / (layout.side + GAP));
  if (column < 0 || column >= layout.columns || row < 0 || row >= layout.rows) return -1;
  return row * layout.columns + column;
}

/** A PNG Blob of the images alone (no marks), `scale` times their size. */
export function gridToPngBlob(images, { count, columns, side = 28, scale = 4 }) {
  const layout = gridLayout(count, columns, side);
  const canvas = document.createElement('canvas');
  canvas.width = layout.width * scale;
  canvas.height = layout.height * scale;
  const context = canvas.getContext('2d');
  context.imageSmoothingEnabled = false;
  context.drawImage(toCanvas(renderGridImageData(images, count, columns, side)), 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png'));
}

// One scratch canvas for every grid on the page: drawing is synchronous, so
// it is never shared by two draws at once.
let scratch = null;
function toCanvas(imageData) {
  scratch ??= document.createElement('canvas');
  if (scratch.width !== imageData.width) scratch.width = imageData.width;
  if (scratch.height !== imageData.height) scratch.height = imageData.height;
  scratch.getContext('2d').putImageData(imageData, 0, 0);
  return scratch;
}
