// The <gan-trainer> element's own styles, inside its shadow root: the host
// page's CSS does not reach in, and these do not leak out.

export const ELEMENT_CSS = `
:host {
  display: block;
  box-sizing: border-box;
  max-width: 100%;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  font-size: 14px;
  line-height: 1.4;
  color: #212529;
  background: #fff;
  border: 1px solid #dee2e6;
  border-radius: 8px;
  padding: 10px;
  contain: content;
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
.bar { display: flex; flex-wrap: wrap; gap: 6px 10px; align-items: center; margin-bottom: 8px; }
button {
  font: inherit; padding: 4px 12px; min-height: 32px; border-radius: 5px; cursor: pointer;
  border: 1px solid #adb5bd; background: #f8f9fa; color: inherit;
}
button.primary { background: #1c7ed6; border-color: #1c7ed6; color: #fff; }
button:disabled { opacity: 0.5; cursor: default; }
button:focus-visible, canvas:focus-visible { outline: 3px solid #4dabf7; outline-offset: 2px; }
.status { font-variant-numeric: tabular-nums; color: #495057; }
.origin { font-size: 12px; color: #2b8a3e; }
.mode { margin-left: auto; font-size: 12px; color: #1864ab; background: #e7f5ff; border-radius: 10px; padding: 1px 8px; }
.progress { display: flex; gap: 8px; align-items: center; font-size: 12px; color: #495057; margin-bottom: 8px; }
.progress progress { flex: 1; }
.problem { margin: 0 0 8px; padding: 8px 10px; border-radius: 5px; background: #fff5f5; color: #c92a2a; border: 1px solid #ffc9c9; }
.note { margin: 0 0 8px; padding: 6px 10px; border-left: 3px solid #f08c00; background: #fff9db; font-size: 13px; }
.class-picker { display: flex; flex-wrap: wrap; gap: 4px; margin-bottom: 8px; }
.class-picker button { min-height: 28px; padding: 2px 9px; font-variant-numeric: tabular-nums; }
.class-picker button.picked { background: #1c7ed6; border-color: #1c7ed6; color: #fff; }
.views { display: grid; gap: 10px; grid-template-columns: repeat(auto-fit, minmax(min(100%, 220px), 1fr)); }
figure { margin: 0; min-width: 0; }
figure.wide { grid-column: 1 / -1; }
figcaption { font-size: 12px; color: #5c636a; margin-top: 3px; }
.evaluate-bar { display: flex; align-items: center; gap: 8px; flex-wrap: wrap; }
.evaluate-status { font-size: 13px; color: #495057; }
.evaluate-table { min-width: min(100%, 28em); border-collapse: collapse; margin-top: 6px; font-size: 13px; font-variant-numeric: tabular-nums; }
.evaluate-table caption { text-align: left; font-size: 12px; color: #5c636a; padding-bottom: 3px; }
.evaluate-table th, .evaluate-table td { text-align: left; padding: 2px 12px 2px 0; border-bottom: 1px solid #e9ecef; }
.evaluate-table .this-model td { font-weight: 600; }
.evaluate-detail { font-size: 12px; color: #5c636a; margin: 4px 0 0; }
canvas { display: block; max-width: 100%; }
canvas.pixelated { width: 100%; height: auto; image-rendering: pixelated; background: #282828; border-radius: 4px; }
canvas.chart { width: 100%; }
canvas.grid { cursor: pointer; }
`;
