// Exact nearest-neighbour search over training images (the paper's Figure 2:
// is G copying its training set?). The page's data worker
// (web/app/data-worker.js) and the CLI (cli/train.js, neighbours.png) both
// use it, so both show the same neighbour for the same sample.
//
//   const index = searchIndex(trainImages, count, dim);  // once: about 0.4 s for 50,000 x 784
//   const { indices, distances, images } = nearest(index, samples, n);
//
// The images are u8 pixels, searched for samples of floats in [0, 1]
// (value/255, what the model trains on); or floats, searched for samples
// in the same space (a contrast-normalised model's training values,
// image-format.js). `images` come back in the index's type.

// Blocks of BLOCK x BLOCK pixels for the search's lower bound.
const BLOCK = 4;
// Pixels summed between two checks of a candidate's partial distance.
const CHECK = 16;

/**
 * The images as the nearest-neighbour search reads them. Each row's pixels
 * are reordered by decreasing variance over the training set (the centre of
 * the digit first, the always-black border last), so a candidate's partial
 * distance passes the best so far, and the candidate is dropped, after a
 * fraction of its pixels: about half the time of the pixels in order. The
 * 4x4 block sums (in the images' own layout) give a lower bound, when the
 * images are square with a side divisible by 4. The index holds a copy of
 * every image, so a caller may keep it alone: rows in the images' own order
 * come from unpermute().
 */
export function searchIndex(images, count, dim) {
  const order = varianceOrder(images, count, dim);
  const rows = new images.constructor(count * dim);
  for (let t = 0; t < count; t++) {
    const base = t * dim;
    for (let i = 0; i < dim; i++) rows[base + i] = images[base + order[i]];
  }
  const side = Math.round(Math.sqrt(dim));
  const blocked = side * side === dim && side % BLOCK === 0;
  // samples are floats in [0, 1] for u8 pixels, in the images' own space for floats
  const scale = images instanceof Uint8Array ? 255 : 1;
  return { rows, order, count, dim, side, scale, blockSums: blocked ? blockSums(images, count, side) : null };
}

/** Rows first..first+n-1 of the index in the images' own pixel order. */
export function unpermute(index, first = 0, n = index.count) {
  const { rows, order, dim } = index;
  const out = new rows.constructor(n * dim);
  for (let t = 0; t < n; t++) {
    const from = (first + t) * dim;
    const to = t * dim;
    for (let i = 0; i < dim; i++) out[to + order[i]] = rows[from + i];
  }
  return out;
}

/** Pixel indices by decreasing variance over the images (ties: lower index first). */
function varianceOrder(images, count, dim) {
  const sum = new Float64Array(dim);
  const squares = new Float64Array(dim);
  for (let t = 0; t < count; t++) {
    const base = t * dim;
    for (let p = 0; p < dim; p++) {
      const v = images[base + p];
      sum[p] += v;
      squares[p] += v * v;
    }
  }
  const variance = Float64Array.from(sum, (s, p) => squares[p] / count - (s / count) ** 2);
  return Int32Array.from(Array.from(variance.keys()).sort((a, b) => variance[b] - variance[a] || a - b));
}

/**
 * For each sample, the closest training image in squared Euclidean distance,
 * exactly. A lower bound prunes some candidates: by Cauchy-Schwarz, the
 * squared distance over a block of n pixels is at least (difference of the
 * block sums)^2 / n, so the sum of that over 4x4 blocks (49 numbers per
 * image instead of 784) bounds the distance from below. Candidates whose
 * bound already exceeds the best distance so far are skipped; starting from
 * the candidate with the smallest bound makes that happen early. The others
 * are dropped as soon as their partial distance passes the best.
 */
export function nearest(index, samples, n) {
  const { rows, order, count, dim, side, scale } = index;
  const sums = index.blockSums;
  const blocksPerImage = sums ? (side / BLOCK) ** 2 : 0;
  const out = new rows.constructor(n * dim);
  const distances = new Float32Array(n);
  const indices = new Int32Array(n).fill(-1);
  const pixels = new Float32Array(dim);
  const query = new Float32Array(dim);
  const bounds = new Float32Array(sums ? count : 0);
  const exact = (t, limit) => {
    const base = t * dim;
    let sum = 0;
    for (let p = 0; p < dim;) {
      const end = Math.min(dim, p + CHECK);
      for (; p < end; p++) {
        const d = rows[base + p] - query[p];
        sum += d * d;
      }
      if (sum >= limit) return sum; // cannot win any more
    }
    return sum;
  };
  for (let q = 0; q < n; q++) {
    for (let p = 0; p < dim; p++) pixels[p] = samples[q * dim + p] * scale; // the images' own scale
    for (let i = 0; i < dim; i++) query[i] = pixels[order[i]];
    let best = Infinity;
    let bestIndex = -1;
    if (sums) {
      const querySums = blockSums(pixels, 1, side);
      let smallest = Infinity;
      for (let t = 0; t < count; t++) {
        let bound = 0;
        const base = t * blocksPerImage;
        for (let b = 0; b < blocksPerImage; b++) {
          const d = sums[base + b] - querySums[b];
          bound += d * d;
        }
        bound /= BLOCK * BLOCK;
        bounds[t] = bound;
        if (bound < smallest) { smallest = bound; bestIndex = t; }
      }
      best = exact(bestIndex, Infinity);
      for (let t = 0; t < count; t++) {
        if (bounds[t] >= best) continue;
        const distance = exact(t, best);
        if (distance < best) { best = distance; bestIndex = t; }
      }
    } else {
      for (let t = 0; t < count; t++) {
        const distance = exact(t, best);
        if (distance < best) { best = distance; bestIndex = t; }
      }
    }
    indices[q] = bestIndex;
    distances[q] = best / (scale * scale);
    if (bestIndex >= 0) out.set(unpermute(index, bestIndex, 1), q * dim);
  }
  return { indices, distances, images: out };
}

