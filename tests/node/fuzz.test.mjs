// Short runs of the Node fuzzers (tests/fuzz): the IDX reader and the
// worker's messages, a few seconds each with a seed that changes every run
// (printed, so a finding can be replayed: node tests/fuzz/NAME.mjs SECONDS SEED).
// `npm run fuzz` runs them for longer (build-scripts/fuzz.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fuzzIdx } from '../fuzz/idx-fuzz.mjs';
import { fuzzWorker } from '../fuzz/worker-fuzz.mjs';

test('IDX reader: mutated MNIST and gzip files parse or throw IdxError, within the cap', async () => {
  const result = await fuzzIdx({ seconds: 4 });
  console.log(`# idx fuzz: ${result.executions} executions (seed ${result.seed}), ${result.accepted} accepted, ArrayBuffer peak +${result.peakArrayBufferMiB.toFixed(1)} MiB`);
  assert.ok(result.executions > 500, `only ${result.executions} executions`);
  assert.deepEqual(result.findings, []);
});

test('worker messages: every request answered with a known code, then pause within 50 ms and exact training', async () => {
  const result = await fuzzWorker({ seconds: 5 });
  console.log(`# worker fuzz: ${result.requests} requests (seed ${result.seed}), refused ${JSON.stringify(result.refusals)}, pause ${result.pauseMs.map((ms) => ms.toFixed(1)).join(', ')} ms`);
  assert.ok(result.requests > 50, `only ${result.requests} requests`);
  assert.deepEqual(result.findings, []);
  assert.equal(result.trainsCorrectly, true);
});
