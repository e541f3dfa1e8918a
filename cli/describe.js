// The core's self-description (gan_describe) for the CLI's options and help.
// REPLACE with the runtime's `core.describe()` (web/runtime/loader.js) once
// it lands: this calls the export directly, with gan_config_to_json's buffer
// protocol (capacity 0 to learn the length, then length + 1).
import { loadGan } from '../web/runtime/loader.js';

export async function coreDescription() {
  const gan = await loadGan({ threads: 1 }); // no helper threads just to read a table
  if (typeof gan.describe === 'function') return gan.describe();
  if (!gan.exports.gan_describe) throw new Error('this wasm build has no gan_describe: rebuild it (npm run build)');
  return gan.withBuffers([4], (lengthPointer) => {
    gan.exports.gan_describe(0, 0, lengthPointer);
    const length = gan.heap().u32[lengthPointer >> 2];
    return gan.withBuffers([length + 1], (buffer) => {
      gan.check(gan.exports.gan_describe(buffer, length + 1, lengthPointer), 'gan_describe');
      return JSON.parse(gan.readCString(buffer));
    });
  });
}
