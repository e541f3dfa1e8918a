// The numbers beside the canvases (step, epoch, steps/s, ...), written in the
// frame loop's frames like the canvases: stats arrive about ten times a
// second, and each text write makes the browser recompute style and layout
// and repaint, on the cores the training uses. Stats that arrive while the
// session is not running (after a pause, a single step) are written at once:
// they answer the user, and whoever reads the step count after a pause reads
// the one the pause reported.

export class ReadoutView {
  /** @param {(stats: object) => void} render  writes the stats into the page (use setText) */
  constructor(render) {
    this.render = render;
    this.stats = null;
    this.dirty = false;
    this.onDirty = null; // set by the session: asks the frame loop for a frame
  }

  /** immediate: write now instead of in the next frame */
  push(stats, { immediate = false } = {}) {
    this.stats = stats;
    if (immediate) {
      this.dirty = false;
      this.render(stats);
      return;
    }
    this.dirty = true;
    this.onDirty?.();
  }

  /** A new or loaded model: stats not yet written are of the old one. */
  clear() {
    this.stats = null;
    this.dirty = false;
  }

  draw() {
    if (!this.dirty) return;
    this.dirty = false;
    this.render(this.stats);
  }
}

/** Sets an element's text only when it differs: an unchanged write still costs a layout. */
export function setText(element, text) {
  if (element.textContent !== text) element.textContent = text;
}
