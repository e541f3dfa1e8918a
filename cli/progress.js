// Training progress on the terminal: a cli-progress bar on a TTY, plain
// periodic lines otherwise (logs, CI, pipes).
import cliProgress from 'cli-progress';

const PLAIN_INTERVAL_MS = 5000;

function fixed(value, digits = 3) {
  return Number.isFinite(value) ? value.toFixed(digits) : '-';
}

function duration(seconds) {
  if (!Number.isFinite(seconds) || seconds < 0) return '-';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

export class Progress {
  /** @param {{total: number, start: number, stream: NodeJS.WriteStream, quiet?: boolean, showK?: boolean}} options
   *  showK: the adaptive k is on; show the k of the last step */
  constructor({ total, start, stream = process.stdout, quiet = false, showK = false }) {
    this.total = total;
    this.kText = showK ? ' | k {k}' : '';
    this.stream = stream;
    this.quiet = quiet;
    this.tty = !!stream.isTTY;
    this.lastPlain = 0;
    if (quiet) return;
    if (this.tty) {
      this.bar = new cliProgress.SingleBar({
        stream,
        format: '{bar} {percentage}% | {value}/{total} steps | {speed} steps/s | ETA {eta_text} | D {d_loss} G {g_loss} | D(x) {d_real} D(G(z)) {d_fake}' + this.kText,
        barsize: 24,
        hideCursor: true,
        etaBuffer: 50,
        fps: 5,
      }, cliProgress.Presets.shades_classic);
      this.bar.start(total, start, this._payload({}));
    }
  }

  _payload(stats) {
    const remaining = this.total - (stats.step ?? 0);
    return {
      speed: fixed(stats.steps_per_s, 1),
      eta_text: stats.steps_per_s > 0 ? duration(remaining / stats.steps_per_s) : '-',
      d_loss: fixed(stats.d_loss), g_loss: fixed(stats.g_loss),
      d_real: fixed(stats.d_real), d_fake: fixed(stats.d_fake),
      k: Number.isFinite(stats.d_steps) ? String(stats.d_steps) : '-',
    };
  }

  update(stats, { force = false } = {}) {
    if (this.quiet) return;
    if (this.bar) {
      this.bar.update(stats.step, this._payload(stats));
      return;
    }
    const t = Date.now();
    if (!force && t - this.lastPlain < PLAIN_INTERVAL_MS) return;
    this.lastPlain = t;
    const p = this._payload(stats);
    const percent = this.total > 0 ? Math.floor((100 * stats.step) / this.total) : 100;
    this.stream.write(`step ${stats.step}/${this.total} (${percent}%)  ${p.speed} steps/s  ETA ${p.eta_text}  ` +
      `D loss ${p.d_loss}  G loss ${p.g_loss}  D(x) ${p.d_real}  D(G(z)) ${p.d_fake}${this.kText ? `  k ${p.k}` : ''}\n`);
  }

  /** Prints a message without breaking the bar. */
  log(text) {
    if (this.bar) {
      this.bar.stop();
      this.stream.write(`${text}\n`);
      this.bar.start(this.total, this.bar.value, this.bar.payload);
    } else {
      this.stream.write(`${text}\n`);
    }
  }

  stop() {
    if (this.bar) this.bar.stop();
    this.bar = null;
  }
}

export { duration, fixed };
