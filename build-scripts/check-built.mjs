// Run by `npm pack` (prepack): the package carries the built wasm, the page's
// MNIST and the vendored module, so whoever installs it needs no Emscripten or
// CMake. Refuses to pack a tree where `npm run build` has not made them.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const needed = ['web/wasm/gan-simd.wasm', 'web/wasm/gan-scalar.wasm', 'web/wasm/gan-simd-threads.wasm', 'web/wasm/gan-build.json',
  'web/data/mnist.json', 'web/data/train-images-idx3-ubyte.gz', 'web/data/t10k-images-idx3-ubyte.gz', 'web/vendor/wasm-feature-detect.js'];
const missing = needed.filter((file) => !existsSync(join(root, file)));
if (missing.length) {
  console.error(`npm pack: ${missing.join(', ')} missing; run "npm run build" first (the package ships the built files)`);
  process.exit(1);
}
