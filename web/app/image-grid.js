// Draws a batch of images (floats in [0, 1]; grey, white digits on black as
// in the paper's figures, or colour, stored channels last as the core stores
// them) as a grid on a canvas at the images' own resolution, one canvas
// pixel per image pixel; CSS scales it up with `image-rendering: pixelated`.
// That keeps a redraw to one putImageData, well under a millisecond,
// whatever size the canvas is shown at. A shape is {height, width,
// channels}: 1 channel is grey, 3 are RGB.

const GAP = 1; // pixels between cells
const BACKGROUND = 40;
const MNIST = { height: 28, width: 28, channels: 1 };

/** Grid geometry in image pixels. */
export function gridLayout(count, columns, { height, width }) {
  const rows = Math.max(1, Math.ceil(count / columns));
  return {
    rows,
    columns,
    cellHeight: height,
    cellWidth: width,
    width: columns * (width + GAP) - GAP,
    height: rows * (height + GAP) - GAP,
  };
}

const toByte = (v) => (v <= 0 ? 0 : v >= 1 ? 255 : (v * 255 + 0.5) | 0); // NaN: 0

/**
 * Paints `count` images into `imageData` (which must have the layout's size).
 * marks = [{index, color: [r, g, b]}] outline a cell in its outermost pixel
 * ring (MNIST digits leave that ring black).
 */
export function paintGrid(imageData, images, { count, columns, shape = MNIST, marks = [] }) {
  const { height, width: side, channels = 1 } = shape;
  const width = imageData.width;
  const rgba = imageData.data;
  for (let i = 0; i < rgba.length; i += 4) {
    rgba[i] = rgba[i + 1] = rgba[i + 2] = BACKGROUND;
    rgba[i + 3] = 255;
  }
  const values = height * side * channels;
  for (let n = 0; n < count; n++) {
    const x0 = (n % columns) * (side + GAP);
    const y0 = Math.floor(n / columns) * (height + GAP);
    const base = n * values;
    for (let y = 0; y < height; y++) {
      let o = ((y0 + y) * width + x0) * 4;
      let v = base + y * side * channels;
      for (let x = 0; x < side; x++, o += 4, v += channels) {
        if (channels === 3) {
          rgba[o] = toByte(images[v]);
          rgba[o + 1] = toByte(images[v + 1]);
          rgba[o + 2] = toByte(images[v + 2]);
        } else {
          rgba[o] = rgba[o + 1] = rgba[o + 2] = toByte(images[v]);
        }
      }
    }
  }
  for (const { index, color } of marks) {
    if (index < 0 || index >= count) continue;
    const x0 = (index % columns) * (side + GAP);
    const y0 = Math.floor(index / columns) * (height + GAP);
    const set = (x, y) => {
      const o = ((y0 + y) * width + x0 + x) * 4;
      rgba[o] = color[0]; rgba[o + 1] = color[1]; rgba[o + 2] = color[2];
    };
    for (let i = 0; i < side; i++) { set(i, 0); set(i, height - 1); }
    for (let i = 0; i < height; i++) { set(0, i); set(side - 1, i); }
  }
  return imageData;
}

const imageDataOf = new WeakMap(); // canvas -> its reusable ImageData

/** Draws the grid onto `canvas` (resizing it to fit); returns the layout for hit testing. */
export function drawImageGrid(canvas, images, { count, columns, shape = MNIST, marks = [] }) {
  const layout = gridLayout(count, columns, shape);
  if (canvas.width !== layout.width) canvas.width = layout.width;
  if (canvas.height !== layout.height) canvas.height = layout.height;
  let imageData = imageDataOf.get(canvas);
  if (!imageData || imageData.width !== layout.width || imageData.height !== layout.height) {
    imageData = new ImageData(layout.width, layout.height);
    imageDataOf.set(canvas, imageData);
  }
  canvas.getContext('2d').putImageData(paintGrid(imageData, images, { count, columns, shape, marks }), 0, 0);
  return layout;
}

/** The cell index under a pointer position on a canvas drawn by drawImageGrid, or -1. */
export function cellAt(canvas, layout, clientX, clientY) {
  const box = canvas.getBoundingClientRect();
  if (!box.width || !box.height) return -1;
  const x = ((clientX - box.left) / box.width) * layout.width;
  const y = ((clientY - box.top) / box.height) * layout.height;
  const column = Math.floor(x / (layout.cellWidth + GAP));
  const row = Math.floor(y / (layout.cellHeight + GAP));
  if (column < 0 || column >= layout.columns || row < 0 || row >= layout.rows) return -1;
  return row * layout.columns + column;
}

/** A PNG Blob of the images alone (no marks), `scale` times their size. */
export function gridToPngBlob(images, { count, columns, shape = MNIST, scale = 4 }) {
  const layout = gridLayout(count, columns, shape);
  const source = document.createElement('canvas');
  drawImageGrid(source, images, { count, columns, shape });
  const canvas = document.createElement('canvas');
  canvas.width = layout.width * scale;
  canvas.height = layout.height * scale;
  const context = canvas.getContext('2d');
  context.imageSmoothingEnabled = false;
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) =>
    canvas.toBlob((blob) => (blob ? resolve(blob) : reject(new Error('PNG encoding failed'))), 'image/png'));
}