/** Sums over BLOCK x BLOCK blocks of `count` side x side images: count x (side/BLOCK)^2 floats. */
function blockSums(images, count, side) {
  const per = side / BLOCK;
  const out = new Float32Array(count * per * per);
  for (let i = 0; i < count; i++) {
    const base = i * side * side;
    let o = i * per * per;
    for (let by = 0; by < per; by++) {
      for (let bx = 0; bx < per; bx++, o++) {
        let sum = 0;
        for (let y = by * BLOCK; y < (by + 1) * BLOCK; y++) {
          const row = base + y * side + bx * BLOCK;
          for (let x = 0; x < BLOCK; x++) sum += images[row + x];
        }
        out[o] = sum;
      }
    }
  }
  return out;
}

// Directions of the projection bound of nearestWithin(), and images per leaf
// of its tree.
const PROJECTIONS = 8;
const LEAF = 16;

/**
 * For each sample, the closest image of the index among those at squared
 * Euclidean distance below `limit` (pixels in [0, 1], as `distances` are),
 * exactly: index -1 and distance Infinity where none is that close. Is a
 * generated digit a near-copy of a training image? When `limit` is small
 * against the distances between images, this takes well under a millisecond
 * a sample, where nearest() takes tens.
 *
 * The bound: for orthonormal directions u_1..u_K, the squared distance is at
 * least sum_k <q - t, u_k>^2 (a projection never lengthens a vector). With the
 * K directions of largest variance over the index's images the bound is
 * tight, and a k-d tree over the images' K coordinates finds those whose
 * bound is below the best distance so far (at first `limit`) without looking
 * at the others. Those are measured as in nearest(). The directions and the
 * tree are built once per index (about a second for 60,000 images) and kept
 * on it.
 */
export function nearestWithin(index, samples, n, limit) {
  const { dim } = index;
  const tree = (index.projections ??= projectionTree(index));
  const { K, basis, coords, order, splitDim, splitValue } = tree;
  const indices = new Int32Array(n).fill(-1);
  const distances = new Float32Array(n).fill(Infinity);
  const query = new Float32Array(dim);
  const q = new Float64Array(K);
  const offsets = new Float64Array(K); // per direction, q's distance to the cell
  let best = 0;
  let bestIndex = -1;
  const visit = (node, lo, hi, bound) => {
    if (hi - lo <= LEAF) {
      for (let j = lo; j < hi; j++) {
        const t = order[j];
        let b = 0;
        for (let k = 0; k < K; k++) {
          const d = q[k] - coords[t * K + k];
          b += d * d;
        }
        // (1 - 1e-9): rounding must not drop a candidate at the limit
        if (b * (1 - 1e-9) >= best) continue;
        const distance = partialDistance(index.rows, t * dim, query, dim, best);
        if (distance < best) { best = distance; bestIndex = t; }
      }
      return;
    }
    const mid = (lo + hi) >>> 1;
    const k = splitDim[node];
    const delta = q[k] - splitValue[node];
    const [near, nearLo, nearHi, far, farLo, farHi] = delta < 0
      ? [2 * node, lo, mid, 2 * node + 1, mid, hi]
      : [2 * node + 1, mid, hi, 2 * node, lo, mid];
    visit(near, nearLo, nearHi, bound);
    const old = offsets[k];
    const farBound = bound - old * old + delta * delta;
    if (farBound * (1 - 1e-9) < best) {
      offsets[k] = delta;
      visit(far, farLo, farHi, farBound);
      offsets[k] = old;
    }
  };
  for (let s = 0; s < n; s++) {
    for (let i = 0; i < dim; i++) query[i] = samples[s * dim + index.order[i]] * 255;
    project(query, basis, K, q);
    offsets.fill(0);
    best = limit * 255 * 255;
    bestIndex = -1;
    visit(1, 0, index.count, 0);
    if (bestIndex >= 0) {
      indices[s] = bestIndex;
      distances[s] = best / (255 * 255);
    }
  }
  return { indices, distances };
}

