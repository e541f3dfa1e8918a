// Densities for the Figure 1 view: a Gaussian kernel density estimate of G's
// 1-D samples (p_g), and the bandwidth rule it uses.

/** Silverman's rule of thumb, with a floor so a collapsed G still draws. */
export function silvermanBandwidth(samples, floor = 1e-3) {
  const n = samples.length;
  if (n < 2) return 1;
  let mean = 0;
  for (const s of samples) mean += s;
  mean /= n;
  let variance = 0;
  for (const s of samples) variance += (s - mean) ** 2;
  const std = Math.sqrt(variance / (n - 1));
  const sorted = Float64Array.from(samples).sort();
  const iqr = sorted[Math.floor(0.75 * (n - 1))] - sorted[Math.floor(0.25 * (n - 1))];
  const spread = Math.min(std, iqr / 1.34) || std;
  return Math.max(floor, 0.9 * spread * n ** -0.2);
}

/**
 * Evaluates a Gaussian KDE of `samples` at each of `xs`.
 * Sorted samples plus a 5-bandwidth window keep it O(grid x nearby samples).
 */
export function gaussianKde(samples, xs, bandwidth = silvermanBandwidth(samples)) {
  const sorted = Float64Array.from(samples).sort();
  const out = new Float64Array(xs.length);
  const norm = 1 / (sorted.length * bandwidth * Math.sqrt(2 * Math.PI));
  const reach = 5 * bandwidth;
  let start = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    while (start < sorted.length && sorted[start] < x - reach) start++;
    let sum = 0;
    for (let j = start; j < sorted.length && sorted[j] <= x + reach; j++) {
      const u = (x - sorted[j]) / bandwidth;
      sum += Math.exp(-0.5 * u * u);
    }
    out[i] = sum * norm;
  }
  return out;
}

/** n evenly spaced points from lo to hi inclusive. */
export function linspace(lo, hi, n) {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = lo + ((hi - lo) * i) / (n - 1);
  return out;
}
