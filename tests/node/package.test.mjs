// The installable package: `npm pack` of a built tree, installed into an
// empty folder, runs `wasm-gan train`, `sample` and `eval` with the wasm it
// carries (no Emscripten, CMake or build step at install), and carries the
// element's script. The dependencies come from npm's cache when it has them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

test('npm pack gives a package that installs and trains, samples and evaluates without a build', { timeout: 300000 }, () => {
  const packDir = mkdtempSync(join(tmpdir(), 'wasm-gan-pack-'));
  const [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', packDir], root));
  const files = packed.files.map((file) => file.path);
  for (const file of ['bin/wasm-gan.mjs', 'cli/train.js', 'web/gan-trainer.js', 'web/index.html', 'web/runtime/worker.js',
    'web/wasm/gan-simd.wasm', 'web/wasm/gan-scalar.wasm', 'web/wasm/gan-simd-threads.wasm', 'web/data/mnist.json',
    'web/data/train-images-idx3-ubyte.gz', 'web/vendor/wasm-feature-detect.js']) {
    assert.ok(files.includes(file), `the package carries ${file}`);
  }
  assert.ok(!files.some((file) => /^(src|include|tests|build)\/|CMakeLists/.test(file)), 'no sources or build files');
  assert.ok(!files.some((file) => /fashion/.test(file)), 'no Fashion-MNIST copy');

  const app = mkdtempSync(join(tmpdir(), 'wasm-gan-install-'));
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', join(packDir, packed.filename)], app);
  const installed = JSON.parse(readFileSync(join(app, 'node_modules/wasm-gan/package.json'), 'utf8'));
  assert.equal(installed.scripts.install ?? installed.scripts.postinstall ?? null, null, 'nothing builds at install');
  const cli = (...args) => execFileSync(join(app, 'node_modules/.bin/wasm-gan'), args, { cwd: app, encoding: 'utf8' });
  cli('train', '--steps', '10', '--out', 'run', '--quiet', '--threads', '1');
  assert.ok(existsSync(join(app, 'run/checkpoint.safetensors')));
  assert.match(cli('sample', '--checkpoint', 'run/checkpoint.safetensors', '--count', '20', '--out', 'run/samples.idx3-ubyte'), /wrote 20 images/);
  const evaluation = JSON.parse(cli('eval', '--checkpoint', 'run/checkpoint.safetensors', '--samples', '100', '--test', '100', '--json'));
  assert.ok(Number.isFinite(evaluation.mean) && evaluation.step === 10, JSON.stringify(evaluation));
  assert.ok(existsSync(join(app, 'node_modules/wasm-gan/web/gan-trainer.js')), "the element's script, to serve");
});
