// The core loaded once in the CLI's own process (one thread: no helpers just
// to read a table), apart from the training worker, which starts later: its
// self-description (gan_describe) gives the options and the help, and its
// configuration calls check `train`'s options before any worker starts.
import { loadGan } from '../web/runtime/loader.js';

let core = null;

/** The core in this process (loaded once). */
export function localCore() {
  core ??= loadGan({ threads: 1 });
  return core;
}

export async function coreDescription() {
  return (await localCore()).description;
}
