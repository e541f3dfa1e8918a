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
