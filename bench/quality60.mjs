#!/usr/bin/env node
// Issue 13's headline figure: what the page makes of 60 seconds. Opens the
// demo page in Chromium (Debian's, through playwright-core), served
// cross-origin isolated so the core trains on threads, picks --preset (by
// default the page's own default), presses Start, presses "Save checkpoint"
// 60 s later by the page's clock (the page's own save: the download is kept;
// the checkpoint holds the step the worker had reached then), and runs
// `wasm-gan quality` on that checkpoint: the judge's Inception-score
// analogue, each digit's share, near-copies and the Parzen estimate, with the
// steps the page reached.
//
//   node bench/quality60.mjs [--preset NAME] [--query K=V&K=V] [--seconds 60]
//                            [--samples 10000] [--out DIR] [--json]
//
// --query adds the page's URL settings (docs/web.md), such as
// conditional=auxiliary&g-lr=0.002, to the preset.
//
// `npm run bench -- --only quality60 [--preset NAME]` runs it (bench/bench.mjs).
// The checkpoint is written to --out (default build/quality60/) as
// PRESET-stepN.safetensors, so the figures can be checked again, or the
// samples looked at (`wasm-gan sample`). The page is closed before the
// quality command runs, which then has the machine to itself.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { TARGETS } from '../cli/quality.js';
import { benchArgs } from './args.mjs';

/**
 * Trains on the page for `seconds` and saves the checkpoint into `out`.
 * Resolves {preset, mode, threads, seconds, savedAfter (seconds from the
 * Start click to the Save click, by the page's clock), checkpoint (its path),
 * pageErrors}.
 */
export async function trainOnPage({ preset = null, query = '', seconds = 60, out, log = () => {} }) {
  const { launch, openPage } = await import('../tests/browser/harness.mjs');
  const { server, browser, close } = await launch(); // COOP/COEP: threads
  try {
    const params = new URLSearchParams(query);
    if (preset) params.set('preset', preset);
    const { page, errors } = await openPage(browser, `${server.url}${params.size ? `?${params}` : ''}`);
    await page.waitForFunction(() => (globalThis.wasmGan?.errors?.length ?? 0) > 0 || !document.getElementById('start').disabled, null, { timeout: 120000 });
    const pageErrors = async () => [...errors, ...await page.evaluate(() => globalThis.wasmGan.errors)];
    if ((await pageErrors()).length) throw new Error(`the page failed: ${(await pageErrors()).join('; ')}`);
    const mode = await page.textContent('#mode');
    const chosen = await page.evaluate(() => globalThis.wasmGan.session.settings?.preset ?? document.getElementById('preset')?.value);
    if (preset && chosen !== preset) throw new Error(`the page runs preset '${chosen}', not '${preset}'`);
    log(`quality60: ${chosen} on the page (${mode.trim()}), ${seconds} s from Start`);
    // Start, and Save `seconds` later, by the page's own clock and buttons.
    const downloaded = page.waitForEvent('download', { timeout: (seconds + 120) * 1000 });
    await page.evaluate((ms) => {
      globalThis.quality60 = { start: performance.now() };
      document.getElementById('start').click();
      setTimeout(() => {
        globalThis.quality60.save = performance.now();
        document.getElementById('save').click();
      }, ms);
    }, seconds * 1000);
    const download = await downloaded;
    await page.click('#pause');
    const clicks = await page.evaluate(() => globalThis.quality60);
    const savedAfter = (clicks.save - clicks.start) / 1000;
    const name = download.suggestedFilename(); // wasm-gan-PRESET-stepN.safetensors
    mkdirSync(out, { recursive: true });
    const checkpoint = join(out, name.replace(/^wasm-gan-/, ''));
    await download.saveAs(checkpoint);
    const problems = await pageErrors();
    return {
      preset: chosen, query, mode: mode.trim(), threads: Number(/(\d+) threads?/.exec(mode)?.[1] ?? 1),
      seconds, savedAfter, checkpoint,
      ...(problems.length ? { pageErrors: problems } : {}),
    };
  } finally {
    await close();
  }
}

