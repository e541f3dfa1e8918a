// The core's self-description (gan_describe) for the CLI's options and help:
// the core loaded once in this process (one thread: no helpers just to read
// a table), apart from the training worker, which starts later.
import { loadGan } from '../web/runtime/loader.js';

export async function coreDescription() {
  return (await loadGan({ threads: 1 })).description;
}
