// `wasm-gan quality`: how good are a checkpoint's digits? The figures of
// issue 13's headline target, from N samples (default 10,000):
//
// - the Inception-score analogue exp(E_x KL(p(y|x) || p(y))) under the judge,
//   an MNIST classifier independent of wasm-gan's core (cli/judge.js), beside
//   the same score of the 10,000 real test digits;
// - each digit's share of the samples (by the judge's most probable class);
// - the share of near-copies: samples whose squared L2 distance to the
//   nearest of the 60,000 training images is below the 1st percentile of the
//   real test digits' own nearest-training distances (so 1% of new real
//   digits are "near-copies" by this rule);
// - the paper's Parzen estimate (eval's protocol and code).
//
// The samples are sample's and eval's for the same seed. The Parzen estimate
// runs in the model's worker while this thread judges and searches. The real
// digits' figures are computed once per judge and cached beside it.
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GanClient } from '../web/runtime/client.js';
import { nearestWithin, searchIndex } from '../web/runtime/neighbours.js';
import { defaultDataDir, loadTestImages, loadTrainingSet } from './data.js';
import { parzenEstimate } from './eval.js';
import { loadCheckpoint, readInputFile } from './files.js';
import { JUDGE_DIR, argmax, loadJudge } from './judge.js';
import { classCount, forEachSampleChunk } from './sample.js';

const CLASSES = 10;
const SIDE = 28;

/** Issue 13's targets for the page's 60-second checkpoint. */
export const TARGETS = Object.freeze({ inceptionScore: 9.0, minClassShare: 0.05, nearCopyFraction: 0.01, parzenNats: 200 });

/** Issue 18's target for a conditional model: the judge sees the asked-for class this often. */
export const CLASS_AGREEMENT_TARGET = 0.95;

/** The near-copy rule's percentile of the real test digits' nearest-training distances (the text says "1st"). */
export const NEAR_COPY_PERCENTILE = 0.01;

/**
 * The Inception-score analogue of `count` images' class probabilities
 * (count x classes): exp of the mean over images of KL(p(y|x) || p(y)), where
 * p(y) is the mean of p(y|x) over the images. From 1 (every image judged
 * alike) to `classes` (each image one class with certainty, the classes
 * equally often).
 */
export function inceptionScore(probabilities, count, classes = CLASSES) {
  const marginal = new Float64Array(classes);
  for (let i = 0; i < count; i++) for (let c = 0; c < classes; c++) marginal[c] += probabilities[i * classes + c] / count;
  let kl = 0;
  for (let i = 0; i < count; i++) {
    for (let c = 0; c < classes; c++) {
      const p = probabilities[i * classes + c];
      if (p > 0) kl += p * (Math.log(p) - Math.log(marginal[c]));
    }
  }
  return Math.exp(kl / count);
}

/** The share of images of each class, by their most probable class. */
export function classShares(probabilities, count, classes = CLASSES) {
  const counts = new Array(classes).fill(0);
  for (let i = 0; i < count; i++) counts[argmax(probabilities, i * classes, classes)]++;
  return counts.map((n) => n / count);
}

/**
 * The near-copy threshold: the `percentile` quantile (the ceil(percentile x
 * n)-th smallest) of the squared distances of `n` real images (floats in
 * [0, 1]) to their nearest image in `index`. Only the images closer than a
 * limit are searched, the limit doubled until enough are found, so the
 * threshold is exact without searching every image's nearest neighbour.
 */
export function nearCopyThreshold(index, images, n, percentile = NEAR_COPY_PERCENTILE) {
  const rank = Math.max(1, Math.ceil(percentile * n));
  for (let limit = 2; ; limit *= 2) {
    const { distances } = nearestWithin(index, images, n, limit);
    const found = Array.from(distances).filter(Number.isFinite).sort((a, b) => a - b);
    if (found.length >= rank) return found[rank - 1];
    if (limit > 784) throw new Error('near-copy threshold: no neighbours found'); // every distance is below 784
  }
}

/**
 * Samples strictly closer than `threshold` to an image of `index`: {count,
 * fraction, pairs: [sample, training image] for each, in sample order}.
 */
