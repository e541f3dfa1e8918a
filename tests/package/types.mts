// Compiled, never run (tests/node/package.test.mjs): what the declarations must refuse, each
// line marked @ts-expect-error, so that tsc fails if a declaration grows too loose (an `any`,
// a missing union); and the element's declarations in use, which need the DOM.
import { createTrainer, type Trainer } from 'wasm-gan';
import type { GanTrainerElement } from 'wasm-gan/element';

export async function refused(trainer: Trainer): Promise<void> {
  // @ts-expect-error a checkpoint holds its own configuration: no preset beside it
  await createTrainer({ checkpoint: new Uint8Array(8), preset: 'small' });
  // @ts-expect-error no such option
  await createTrainer({ theads: 1 });
  // @ts-expect-error threads is 'auto' or a number
  await createTrainer({ threads: 'many' });
  // @ts-expect-error a count of steps is a number
  await trainer.train('5');
  // @ts-expect-error z, or seed and count, not both
  await trainer.sample({ z: new Float32Array(64), count: 1 });
  // @ts-expect-error no such event
  trainer.on('progress', () => {});
  // @ts-expect-error stats have no such field
  trainer.on('stats', (stats) => stats.dloss);
  // @ts-expect-error save() resolves with bytes
  const text: string = await trainer.save();
  // @ts-expect-error the configuration is read-only
  trainer.config = {};
  // @ts-expect-error load() takes bytes
  await trainer.load('checkpoint.safetensors');
  return void text;
}

export function element(): number {
  const trainer: GanTrainerElement = document.createElement('gan-trainer');
  trainer.addEventListener('gan-stats', (event) => console.log(event.detail.d_loss.toFixed(3)));
  trainer.addEventListener('gan-ready', (event) => console.log(event.detail.checkpoint?.step));
  // @ts-expect-error stats have no such field
  trainer.addEventListener('gan-stats', (event) => event.detail.dloss);
  void trainer.play();
  void trainer.evaluate().then((result) => result?.mean);
  return trainer.step;
}
