// The 1-D data of the `toy` preset (the paper's Figure 1): a two-component
// Gaussian mixture, drawn deterministically from a seed. The worker attaches
// these samples as the toy model's training set; the page draws p_data with
// toyDensity() so its curve is exactly the distribution being learned.

export const TOY_MIXTURE = [
  { weight: 0.5, mean: -1.0, std: 0.4 },
  { weight: 0.5, mean: 1.25, std: 0.3 },
];

/** Number of examples the worker attaches (one epoch). */
export const TOY_EXAMPLES = 20000;

/** The x range worth plotting: every component +-4 std. */
export const TOY_RANGE = [
  Math.min(...TOY_MIXTURE.map((c) => c.mean - 4 * c.std)),
  Math.max(...TOY_MIXTURE.map((c) => c.mean + 4 * c.std)),
];

export function toyDensity(x) {
  let p = 0;
  for (const { weight, mean, std } of TOY_MIXTURE) {
    const u = (x - mean) / std;
    p += (weight * Math.exp(-0.5 * u * u)) / (std * Math.sqrt(2 * Math.PI));
  }
  return p;
}

// mulberry32: tiny, fast and the same in every engine (32-bit integer ops only).
export function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` samples of the mixture from `seed` (any integer; 64-bit seeds are folded). */
export function toyData(seed, count = TOY_EXAMPLES) {
  const big = BigInt.asUintN(64, BigInt(seed));
  const random = mulberry32(Number((big ^ (big >> 32n)) & 0xffffffffn) ^ 0x9e3779b9);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    let pick = random();
    let component = TOY_MIXTURE[TOY_MIXTURE.length - 1];
    for (const c of TOY_MIXTURE) {
      if (pick < c.weight) { component = c; break; }
      pick -= c.weight;
    }
    // Box-Muller; 1 - u keeps the log argument in (0, 1].
    const u1 = 1 - random();
    const u2 = random();
    const normal = Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    out[i] = component.mean + component.std * normal;
  }
  return out;
}
