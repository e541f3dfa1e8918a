#!/usr/bin/env node
// The static server behind `npm start`: serves web/ on 127.0.0.1 with the
// right content types (application/wasm included) and, by default, the
// COOP/COEP headers that make the page cross-origin isolated, so the core can
// use threads (SharedArrayBuffer). Embeds do not need them; --no-isolation
// serves without, to see the page as a plain static host would show it.
//
//   node build-scripts/serve.mjs [--port N] [--no-isolation] [--root DIR]
//   PORT=9000 npm start
//
// Tests import startServer() and listen on a free port.
import { createServer } from 'node:http';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sirv from 'sirv';

const here = dirname(fileURLToPath(import.meta.url));
export const WEB_ROOT = join(here, '..', 'web');
const DEFAULT_PORT = 8080;

/**
 * Starts serving `root`. port 0 picks a free port; a busy fixed port falls
 * back to a free one. Resolves to {server, url, port, close()}.
 */
export function startServer({ root = WEB_ROOT, port = DEFAULT_PORT, host = '127.0.0.1', isolation = true, quiet = true } = {}) {
  const serveStatic = sirv(resolve(root), {
    dev: true, // always read from disk: a rebuild shows without a restart
    etag: true,
    setHeaders(response, pathname) {
      // web/data holds .gz files that the page fetches as bytes and unpacks
      // itself (as from any static host); sirv would label them as gzip
      // transfer encoding, making the browser unpack them on the way in.
      if (pathname.endsWith('.gz')) {
        response.setHeader('Content-Type', 'application/gzip');
        response.setHeader('Content-Encoding', 'identity');
      }
    },
  });
  const server = createServer((request, response) => {
    // On every response, 304 Not Modified included (sirv calls setHeaders
    // only for full ones): WebKit refuses a module worker revalidated by a
    // 304 without them on an isolated page.
    if (isolation) {
      response.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
      response.setHeader('Cross-Origin-Embedder-Policy', 'require-corp');
    }
    // Lets pages on other origins embed the element from this server (CDN-like).
    response.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    response.setHeader('Access-Control-Allow-Origin', '*');
    if (!quiet) response.on('finish', () => console.log(`${response.statusCode} ${request.method} ${request.url}`));
    serveStatic(request, response, () => {
      response.statusCode = 404;
      response.setHeader('Content-Type', 'text/plain; charset=utf-8');
      response.end(`Not found: ${request.url}\n`);
    });
  });
  const listen = (candidate) => new Promise((resolveListen, rejectListen) => {
    const onError = (error) => { server.off('listening', onListening); rejectListen(error); };
    const onListening = () => { server.off('error', onError); resolveListen(); };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(candidate, host);
  });
  return listen(port)
    .catch((error) => {
      if (error.code !== 'EADDRINUSE' || port === 0) throw error;
      return listen(0);
    })
    .then(() => {
      const actual = server.address().port;
      return {
        server,
        port: actual,
        url: `http://${host}:${actual}/`,
        close: () => new Promise((done) => { server.closeAllConnections?.(); server.close(() => done()); }),
      };
    });
}

function parseArguments(argv) {
  const options = { port: Number(process.env.PORT) || DEFAULT_PORT, isolation: true, quiet: true };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--no-isolation') options.isolation = false;
    else if (arg === '--isolation') options.isolation = true;
    else if (arg === '--log') options.quiet = false;
    else if (arg === '--port' && argv[i + 1]) options.port = Number(argv[++i]);
    else if (arg.startsWith('--port=')) options.port = Number(arg.slice(7));
    else if (arg === '--root' && argv[i + 1]) options.root = argv[++i];
    else if (arg === '--help' || arg === '-h') {
      console.log('usage: serve.mjs [--port N] [--no-isolation] [--root DIR] [--log]\n' +
        '  --port N        port on 127.0.0.1 (default $PORT or 8080; a busy port falls back to a free one)\n' +
        '  --no-isolation  leave out the COOP/COEP headers (the page then trains on one thread)\n' +
        '  --root DIR      folder to serve (default web/)\n' +
        '  --log           print each request');
      process.exit(0);
    } else {
      console.error(`serve.mjs: unknown option ${arg} (see --help)`);
      process.exit(2);
    }
  }
  if (!Number.isInteger(options.port) || options.port < 0 || options.port > 65535) {
    console.error(`serve.mjs: bad port ${options.port}`);
    process.exit(2);
  }
  return options;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const options = parseArguments(process.argv.slice(2));
  const { url } = await startServer(options);
  console.log(`wasm-gan is being served at ${url}`);
  console.log(`  page:  ${url}`);
  console.log(`  embed: ${url}embed-example.html`);
  console.log(options.isolation
    ? '  cross-origin isolated (COOP/COEP headers): the core may use threads'
    : '  no COOP/COEP headers: the core runs on one thread');
  console.log('Press Ctrl+C to stop.');
}
