// One small driver for the three browser engines, so one test file (or the
// bench) runs in each: open a URL, evaluate a function in the page, wait for
// a condition, take a screenshot. All three browsers come from Debian
// (build-scripts/ensure-tools.sh --test installs them):
//
//   chromium  /usr/bin/chromium, through playwright-core (as the other browser tests)
//   firefox   /usr/bin/firefox-esr, through puppeteer-core over WebDriver BiDi, headless
//   webkit    WebKitGTK's MiniBrowser, through WebKitWebDriver (W3C WebDriver over
//             plain HTTP, the small client below) under xvfb-run: MiniBrowser has no
//             headless mode
//
//   const engine = await launchEngine('webkit');
//   const page = await engine.open(url, { viewport: { width: 1280, height: 1000 } });
//   const title = await page.evaluate(() => document.title);
//   await page.waitFor((id) => !document.getElementById(id).disabled, 'start', { timeout: 90000 });
//   await page.screenshot('test-output/page-webkit.png');
//   page.errors; // console errors and uncaught exceptions, where the engine's automation shows them
//   await engine.close();
//
// Functions given to evaluate() and waitFor() run in the page: they see only
// their one argument (JSON), and may return a promise; the result comes back
// as JSON. WebKit's WebDriver shows no console output and no uncaught
// exception, from the page or its workers, so `page.errors` stays empty there:
// pages report their errors themselves (the page's wasmGan.errors, the
// element's errors), and the tests read those in every engine.
import { spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

export const ALL_ENGINES = ['chromium', 'firefox', 'webkit'];

/** The engines to run: all, or those named in WASM_GAN_ENGINES (e.g. "firefox,webkit"). */
export const ENGINES = process.env.WASM_GAN_ENGINES
  ? process.env.WASM_GAN_ENGINES.split(',').map((name) => name.trim()).filter((name) => ALL_ENGINES.includes(name))
  : ALL_ENGINES;

export const BROWSERS = {
  chromium: '/usr/bin/chromium',
  firefox: '/usr/bin/firefox-esr',
  webkit: '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
};

const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--no-first-run', '--disable-sync',
  // Hidden or occluded pages must keep drawing in the background of a test run.
  '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'];

const DEFAULT_VIEWPORT = { width: 1280, height: 1000 };

/** Starts `name` (one of ENGINES). Resolves to {name, open(url, options), close()}. */
export async function launchEngine(name) {
  const binary = BROWSERS[name];
  if (!binary) throw new Error(`unknown engine ${name}: one of ${ALL_ENGINES.join(', ')}`);
  if (!existsSync(binary)) throw new Error(`${binary} is missing: run "bash build-scripts/ensure-tools.sh --test"`);
  if (name === 'chromium') return launchPlaywrightChromium();
  if (name === 'firefox') return launchPuppeteerFirefox();
  return launchWebKit();
}

/** Polls `check()` (in Node) until it is truthy. */
async function poll(check, { timeout = 30000, interval = 100, what = 'a condition' } = {}) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await sleep(interval);
  }
}

/** The page interface every engine gives, over its own `evaluate(source, arg)`. */
function pageOf({ evaluate, screenshot, close, errors = [] }) {
  return {
    errors,
    evaluate: (fn, arg = null) => evaluate(fn, arg),
    /** Waits until `fn(arg)`, run in the page, returns something truthy; resolves to it. */
    waitFor: (fn, arg = null, options = {}) => poll(() => evaluate(fn, arg), { what: String(fn), ...options }),
    screenshot,
    close,
  };
}

// --- Chromium: playwright-core -------------------------------------------------

// A Playwright or Puppeteer page (they share these calls) in its own context:
// collects its errors, loads url.
async function loadPage(context, page, url) {
  const errors = [];
  page.on('console', (message) => { if (message.type() === 'error') errors.push(`console: ${message.text()}`); });
  page.on('pageerror', (error) => errors.push(`exception: ${error.message}`));
  await page.goto(url);
  return pageOf({
    errors,
    evaluate: (fn, arg) => page.evaluate(fn, arg),
    screenshot: (path) => page.screenshot({ path }),
    close: () => context.close(),
  });
}

async function launchPlaywrightChromium() {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: BROWSERS.chromium, args: CHROMIUM_FLAGS });
  return {
    name: 'chromium',
    version: browser.version(),
    async open(url, { viewport = DEFAULT_VIEWPORT } = {}) {
      const context = await browser.newContext({ viewport });
      const page = await context.newPage();
      return loadPage(context, page, url);
    },
    close: () => browser.close(),
  };
}

// --- Firefox: puppeteer-core over WebDriver BiDi ---------------------------------

