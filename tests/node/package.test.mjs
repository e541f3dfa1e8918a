// The installable package: `npm pack` of a built tree, installed into an
// empty folder, runs `wasm-gan train`, `sample` and `eval` with the wasm it
// carries (no Emscripten, CMake or build step at install), and carries the
// element's script. Its programmatic API works from that install, and its
// declarations typecheck a user's code (tests/package: tsc, then the same
// code run in Node). The dependencies come from npm's cache when it has them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const npm = (args, cwd) => execFileSync('npm', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

let packed;  // npm pack's report
let packDir; // where the tarball is
let app;     // the folder the tarball is installed in

before(() => {
  packDir = mkdtempSync(join(tmpdir(), 'wasm-gan-pack-'));
  [packed] = JSON.parse(npm(['pack', '--json', '--pack-destination', packDir], root));
  app = mkdtempSync(join(tmpdir(), 'wasm-gan-install-'));
  npm(['install', '--prefer-offline', '--no-audit', '--no-fund', join(packDir, packed.filename)], app);
}, { timeout: 300000 });

after(() => {
  for (const dir of [packDir, app]) if (dir) rmSync(dir, { recursive: true, force: true });
});

test('npm pack gives a package that installs and trains, samples and evaluates without a build', { timeout: 300000 }, () => {
  const files = packed.files.map((file) => file.path);
  for (const file of ['bin/wasm-gan.mjs', 'cli/train.js', 'web/gan-trainer.js', 'web/index.html', 'web/runtime/worker.js',
    'web/wasm/gan-simd.wasm', 'web/wasm/gan-scalar.wasm', 'web/wasm/gan-simd-threads.wasm', 'web/data/mnist.json',
    'web/data/train-images-idx3-ubyte.gz', 'web/vendor/wasm-feature-detect.js',
    'web/runtime/index.js', 'web/runtime/index.d.ts', 'web/gan-trainer.d.ts', 'docs/api.md']) {
    assert.ok(files.includes(file), `the package carries ${file}`);
  }
  assert.ok(!files.some((file) => /^(src|include|tests|build)\/|CMakeLists/.test(file)), 'no sources or build files');
  assert.ok(!files.some((file) => /fashion/.test(file)), 'no Fashion-MNIST copy');

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

test("the package's declarations typecheck a user's code and refuse misuse (tsc --strict)", { timeout: 120000 }, () => {
  cpSync(join(root, 'tests', 'package'), join(app, 'ts'), { recursive: true });
  const result = spawnSync(process.execPath, [tsc, '-p', join(app, 'ts')], { cwd: app, encoding: 'utf8' });
  // Every error, the unused @ts-expect-error marks included, would be listed here.
  assert.equal(result.status, 0, `tsc:\n${result.stdout}${result.stderr}`);
  assert.ok(existsSync(join(app, 'ts', 'out', 'usage.mjs')), 'tsc wrote the program');
});

test('the API from a clean install: train, events, sample, save, load into a new trainer with identical samples', { timeout: 120000 }, () => {
  // The program tsc compiled in the test before, from tests/package/usage.mts.
  const program = join(app, 'ts', 'out', 'usage.mjs');
  assert.ok(existsSync(program), 'compiled by the typecheck test');
  const result = spawnSync(process.execPath, [program], { cwd: app, encoding: 'utf8', timeout: 110000 });
  assert.equal(result.status, 0, `usage.mjs failed:\n${result.stdout}${result.stderr}`);
  const report = JSON.parse(result.stdout.trim().split('\n').at(-1));
  assert.ok(report.statsEvents >= 2 && report.checkpointBytes > 0 && report.step >= 12, JSON.stringify(report));
  assert.deepEqual(report.states, ['start', 'until', 'start', 'pause']);
  assert.equal(report.toyError, 'GAN_ERR_NON_FINITE');
});