export function nearCopies(index, samples, n, threshold) {
  const { indices } = nearestWithin(index, samples, n, threshold);
  const pairs = [];
  indices.forEach((t, s) => { if (t >= 0) pairs.push([s, t]); });
  return { count: pairs.length, fraction: pairs.length / n, pairs };
}

const toFloats = (bytes) => Float32Array.from(bytes, (v) => v / 255);

/**
 * The real test digits' figures under `judge` (its Inception score and class
 * shares) and the near-copy threshold, from build/judge/reference.json when
 * made for this judge and these files, else computed (about 15 s) and saved.
 */
function realReference({ judge, training, testSet, index, dir = JUDGE_DIR, log }) {
  const key = {
    judge: judge.info.recipe,
    judgeTrainedAt: judge.info.trainedAt,
    training: fileKey(training.path),
    test: fileKey(testSet.path),
    percentile: NEAR_COPY_PERCENTILE,
  };
  const path = join(dir, 'reference.json');
  try {
    const cached = JSON.parse(readFileSync(path, 'utf8'));
    if (JSON.stringify(cached.key) === JSON.stringify(key)) return cached;
  } catch { /* absent or unreadable: computed below */ }
  log('quality: scoring the real test digits (once per judge)');
  const probabilities = judge.predict(testSet.images, testSet.count);
  const reference = {
    key,
    test_images: testSet.count,
    inception_score: inceptionScore(probabilities, testSet.count),
    class_shares: classShares(probabilities, testSet.count),
    near_copy_threshold: nearCopyThreshold(index, toFloats(testSet.images), testSet.count),
  };
  writeFileSync(path, `${JSON.stringify(reference, null, 2)}\n`);
  return reference;
}

function fileKey(path) {
  const stats = statSync(path);
  return { path, bytes: stats.size, modified: stats.mtimeMs };
}

/** Runs `work` and adds its seconds to `times[name]`. */
async function timed(times, name, work) {
  const started = performance.now();
  try {
    return await work();
  } finally {
    times[name] = (times[name] ?? 0) + (performance.now() - started) / 1000;
  }
}

/**
 * All the figures for a checkpoint. Resolves {step, inception_score,
 * class_shares, near_copies, parzen, real, judge, seconds, ...}; `log` gets
 * progress lines (the judge's training, when it is not cached yet).
 */
export async function measureQuality({ checkpoint, samples: count = 10000, seed = '0', simd = 'auto', log = () => {} }) {
  const started = performance.now();
  const times = {};
  const bytes = readInputFile(checkpoint, 'checkpoint');
  const dataDir = defaultDataDir();
  const training = loadTrainingSet(dataDir);
  const testSet = loadTestImages(dataDir);
  const client = await GanClient.create({ simd });
  try {
    const loaded = await loadCheckpoint(client, bytes, checkpoint);
    const dim = Number(loaded.config.data_dim);
    if (dim !== SIDE * SIDE) {
      throw new Error(`checkpoint ${checkpoint}: the model makes ${dim}-value images; the judge reads MNIST digits of ${SIDE}x${SIDE} = ${SIDE * SIDE}`);
    }
    const images = new Float32Array(count * dim);
    const classes = classCount(loaded.config); // a conditional model draws sample i as class i mod classes
    await timed(times, 'sampling', () => forEachSampleChunk(client, { seed, count, noiseDim: Number(loaded.config.noise_dim), classes },
      (chunk, start) => images.set(chunk, start * dim)));
    // The worker computes the Parzen estimate while this thread does the rest.
    const parzen = timed(times, 'parzen', () => parzenEstimate(client, { training, testSet, samples: count, seed }));
    parzen.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    const judge = await timed(times, 'judge', () => loadJudge({ dataDir, log }));
    const index = await timed(times, 'near_copies', () => searchIndex(training.images, training.count, dim));
    const real = await timed(times, 'reference', () => realReference({ judge, training, testSet, index, log }));
    const probabilities = await timed(times, 'judge', () => judge.predict(images, count));
    const copies = await timed(times, 'near_copies', () => nearCopies(index, images, count, real.near_copy_threshold));
    const { result } = await parzen;
    const shares = classShares(probabilities, count);
    const figures = {
      checkpoint,
      step: loaded.step,
      samples: count,
      seed,
      inception_score: inceptionScore(probabilities, count),
      class_shares: shares,
      min_class_share: Math.min(...shares),
      near_copies: {
        fraction: copies.fraction,
        count: copies.count,
        threshold: real.near_copy_threshold,
        examples: copies.pairs.slice(0, 20), // [sample index, training image index]
        rule: `squared L2 distance (pixels in [0, 1]) to the nearest of the ${training.count} training images below ` +
          `${real.near_copy_threshold.toFixed(4)}: the 1st percentile of the ${real.test_images} real test digits' own ` +
          `(the ${Math.ceil(NEAR_COPY_PERCENTILE * real.test_images)}th smallest)`,
      },
      parzen: { mean: result.mean, std_error: result.std_error, sigma: result.sigma, samples: result.samples, validation: result.validation, test: result.test },
      real: { images: real.test_images, inception_score: real.inception_score, class_shares: real.class_shares },
      judge: { accuracy: judge.info.accuracy, test_images: judge.info.testImages, backend: judge.info.backend, recipe: judge.info.recipe },
    };
    if (classes) {
      // how often the judge sees the class the sample was drawn as (issue 18: at least 95%)
      let agree = 0;
      for (let i = 0; i < count; i++) agree += argmax(probabilities, i * CLASSES, CLASSES) === i % classes ? 1 : 0;
      figures.conditional = { kind: loaded.config.conditional, classes, class_agreement: agree / count };
    }
    figures.targets = {
      inception_score: figures.inception_score >= TARGETS.inceptionScore,
      class_shares: figures.min_class_share >= TARGETS.minClassShare,
      near_copies: figures.near_copies.fraction < TARGETS.nearCopyFraction,
      parzen: figures.parzen.mean >= TARGETS.parzenNats,
    };
    figures.seconds = (performance.now() - started) / 1000;
    figures.seconds_by_part = Object.fromEntries(Object.entries(times).map(([name, s]) => [name, Math.round(s * 100) / 100]));
    return figures;
  } finally {
    client.terminate();
  }
}

