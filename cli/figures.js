// The figures `train` and `reproduce` write, from a GanClient holding the
// model: the sample grid from fixed z, the paper's Figure 3 (interpolation
// rows in z space) and Figure 2 (each sample beside its nearest training
// image, found by web/runtime/neighbours.js). Grey or colour, and for a
// contrast-normalised model (paper-cifar-conv) drawn as the authors drew
// theirs (web/runtime/image-format.js).
import { nearest, searchIndex } from '../web/runtime/neighbours.js';
import { displayScale, toDisplay, trainingValues } from '../web/runtime/image-format.js';
import { tileGrid, tilesOf, writePng } from './images.js';

// Fixed noise seeds, so that the figures show the same z throughout a run
// (and across runs).
export const GRID_SEED = 20140610;
const GRID_COUNT = 100;
const INTERPOLATION_SEED = 3;
const INTERPOLATION_ROWS = 8;
const INTERPOLATION_STEPS = 10;
const NEIGHBOUR_SEED = 2;
const NEIGHBOUR_COUNT = 24;
const FIGURE_SCALE = 2; // pixels per image pixel in the PNGs

/**
 * @param {object} format  imageFormat(config): {channels, height, width, dim, contrast, ...}
 * @param {object} [dataset] training images (cli/data.js) for Figure 2
 */
export function figureWriter(format, dataset) {
  const { dim, height, width, channels } = format;
  const layout = { height, width, channels, scale: FIGURE_SCALE };
  const shown = (values) => toDisplay(values, displayScale(values, format), format);
  let gridZ = null;
  let searchable = null; // the neighbour search's index of the training images, built once
  const samples = async (client, path) => {
    gridZ ??= (await client.noise(GRID_SEED, GRID_COUNT)).z;
    const { images } = await client.sample({ z: gridZ });
    writePng(path, tileGrid(tilesOf(shown(images), dim), 10, layout));
  };
  const interpolation = async (client, path) => {
    const { z: ends } = await client.noise(INTERPOLATION_SEED, 2 * INTERPOLATION_ROWS);
    const noiseDim = ends.length / (2 * INTERPOLATION_ROWS);
    const strips = [];
    for (let row = 0; row < INTERPOLATION_ROWS; row++) {
      const z0 = ends.slice(2 * row * noiseDim, (2 * row + 1) * noiseDim);
      const z1 = ends.slice((2 * row + 1) * noiseDim, (2 * row + 2) * noiseDim);
      strips.push((await client.interpolate(z0, z1, INTERPOLATION_STEPS, false)).images);
    }
    const all = new Float32Array(strips.reduce((n, strip) => n + strip.length, 0));
    strips.reduce((at, strip) => { all.set(strip, at); return at + strip.length; }, 0);
    writePng(path, tileGrid(tilesOf(shown(all), dim), INTERPOLATION_STEPS, layout));
  };
  const neighbours = async (client, path) => {
    const { images: generated } = await client.sample({ seed: NEIGHBOUR_SEED, count: NEIGHBOUR_COUNT });
    // The search runs where the model trains: on u8 pixels (samples in [0, 1]), or on the
    // contrast-normalised values themselves.
    searchable ??= searchIndex(format.contrast ? trainingValues(dataset.train, dataset.trainCount, format) : dataset.train,
      dataset.trainCount, dim);
    const { images: found } = nearest(searchable, generated, NEIGHBOUR_COUNT);
    // The neighbours drawn with the samples' scale, as the authors' show_samples did.
    const scale = displayScale(generated, format);
    const samplesShown = toDisplay(generated, scale, format);
    const foundShown = format.contrast ? toDisplay(found, scale, format) : found;
    const pairs = [];
    for (let i = 0; i < NEIGHBOUR_COUNT; i++) {
      pairs.push({ pixels: samplesShown.subarray(i * dim, (i + 1) * dim) });
      pairs.push({ pixels: foundShown.subarray(i * dim, (i + 1) * dim), frame: [230, 200, 40] });
    }
    // Paper Figure 2: each sample, then (framed) its nearest training image.
    writePng(path, tileGrid(pairs, 8, { ...layout, pad: 3 }));
  };
  return { samples, interpolation, neighbours };
}
