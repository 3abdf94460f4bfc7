// The notebook autoencoder's training step with Sequential's fusions (modules.ts, Fusions)
// all on, each one off, and all off (the layers one by one), side by side in one process:
// every setting tuned for this adapter first, then timed in alternating rounds (measure.ts).
// `--heuristic` adds the same settings with the kernels' heuristic variants.
//   npm run bench:fusion -- [--heuristic] [batch sizes...]
import { createEngine } from '../src/kernels/registry.ts';
import { compareSettings } from '../src/tuning/measure.ts';
import { tune } from '../src/tuning/tuner.ts';
import { notebookAutoencoder } from '../src/experiments/notebook-autoencoder.ts';
import { backward } from '../src/nn/autograd.ts';
import * as F from '../src/nn/functional.ts';
import type { Fusions } from '../src/nn/sequential.ts';
import { RMSprop } from '../src/nn/optimisers.ts';
import { Random } from '../src/random.ts';

const engine = await createEngine();
const model = notebookAutoencoder(engine, 1);
const optimizer = RMSprop(engine, model.parameters());
const useFusions = (fusions: Fusions) => {
  model.encoder.fusions = { ...fusions };
  model.decoder.fusions = { ...fusions };
};
const fusionSettings: [string, Fusions][] = [
  ['all fusions', { upsampleIntoConv: true, reluIntoPool: true }],
  ['without relu into pool', { upsampleIntoConv: true, reluIntoPool: false }],
  ['without upsample into conv', { upsampleIntoConv: false, reluIntoPool: true }],
  ['layers one by one', { upsampleIntoConv: false, reluIntoPool: false }],
];

const heuristicToo = process.argv.includes('--heuristic');
const batchSizes = process.argv
  .slice(2)
  .filter((argument) => !argument.startsWith('--'))
  .map(Number);
for (const batchSize of batchSizes.length > 0 ? batchSizes : [32, 256]) {
  const input = engine.tensor(new Random(batchSize).values(batchSize * 3072, 0, 1), [batchSize, 3, 32, 32]).keep();
  const step = () => {
    backward(F.binaryCrossEntropy(model.forward(input), input));
    optimizer.update();
    model.zeroGrad();
  };
  for (const [, fusions] of fusionSettings) {
    useFusions(fusions);
    await tune(engine, step);
  }
  const variants = heuristicToo ? [true, false] : [true];
  const settings = variants.flatMap((tuned) => fusionSettings.map(([name, fusions]) => ({ name, tuned, fusions })));
  const milliseconds = await compareSettings(
    engine,
    step,
    settings.map(({ tuned, fusions }) => () => {
      engine.tuning.enabled = tuned;
      useFusions(fusions);
    }),
  );
  for (const [i, { name, tuned }] of settings.entries()) {
    const allFused = milliseconds[tuned ? 0 : fusionSettings.length]!;
    const imagesPerSecond = (1000 * batchSize) / milliseconds[i]!;
    console.log(
      `batch ${batchSize}, ${tuned ? 'tuned' : 'heuristic'} variants, ${name.padEnd(27)} ${imagesPerSecond.toFixed(0).padStart(5)} img/s, a step ${(milliseconds[i]! / allFused).toFixed(2)}x as long as with all fusions`,
    );
  }
  engine.tuning.enabled = true;
  input.dispose();
}
