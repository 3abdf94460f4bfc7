// GPU time per kernel in a training step of the notebook autoencoder, from timestamp queries.
//   node scripts/run-ts.mjs bench/profile.ts [batch size] [--tuned]
// With --tuned the step's kernel variants are tuned for this adapter first (as bench:train
// and the command line do); without, they are the kernels' heuristic ones.
import { createEngine } from '../src/runtime/device.ts';
import { Engine } from '../src/backend/engine.ts';
import { tune } from '../src/backend/tuner.ts';
import { notebookAutoencoder } from '../src/experiments/notebook-autoencoder.ts';
import { backward } from '../src/nn/autograd.ts';
import * as F from '../src/nn/functional.ts';
import { RMSprop } from '../src/nn/optimisers.ts';
import { Random } from '../src/random.ts';

const batchSize = Number(process.argv[2] ?? 32);
const tuned = process.argv.includes('--tuned');
const STEPS = 10;
const engine = await createEngine({ profile: true });

/** One training step of a fresh notebook autoencoder on `on`, as bench:train runs it. */
function trainingStep(on: Engine): () => void {
  const model = notebookAutoencoder(on, 1);
  const optimizer = RMSprop(on, model.parameters());
  const input = on.tensor(new Random(1).values(batchSize * 3072, 0, 1), [batchSize, 3, 32, 32]).keep();
  return () => on.scope(() => {
    backward(F.binaryCrossEntropy(model.forward(input), input));
    optimizer.update();
    model.zeroGrad();
  });
}

const step = trainingStep(engine);
if (tuned) {
  // The profiling engine submits each dispatch on its own, so the tuner times the step on a
  // second engine over the same device, whose choices this one adopts.
  const tuner = await Engine.create(engine.device, { adapterDescription: engine.adapterDescription });
  await tune(tuner, trainingStep(tuner));
  engine.tuning.load(tuner.tuning.toFile(engine.adapterDescription), engine.adapterDescription);
}
step();
await engine.profile(); // discard the first step (pipeline compilation)
for (let i = 0; i < STEPS; i++) step();
const report = await engine.profile();
const total = report.reduce((sum, entry) => sum + entry.milliseconds, 0) / STEPS;
console.log(`batch ${batchSize}: ${total.toFixed(2)} ms of GPU time per step (${((1000 * batchSize) / total).toFixed(0)} img/s if nothing else cost time)\n`);
for (const entry of report) {
  const perStep = entry.milliseconds / STEPS;
  console.log(`${entry.label.padEnd(40)} ${String(entry.dispatches / STEPS).padStart(4)} x  ${perStep.toFixed(3).padStart(8)} ms  ${((100 * perStep) / total).toFixed(1).padStart(5)}%`);
}
