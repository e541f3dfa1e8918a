// The training curves' memory: every `stats` event the worker sends, kept in
// bounded arrays. When full, every other point is dropped, so a long run keeps
// its whole shape at half the resolution instead of forgetting its start.

export const CURVE_FIELDS = ['d_loss', 'g_loss', 'd_real', 'd_fake', 'steps_per_s'];

export class StatsHistory {
  constructor(capacity = 1200) {
    this.capacity = capacity;
    this.clear();
  }

  clear() {
    this.step = [];
    for (const field of CURVE_FIELDS) this[field] = [];
    this.latest = null;
  }

  get length() {
    return this.step.length;
  }

  push(stats) {
    this.latest = stats;
    const last = this.step.length ? this.step[this.step.length - 1] : -1;
    if (stats.step === last) return; // a repeated report of the same step
    if (stats.step < last) this.clear(); // a reset or an older checkpoint
    this.step.push(stats.step);
    for (const field of CURVE_FIELDS) this[field].push(Number(stats[field]));
    if (this.step.length > this.capacity) this.#halve();
  }

  #halve() {
    const keep = (array) => array.filter((_, i) => i % 2 === 0 || i === array.length - 1);
    this.step = keep(this.step);
    for (const field of CURVE_FIELDS) this[field] = keep(this[field]);
  }
}
