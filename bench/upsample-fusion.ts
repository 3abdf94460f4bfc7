// The notebook autoencoder's training step with each UpSampling2D + Conv2D pair run as one
// conv2d with `upsample` (as Sequential runs them) against the two layers run one after the
// other (the upsampled image stored, the conv over it), side by side in one process: both
// tuned for this adapter first, then timed in alternating rounds (measure.ts), with the tuned
// and with the heuristic kernel variants.
//   node scripts/run-ts.mjs bench/upsample-fusion.ts [batch sizes...]
import { createEngine } from '../src/runtime/device.ts';
import { compareSettings } from '../src/backend/measure.ts';
import { tune } from '../src/backend/tuner.ts';
import { notebookAutoencoder } from '../src/experiments/notebook-autoencoder.ts';
import { backward } from '../src/nn/autograd.ts';
import * as F from '../src/nn/functional.ts';
import { RMSprop } from '../src/nn/optimisers.ts';
import { Random } from '../src/random.ts';
import type { Tensor } from '../src/backend/tensor.ts';

const engine = await createEngine();
const model = notebookAutoencoder(engine, 1);
const optimizer = RMSprop(engine, model.parameters());
/** The layers one by one: no fusion. */
const unfused = (input: Tensor) => [...model.encoder.layers, ...model.decoder.layers].reduce((value, layer) => layer.forward(value), input);

const batchSizes = process.argv.slice(2).map(Number);
for (const batchSize of batchSizes.length > 0 ? batchSizes : [32, 256]) {
  const input = engine.tensor(new Random(batchSize).values(batchSize * 3072, 0, 1), [batchSize, 3, 32, 32]).keep();
  let fused = true;
  const step = () => {
    backward(F.binaryCrossEntropy(fused ? model.forward(input) : unfused(input), input));
    optimizer.update();
    model.zeroGrad();
  };
  for (const setting of [true, false]) {
    fused = setting;
    await tune(engine, step);
  }
  const settings = [true, false].flatMap((tuned) => [true, false].map((fusion) => () => {
    engine.tuning.enabled = tuned;
    fused = fusion;
  }));
  const [fusedTuned, unfusedTuned, fusedHeuristic, unfusedHeuristic] = await compareSettings(engine, step, settings);
  const imagesPerSecond = (milliseconds: number) => ((1000 * batchSize) / milliseconds).toFixed(0);
  for (const [variants, fusedMs, unfusedMs] of [['tuned', fusedTuned!, unfusedTuned!], ['heuristic', fusedHeuristic!, unfusedHeuristic!]] as const) {
    console.log(`batch ${batchSize}, ${variants} variants: fused ${imagesPerSecond(fusedMs)} img/s, unfused ${imagesPerSecond(unfusedMs)} img/s (${(unfusedMs / fusedMs).toFixed(2)}x)`);
  }
  engine.tuning.enabled = true;
  input.dispose();
}
