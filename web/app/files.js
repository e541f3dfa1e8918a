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
