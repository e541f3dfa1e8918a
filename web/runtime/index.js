// The entry of the wasm-gan package (package.json "exports": "."), for Node
// and browsers: a GAN trainer as promises and events (trainer.js), the
// errors it may reject with, and the MNIST the package carries. Types:
// index.d.ts beside this file; reference: docs/api.md.
//
//   import { createTrainer } from 'wasm-gan';
//   const trainer = await createTrainer({ preset: 'small', seed: 1 });
//   await trainer.train(500);
//   const { images } = await trainer.sample({ seed: 7, count: 16 });
//   trainer.dispose();
//
// The <gan-trainer> element is the other entry ("wasm-gan/element").

export { createTrainer, Trainer } from './trainer.js';
export { WorkerError } from './worker-client.js';
export { GanError } from './errors.js';
export { loadMnist } from './mnist.js';
