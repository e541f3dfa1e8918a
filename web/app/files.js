// Saving to and reading from the user's files.

/** Offers `blob` as a download named `name`. */
export function download(blob, name) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = name;
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 30_000);
}

/** The bytes of a File (from an <input type=file>). */
export async function readFileBytes(file) {
  return new Uint8Array(await file.arrayBuffer());
}

/** The most a checkpoint fetched from a URL may hold: the paper preset's with Adam's moments is about 40 MB. */
export const CHECKPOINT_URL_LIMIT = 256 * 1024 * 1024;

/**
 * Fetches `url` (relative to the document) as bytes, refusing more than
 * `maxBytes` before reading it all. Errors say what went wrong in words:
 * an unreachable URL, an HTTP status, a file too large.
 */
export async function fetchBytes(url, { maxBytes = CHECKPOINT_URL_LIMIT } = {}) {
  let response;
  try {
    response = await fetch(url);
  } catch (error) {
    throw new Error(`it could not be fetched (${error.message})`);
  }
  if (!response.ok) throw new Error(`the server answered ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`);
  const declared = Number(response.headers.get('content-length'));
  const tooLarge = () => new Error(`it is larger than ${maxBytes / 1024 / 1024} MiB, more than any checkpoint`);
  if (declared > maxBytes) { response.body?.cancel(); throw tooLarge(); }
  const chunks = [];
  let total = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.length;
    if (total > maxBytes) { reader.cancel(); throw tooLarge(); }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) { bytes.set(chunk, at); at += chunk.length; }
  return bytes;
}
