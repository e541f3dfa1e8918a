// Shared by the browser tests: the project's own static server on a free
// port, Debian's Chromium driven by playwright-core (never a downloaded
// browser), pages that record console errors and long tasks, and canvas
// pixel reads.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { startServer } from '../../build-scripts/serve.mjs';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const OUTPUT = join(ROOT, 'test-output');
mkdirSync(OUTPUT, { recursive: true });

export const CHROMIUM = '/usr/bin/chromium';
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync',
  // Hidden or occluded pages must keep drawing in the background of a test run.
  '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'];

export function assertBuilt() {
  for (const file of ['web/wasm/gan-simd.wasm', 'web/wasm/gan-scalar.wasm', 'web/data/mnist.json']) {
    if (!existsSync(join(ROOT, file))) throw new Error(`${file} is missing: run "npm run build" first`);
  }
}

export async function launch(serverOptions = {}) {
  assertBuilt();
  const server = await startServer({ port: 0, ...serverOptions });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
  return {
    server,
    browser,
    close: async () => { await browser.close(); await server.close(); },
  };
}

/**
 * A page that records console errors, uncaught exceptions and main-thread
 * long tasks (PerformanceObserver 'longtask', installed before any script).
 */
export async function openPage(browser, url, { viewport = { width: 1280, height: 1000 }, context = {} } = {}) {
  const browserContext = await browser.newContext({ viewport, acceptDownloads: true, ...context });
  const page = await browserContext.newPage();
  const errors = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(`console: ${message.text()}`); });
  page.on('pageerror', (error) => errors.push(`exception: ${error.message}`));
  await page.addInitScript(() => {
    globalThis.__longTasks = [];
    try {
      new PerformanceObserver((list) => {
        for (const entry of list.getEntries()) globalThis.__longTasks.push({ start: entry.startTime, duration: entry.duration });
      }).observe({ type: 'longtask', buffered: true });
    } catch { /* no longtask support: the test says so */ globalThis.__longTasks = null; }
  });
  await page.goto(url);
  return { page, errors, context: browserContext };
}

/**
 * Reads a canvas: `find` is a function run in the page returning the canvas.
 * Returns {width, height, pixels (array of RGBA bytes), inked: fraction of
 * pixels that differ from the most common colour}.
 */
export async function readCanvas(page, find, arg) {
  return page.evaluate(([source, argument]) => {
    const canvas = (0, eval)(`(${source})`)(argument);
    if (!canvas || !canvas.width || !canvas.height) return { width: 0, height: 0, pixels: [], inked: 0 };
    const { data } = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height);
    const counts = new Map();
    for (let i = 0; i < data.length; i += 4) {
      const key = (data[i] << 16) | (data[i + 1] << 8) | data[i + 2] | (data[i + 3] === 0 ? 1 << 24 : 0);
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    const common = Math.max(...counts.values());
    const total = data.length / 4;
    return { width: canvas.width, height: canvas.height, pixels: Array.from(data), inked: (total - common) / total };
  }, [find.toString(), arg]);
}

/** Fraction of bytes that differ between two pixel arrays of the same size. */
export function difference(a, b) {
  if (a.length !== b.length) return 1;
  let differing = 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) differing++;
  return differing / a.length;
}

export async function stepOf(page) {
  return Number(await page.textContent('#step-count'));
}

/** Waits until `predicate()` (run in Node) is true, polling. */
export async function until(predicate, { timeout = 30000, interval = 100, what = 'condition' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    if (await predicate()) return;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, interval));
  }
}
