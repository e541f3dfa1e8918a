// Starts a module Web Worker from any URL. Browsers only run workers from the
// page's own origin, so when the script lives elsewhere (a CDN serving
// gan-trainer.js) the worker starts from a same-origin blob whose only line
// imports the real file; that file's import.meta.url stays its real URL, so
// its own relative imports and fetches resolve against the CDN as usual.

export function startModuleWorker(url, { name } = {}) {
  const absolute = new URL(url, globalThis.location?.href);
  if (globalThis.location && absolute.origin === globalThis.location.origin) {
    return new Worker(absolute, { type: 'module', name });
  }
  const source = `import ${JSON.stringify(absolute.href)};\n`;
  const blobUrl = URL.createObjectURL(new Blob([source], { type: 'text/javascript' }));
  const worker = new Worker(blobUrl, { type: 'module', name });
  // The worker has fetched the blob once it runs; revoking later is safe.
  setTimeout(() => URL.revokeObjectURL(blobUrl), 10_000);
  return worker;
}
