// What the canvas views share: the canvas's layout width (a view redraws at
// the new width when the layout resizes it) and a dirty mark, so the frame
// loop redraws a view only when something changed since its last draw.

export class CanvasView {
  constructor({ canvas, height }) {
    this.canvas = canvas;
    this.height = height;
    this.dirty = true;
    this.onDirty = null; // set by the session: asks the frame loop for a frame
    this.width = 0;
    new ResizeObserver(([entry]) => {
      const width = Math.round(entry.contentRect.width);
      if (width !== this.width) { this.width = width; this.changed(); }
    }).observe(canvas);
  }

  /** Marks the view for redrawing and asks for a frame. */
  changed() {
    this.dirty = true;
    this.onDirty?.();
  }
}