const percent = (x, digits = 1) => `${(100 * x).toFixed(digits)}%`;
const mark = (met) => (met ? 'met' : 'NOT met');

/** The figures as the command prints them. */
export function formatQuality(f) {
  const shares = f.class_shares.map((share, digit) => `${digit}: ${percent(share)}`).join('  ');
  return `${f.samples} samples of ${f.checkpoint} (step ${f.step}, noise seed ${f.seed})
Inception score (judge):  ${f.inception_score.toFixed(2)}   (real test digits: ${f.real.inception_score.toFixed(2)}; target >= ${TARGETS.inceptionScore.toFixed(1)}: ${mark(f.targets.inception_score)})
digits:                   ${shares}
                          smallest ${percent(f.min_class_share)} (target >= ${percent(TARGETS.minClassShare, 0)} each: ${mark(f.targets.class_shares)})
near-copies:              ${percent(f.near_copies.fraction, 2)} (${f.near_copies.count}; target < ${percent(TARGETS.nearCopyFraction, 0)}: ${mark(f.targets.near_copies)})
                          ${f.near_copies.rule}
Parzen log-likelihood:    ${f.parzen.mean.toFixed(1)} ± ${f.parzen.std_error.toFixed(1)} nats, sigma ${f.parzen.sigma.toFixed(4)} (target >= ${TARGETS.parzenNats}: ${mark(f.targets.parzen)})
${f.conditional ? `asked-for class:          the judge agrees on ${percent(f.conditional.class_agreement, 2)} (conditional ${f.conditional.kind}; sample i drawn as class i mod ${f.conditional.classes}; target >= ${percent(CLASS_AGREEMENT_TARGET, 0)}: ${mark(f.conditional.class_agreement >= CLASS_AGREEMENT_TARGET)})
` : ''}judge: a CNN, ${percent(f.judge.accuracy, 2)} on the ${f.judge.test_images} MNIST test digits (${f.judge.backend}); ${f.seconds.toFixed(1)} s
`;
}

export async function runQuality(options, { stdout = process.stdout, stderr = process.stderr } = {}) {
  const figures = await measureQuality({ ...options, log: (line) => stderr.write(`${line}\n`) });
  stdout.write(options.json ? `${JSON.stringify(figures)}\n` : formatQuality(figures));
  return 0;
}