/** `wasm-gan quality CHECKPOINT --json`: resolves its figures. */
export function runQuality(checkpoint, samples) {
  const cli = fileURLToPath(new URL('../bin/wasm-gan.mjs', import.meta.url));
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cli, 'quality', checkpoint, '--samples', String(samples), '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`wasm-gan quality exited ${code}`));
      else resolve(JSON.parse(stdout));
    });
  });
}

/** The result as the bench prints it. */
export function quality60Text(r) {
  if (r.error) return `error: ${r.error}`;
  const q = r.quality;
  const mark = (met) => (met ? 'met' : 'NOT met');
  const shares = q.class_shares.map((share, digit) => `${digit}: ${(100 * share).toFixed(1)}%`).join('  ');
  return `preset ${r.preset}${r.query ? ` with ${r.query}` : ''} on the page in Chromium (${r.mode}): ${r.steps} steps in ${r.seconds} s ` +
    `(${r.stepsPerSecond.toFixed(1)} steps/s; Save pressed ${r.savedAfter.toFixed(2)} s after Start), ${r.checkpoint}
Inception score (judge): ${q.inception_score.toFixed(2)} (real test digits ${q.real.inception_score.toFixed(2)}; target >= ${TARGETS.inceptionScore.toFixed(1)}: ${mark(q.targets.inception_score)})
digits: ${shares} (smallest ${(100 * q.min_class_share).toFixed(1)}%; target >= ${100 * TARGETS.minClassShare}% each: ${mark(q.targets.class_shares)})
near-copies: ${(100 * q.near_copies.fraction).toFixed(2)}% (target < ${100 * TARGETS.nearCopyFraction}%: ${mark(q.targets.near_copies)})
Parzen: ${q.parzen.mean.toFixed(1)} ± ${q.parzen.std_error.toFixed(1)} nats (target >= ${TARGETS.parzenNats}: ${mark(q.targets.parzen)})${q.conditional ? `
asked-for class: the judge agrees on ${(100 * q.conditional.class_agreement).toFixed(2)}% (conditional ${q.conditional.kind})` : ''}
(${q.samples} samples; judge ${(100 * q.judge.accuracy).toFixed(2)}% on MNIST's test digits; quality took ${q.seconds.toFixed(1)} s; load ${r.load.map((l) => l.toFixed(2)).join(' ')} before the page)`;
}

export async function quality60({ preset = null, query = '', seconds = 60, samples = 10000, out, log = () => {} }) {
  const load = os.loadavg();
  const trained = await trainOnPage({ preset, query, seconds, out, log });
  log(`quality60: saved ${trained.checkpoint}; measuring it`);
  const quality = await runQuality(trained.checkpoint, samples);
  // The checkpoint's own step: where the worker was when Save reached it.
  return { kind: 'quality60', ...trained, steps: quality.step, stepsPerSecond: quality.step / seconds, load, quality };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const opts = benchArgs(import.meta.url, {
    preset: { type: 'string' },
    query: { type: 'string', default: '' },
    seconds: { type: 'number', default: 60 },
    samples: { type: 'number', default: 10000 },
    out: { type: 'string', default: fileURLToPath(new URL('../build/quality60/', import.meta.url)) },
    json: { type: 'boolean' },
  });
  if (!(opts.seconds > 0) || !(Number.isInteger(opts.samples) && opts.samples >= 1)) throw new Error('--seconds S > 0, --samples N >= 1');
  let result;
  try {
    result = await quality60({ ...opts, log: (line) => console.error(line) });
  } catch (error) {
    result = { kind: 'quality60', preset: opts.preset, error: error.message };
  }
  console.log(opts.json ? JSON.stringify(result) : quality60Text(result));
  process.exitCode = result.error ? 1 : 0;
}