/** Squared distance of row `base` to `query`, or a partial sum once it passes `limit`. */
function partialDistance(rows, base, query, dim, limit) {
  let sum = 0;
  for (let p = 0; p < dim;) {
    const end = Math.min(dim, p + CHECK);
    for (; p < end; p++) {
      const d = rows[base + p] - query[p];
      sum += d * d;
    }
    if (sum > limit) return sum;
  }
  return sum;
}

/** out[k] = <x, column k of the dim x K basis>. */
function project(x, basis, K, out) {
  out.fill(0);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (v === 0) continue;
    for (let k = 0; k < K; k++) out[k] += v * basis[i * K + k];
  }
}

/**
 * PROJECTIONS orthonormal directions of large variance of the index's rows
 * (subspace iteration on about 3,000 rows, started from some of them:
 * deterministic), every row's coordinates along them, and a k-d tree over
 * those: the rows in `order`, node n (the root is 1) split at the median of
 * its range on direction splitDim[n] (its widest), the lower half at 2n.
 * Any orthonormal directions make the bound valid; these make it tight.
 */
function projectionTree(index) {
  const { rows, count, dim } = index;
  const K = Math.min(PROJECTIONS, dim);
  const stride = Math.max(1, Math.floor(count / 3000));
  const subset = [];
  for (let t = 0; t < count; t += stride) subset.push(t);
  const row = (t) => rows.subarray(t * dim, (t + 1) * dim);
  const mean = new Float64Array(dim);
  for (const t of subset) for (let i = 0; i < dim; i++) mean[i] += rows[t * dim + i];
  for (let i = 0; i < dim; i++) mean[i] /= subset.length;
  let basis = new Float64Array(dim * K);
  for (let k = 0; k < K; k++) {
    const t = subset[Math.floor((k + 0.5) * subset.length / K)];
    for (let i = 0; i < dim; i++) basis[i * K + k] = rows[t * dim + i] - mean[i];
  }
  orthonormalise(basis, dim, K);
  // basis <- orthonormalised (sum over rows of x_c x_c^T) basis, x_c = x - mean,
  // summed over the nonzero pixels of x: x_c^T b = x^T b - mean^T b.
  const y = new Float64Array(K);
  const meanDot = new Float64Array(K);
  for (let round = 0; round < 8; round++) {
    project(mean, basis, K, meanDot);
    const next = new Float64Array(dim * K);
    const ySum = new Float64Array(K);
    for (const t of subset) {
      const x = row(t);
      project(x, basis, K, y);
      for (let k = 0; k < K; k++) { y[k] -= meanDot[k]; ySum[k] += y[k]; }
      for (let i = 0; i < dim; i++) {
        const v = x[i];
        if (v === 0) continue;
        for (let k = 0; k < K; k++) next[i * K + k] += v * y[k];
      }
    }
    for (let i = 0; i < dim; i++) for (let k = 0; k < K; k++) next[i * K + k] -= mean[i] * ySum[k];
    orthonormalise(next, dim, K);
    basis = next;
  }
  const coords = new Float64Array(count * K);
  const point = new Float64Array(K);
  for (let t = 0; t < count; t++) {
    project(row(t), basis, K, point);
    coords.set(point, t * K);
  }
  const order = Int32Array.from({ length: count }, (_, t) => t);
  const nodes = 2 ** (Math.ceil(Math.log2(Math.max(1, count / LEAF))) + 2);
  const splitDim = new Uint8Array(nodes);
  const splitValue = new Float64Array(nodes);
  const build = (node, lo, hi) => {
    if (hi - lo <= LEAF) return;
    let widest = 0;
    let widestSpan = -1;
    for (let k = 0; k < K; k++) {
      let min = Infinity;
      let max = -Infinity;
      for (let j = lo; j < hi; j++) {
        const v = coords[order[j] * K + k];
        if (v < min) min = v;
        if (v > max) max = v;
      }
      if (max - min > widestSpan) { widestSpan = max - min; widest = k; }
    }
    const range = order.subarray(lo, hi).sort((a, b) => coords[a * K + widest] - coords[b * K + widest] || a - b);
    const mid = (lo + hi) >>> 1;
    splitDim[node] = widest;
    splitValue[node] = coords[range[mid - lo] * K + widest];
    build(2 * node, lo, mid);
    build(2 * node + 1, mid, hi);
  };
  build(1, 0, count);
  return { K, basis, coords, order, splitDim, splitValue };
}

/** Gram-Schmidt on the K columns of a dim x K row-major matrix (twice, for accuracy). */
function orthonormalise(m, dim, K) {
  for (let pass = 0; pass < 2; pass++) {
    for (let k = 0; k < K; k++) {
      for (let j = 0; j < k; j++) {
        let dot = 0;
        for (let i = 0; i < dim; i++) dot += m[i * K + k] * m[i * K + j];
        for (let i = 0; i < dim; i++) m[i * K + k] -= dot * m[i * K + j];
      }
      let norm = 0;
      for (let i = 0; i < dim; i++) norm += m[i * K + k] ** 2;
      norm = Math.sqrt(norm) || 1;
      for (let i = 0; i < dim; i++) m[i * K + k] /= norm;
    }
  }
}