async function launchPuppeteerFirefox() {
  const { default: puppeteer } = await import('puppeteer-core');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: BROWSERS.firefox,
    headless: true,
    extraPrefsFirefox: {
      // A test machine: no updates, telemetry or first-run pages.
      'app.update.enabled': false,
      'datareporting.policy.dataSubmissionEnabled': false,
      'browser.shell.checkDefaultBrowser': false,
    },
  });
  return {
    name: 'firefox',
    version: await browser.version(),
    async open(url, { viewport = DEFAULT_VIEWPORT } = {}) {
      const context = await browser.createBrowserContext();
      const page = await context.newPage();
      await page.setViewport(viewport);
      return loadPage(context, page, url);
    },
    close: () => browser.close(),
  };
}

// --- WebKit: WebKitWebDriver (W3C WebDriver over HTTP) under Xvfb -------------------

/** A free TCP port on 127.0.0.1. */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/** A W3C WebDriver endpoint: command(method, path, body) -> the answer's `value`. */
function webDriverClient(base) {
  return async function command(method, path, body) {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json; charset=utf-8' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const answer = await response.json().catch(() => ({ value: { error: `HTTP ${response.status}`, message: 'not JSON' } }));
    if (!response.ok || answer.value?.error) {
      throw new Error(`WebDriver ${method} ${path}: ${answer.value?.error ?? response.status}: ${answer.value?.message ?? ''}`);
    }
    return answer.value;
  };
}

// Runs the function's source on its argument and hands back {ok, value} or
// {ok: false, error}: WebDriver's own error for a rejected promise loses the stack.
const ASYNC_SCRIPT = `const [source, argument, done] = arguments;
Promise.resolve().then(() => (0, eval)('(' + source + ')')(argument)).then(
  (value) => done({ ok: true, value: value === undefined ? null : value }),
  (error) => done({ ok: false, error: String((error && error.stack) || error) }));`;

async function launchWebKit() {
  const port = await freePort();
  // -a: a free display number. Its own process group, so close() ends Xvfb,
  // the driver and the browser it started together.
  const driver = spawn('xvfb-run', ['-a', '-s', '-screen 0 1600x1200x24', 'WebKitWebDriver', `--port=${port}`, '--host=127.0.0.1'], {
    detached: true, stdio: ['ignore', 'ignore', 'pipe'],
  });
  let driverLog = '';
  driver.stderr.on('data', (chunk) => { driverLog = (driverLog + chunk).slice(-4000); });
  const exited = new Promise((resolve) => driver.once('exit', resolve));
  // Detached, the group outlives this process unless ended: also when it exits early.
  const endGroup = () => { try { process.kill(-driver.pid, 'SIGKILL'); } catch { /* gone */ } };
  process.once('exit', endGroup);
  const stop = async () => {
    process.off('exit', endGroup);
    try { process.kill(-driver.pid, 'SIGTERM'); } catch { /* already gone */ }
    await Promise.race([exited, sleep(3000)]);
    try { process.kill(-driver.pid, 'SIGKILL'); } catch { /* gone */ }
  };
  const command = webDriverClient(`http://127.0.0.1:${port}`);
  let session = null;
  let version = null;
  try {
    await poll(() => command('GET', '/status').then((status) => status.ready, () => false),
      { timeout: 20000, what: `WebKitWebDriver on port ${port} ${driverLog}` });
    const created = await command('POST', '/session', {
      capabilities: {
        alwaysMatch: {
          browserName: 'MiniBrowser',
          'webkitgtk:browserOptions': { binary: BROWSERS.webkit, args: ['--automation'] },
        },
      },
    });
    session = `/session/${created.sessionId}`;
    version = created.capabilities?.browserVersion ?? null;
    await command('POST', `${session}/timeouts`, { script: 300000, pageLoad: 120000 });
  } catch (error) {
    await stop();
    throw new Error(`WebKit did not start: ${error.message}${driverLog ? `\n${driverLog}` : ''}`);
  }
  let current = null; // WebDriver drives one window: one page at a time
  return {
    name: 'webkit',
    version,
    async open(url, { viewport = DEFAULT_VIEWPORT } = {}) {
      if (current) await current.close();
      // The window's size, not the viewport's; close enough for these pages.
      await command('POST', `${session}/window/rect`, { width: viewport.width, height: viewport.height });
      await command('POST', `${session}/url`, { url });
      const evaluate = async (fn, arg) => {
        const result = await command('POST', `${session}/execute/async`, { script: ASYNC_SCRIPT, args: [String(fn), arg ?? null] });
        if (!result?.ok) throw new Error(`in WebKit: ${result?.error}`);
        return result.value;
      };
      const page = pageOf({
        evaluate,
        async screenshot(path) { // the viewport only: WebKit has no full-page screenshot
          writeFileSync(path, Buffer.from(await command('GET', `${session}/screenshot`), 'base64'));
        },
        async close() {
          if (current !== page) return;
          current = null;
          await command('POST', `${session}/url`, { url: 'about:blank' });
        },
      });
      current = page;
      return page;
    },
    async close() {
      await command('DELETE', session).catch(() => {});
      await stop();
    },
  };
}
