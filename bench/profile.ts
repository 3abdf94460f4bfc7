// GPU time per kernel in a training step of the notebook autoencoder.
//   node scripts/run-ts.mjs bench/profile.ts [batch size] [--tuned] [--shapes]
// With --tuned the step's kernel variants are tuned for this adapter first (as bench:train
// and the command line do); without, they are the kernels' heuristic ones. With --shapes each
// entry point is listed per shape (its dispatches' params, kernel variant and workgroup grid),
// since the step runs conv2d.forward, say, at five shapes of very different cost.
// The engine records the step's dispatches (profile mode), and each is then timed on its own,
// repeated in one submission (measure.ts: profileDispatches); the whole step is timed the same
// way, for comparison with the sum of its parts.
import { createEngine } from '../src/kernels/registry.ts';
import { measure, profileDispatches, type DispatchProfile } from '../src/tuning/measure.ts';
import { tune } from '../src/tuning/tuner.ts';
import { notebookAutoencoder } from '../src/experiments/notebook-autoencoder.ts';
import { backward } from '../src/nn/autograd.ts';
import * as F from '../src/nn/functional.ts';
import { RMSprop } from '../src/nn/optimisers.ts';
import { Random } from '../src/random.ts';

const batchSize = Number(process.argv[2] ?? 32);
const tuned = process.argv.includes('--tuned');
const byShape = process.argv.includes('--shapes');
const engine = await createEngine({ profile: true });

const model = notebookAutoencoder(engine, 1);
const optimizer = RMSprop(engine, model.parameters());
const input = engine.tensor(new Random(1).values(batchSize * 3072, 0, 1), [batchSize, 3, 32, 32]).keep();
/** One training step, as bench:train runs it. */
const step = () =>
  engine.scope(() => {
    backward(F.binaryCrossEntropy(model.forward(input), input));
    optimizer.update();
    model.zeroGrad();
  });

if (tuned) await tune(engine, step);
const whole = await measure(engine, step);
engine.recordedDispatches(); // what the tuner and the step's timing dispatched
step();
const parts = await profileDispatches(engine, engine.recordedDispatches());
const report = byShape ? parts : byEntryPoint(parts);
const total = report.reduce((sum, entry) => sum + entry.milliseconds, 0);
console.log(
  `batch ${batchSize}: ${whole.toFixed(2)} ms a step timed whole (${((1000 * batchSize) / whole).toFixed(0)} img/s); its dispatches, each timed on its own, add up to ${total.toFixed(2)} ms\n`,
);
for (const entry of report) {
  console.log(
    `${entry.label.padEnd(40)} ${String(entry.dispatches).padStart(4)} x  ${entry.milliseconds.toFixed(3).padStart(8)} ms  ${((100 * entry.milliseconds) / total).toFixed(1).padStart(5)}%`,
  );
  if (byShape) console.log(`    ${entry.shape}`);
}

/** The profile summed over each entry point's shapes, slowest first. */
function byEntryPoint(entries: readonly DispatchProfile[]): DispatchProfile[] {
  const sums = new Map<string, DispatchProfile>();
  for (const { label, dispatches, milliseconds } of entries) {
    const sum = sums.get(label);
    sums.set(label, {
      label,
      shape: '',
      dispatches: dispatches + (sum?.dispatches ?? 0),
      milliseconds: milliseconds + (sum?.milliseconds ?? 0),
    });
  }
  return [...sums.values()].sort((a, b) => b.milliseconds - a.milliseconds);
}
