// The figures `train` and `reproduce` write, from a GanClient holding the
// model: the sample grid from fixed z, the paper's Figure 3 (interpolation
// rows in z space) and Figure 2 (each sample beside its nearest training
// image, found by web/runtime/neighbours.js).
import { nearest, searchIndex } from '../web/runtime/neighbours.js';
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
 * @param {object} shape {dataDim, height, width}
 * @param {object} [dataset] training images (cli/data.js) for Figure 2
 */
export function figureWriter({ dataDim, height, width }, dataset) {
  let gridZ = null;
  let searchable = null; // the neighbour search's index of the training images, built once
  const samples = async (client, path) => {
    gridZ ??= (await client.noise(GRID_SEED, GRID_COUNT)).z;
    const { images } = await client.sample({ z: gridZ });
    writePng(path, tileGrid(tilesOf(images, dataDim), 10, { height, width, scale: FIGURE_SCALE }));
  };
  const interpolation = async (client, path) => {
    const { z: ends } = await client.noise(INTERPOLATION_SEED, 2 * INTERPOLATION_ROWS);
    const noiseDim = ends.length / (2 * INTERPOLATION_ROWS);
    const tiles = [];
    for (let row = 0; row < INTERPOLATION_ROWS; row++) {
      const z0 = ends.slice(2 * row * noiseDim, (2 * row + 1) * noiseDim);
      const z1 = ends.slice((2 * row + 1) * noiseDim, (2 * row + 2) * noiseDim);
      const { images: strip } = await client.interpolate(z0, z1, INTERPOLATION_STEPS, false);
      tiles.push(...tilesOf(strip, dataDim));
    }
    writePng(path, tileGrid(tiles, INTERPOLATION_STEPS, { height, width, scale: FIGURE_SCALE }));
  };
  const neighbours = async (client, path) => {
    const { images: generated } = await client.sample({ seed: NEIGHBOUR_SEED, count: NEIGHBOUR_COUNT });
    searchable ??= searchIndex(dataset.train, dataset.trainCount, dataDim);
    const { images: found } = nearest(searchable, generated, NEIGHBOUR_COUNT);
    const pairs = [];
    for (let i = 0; i < NEIGHBOUR_COUNT; i++) {
      pairs.push({ pixels: generated.subarray(i * dataDim, (i + 1) * dataDim) });
      pairs.push({ pixels: found.subarray(i * dataDim, (i + 1) * dataDim), frame: [230, 200, 40] });
    }
    // Paper Figure 2: each sample, then (framed) its nearest training image.
    writePng(path, tileGrid(pairs, 8, { height, width, pad: 3, scale: FIGURE_SCALE }));
  };
  return { samples, interpolation, neighbours };
}
