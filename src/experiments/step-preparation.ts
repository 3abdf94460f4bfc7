// Before a run trains: compile the training step's pipelines (so that epoch 1's time is
// training), and tune its kernels for this adapter where the run is long enough to pay for it.
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import * as F from '../nn/functional.ts';
import { backward } from '../nn/autograd.ts';
import type { Autoencoder } from '../nn/sequential.ts';
import type { LossFunction, TrainingData } from '../nn/training.ts';
import { loadTuning, saveTuning, tuningFilePath } from '../tuning/cache.ts';
import { challengersKept, tune } from '../tuning/tuner.ts';

/**
 * Compiles the pipelines of a training step before training (one forward and backward pass,
 * no update), so that epoch 1's time is training, and the compilation has a line of its own.
 */
export async function compileStep(
  engine: Engine,
  model: Autoencoder<Tensor>,
  data: TrainingData,
  batchSize: number,
  log: (line: string) => void,
  loss: LossFunction = F.binaryCrossEntropy,
): Promise<void> {
  const before = engine.kernels.pipelineCount;
  const start = performance.now();
  engine.scope(() => gradientStep(engine, model, loss)(firstBatch(engine, data, batchSize)));
  await engine.synchronize();
  const compiled = engine.kernels.pipelineCount - before;
  if (compiled > 0)
    log(
      `compiled ${compiled} kernel pipelines in ${((performance.now() - start) / 1000).toFixed(1)} s (not counted in the training time)`,
    );
}

/** A training step without the update: forward, loss, backward, gradients cleared (what compiling and tuning run). */
function gradientStep(
  engine: Engine,
  model: Autoencoder<Tensor>,
  loss: LossFunction,
): (batch: { inputs: Tensor; targets: Tensor }) => void {
  return ({ inputs, targets }) =>
    engine.scope(() => {
      backward(loss(model.forward(inputs), targets));
      model.zeroGrad();
    });
}

/** The first `batchSize` examples of `data` on the GPU (the targets are the inputs where data has none). */
function firstBatch(engine: Engine, data: TrainingData, batchSize: number): { inputs: Tensor; targets: Tensor } {
  const count = Math.min(batchSize, data.count);
  const batch = data.batch(Array.from({ length: count }, (_, i) => i));
  const inputs = engine.tensor(batch.inputs, [count, ...data.inputShape]);
  return { inputs, targets: batch.targets ? engine.tensor(batch.targets, [count, ...data.targetShape]) : inputs };
}

/**
 * About how long the tuner spends on one dispatch of a step, rounded up from the notebook's
 * step on lavapipe (docs/performance.md). Only for deciding whether to tune.
 */
const TUNING_SECONDS_PER_DISPATCH = 1.2;

/**
 * Whether timing `untuned` dispatches is worth it for `trainingSteps` steps of `stepMilliseconds`
 * each: only when the training would take at least as long as the tuning. A pure function of
 * the measured times, so the decision is tested with given times, never with the machine's.
 */
export function tuningDecision(
  untuned: number,
  stepMilliseconds: number,
  trainingSteps: number,
): { tune: boolean; tuningSeconds: number; trainingSeconds: number } {
  const tuningSeconds = untuned * TUNING_SECONDS_PER_DISPATCH;
  const trainingSeconds = (trainingSteps * stepMilliseconds) / 1000;
  return { tune: untuned > 0 && trainingSeconds >= tuningSeconds, tuningSeconds, trainingSeconds };
}

/**
 * Whether a run times the conv kernels' variants first: where the training is long enough to
 * pay for it (auto, the default), always (--tune) or never (--no-tune).
 */
export type Tuning = 'auto' | 'always' | 'never';

/** Tunes as `tuning` asks (tuneForTraining); returns which variants the run uses, for its report. */
export async function tuneAsAsked(
  engine: Engine,
  model: Autoencoder<Tensor>,
  data: TrainingData,
  batchSize: number,
  log: (line: string) => void,
  trainingSteps: number,
  tuning: Tuning,
  loss: LossFunction = F.binaryCrossEntropy,
): Promise<string> {
  if (tuning === 'never') return 'the heuristics (--no-tune)';
  return tuneForTraining(engine, model, data, batchSize, log, tuning === 'always' ? Infinity : trainingSteps, loss);
}

/** Tuning stops once this many dispatches in a row keep their heuristic variants. */
const STOP_AFTER_UNCHANGED = 6;

/**
 * Tunes the kernels of one training step at the run's batch size (cached per adapter), once the
 * run is worth it: a run whose `trainingSteps` would take less time than the tuning itself uses
 * the kernels' heuristic variants instead, and says so.
 */
export async function tuneForTraining(
  engine: Engine,
  model: Autoencoder<Tensor>,
  data: TrainingData,
  batchSize: number,
  log: (line: string) => void,
  trainingSteps = Infinity,
  loss: LossFunction = F.binaryCrossEntropy,
): Promise<string> {
  const path = tuningFilePath(engine.adapterDescription);
  loadTuning(engine, path);
  const step = gradientStep(engine, model, loss);
  // What tuning would time (the step's tunable dispatches the table lacks), and a step's time.
  const { untuned, stepMilliseconds } = await engine.scopeAsync(async () => {
    const batch = firstBatch(engine, data, batchSize);
    const keys = engine.tuning.collect(() => step(batch));
    await engine.synchronize();
    const start = performance.now();
    step(batch);
    step(batch);
    await engine.synchronize();
    return {
      untuned: [...keys].filter(([key, candidates]) => candidates.length > 1 && !engine.tuning.has(key)).length,
      stepMilliseconds: (performance.now() - start) / 2,
    };
  });
  if (untuned === 0) {
    log(`kernel variants: tuned for this adapter earlier (${path})`);
    return 'tuned for this adapter (by an earlier run)';
  }
  const { tune: worthIt, tuningSeconds, trainingSeconds } = tuningDecision(untuned, stepMilliseconds, trainingSteps);
  if (!worthIt) {
    log(
      `kernel tuning skipped: this run trains for about ${trainingSeconds.toFixed(0)} s, less than the ${tuningSeconds.toFixed(0)} s that timing the variants would take; the kernels' heuristic variants run instead`,
    );
    return 'the heuristics (tuning would have taken longer than the training)';
  }
  log(
    `timing kernel variants for this adapter: ${untuned} dispatches, about ${tuningSeconds.toFixed(0)} s, once (kept in ${path}); --no-tune skips it`,
  );
  const start = performance.now();
  const tuned = await engine.scopeAsync(async () => {
    const batch = firstBatch(engine, data, batchSize);
    // The cache was loaded above: tune what it lacks, saving the table as it changes.
    return tune(engine, () => step(batch), {
      onProgress: (done, total, key) => key && log(`  [${done + 1}/${total}] ${key}`),
      onTableChanged: () => saveTuning(engine, path),
      stopAfterUnchanged: STOP_AFTER_UNCHANGED,
      onStoppedEarly: (untimed) =>
        log(
          `  stopped early: ${STOP_AFTER_UNCHANGED} dispatches in a row kept their heuristic variants; the other ${untimed} keep theirs untimed`,
        ),
    });
  });
  if (tuned.length > 0) {
    const before = tuned.reduce((total, result) => total + result.heuristicMilliseconds, 0);
    const after = tuned.reduce((total, result) => total + result.chosenMilliseconds, 0);
    log(
      `tuned in ${((performance.now() - start) / 1000).toFixed(1)} s: the tuned passes take ${after.toFixed(1)} ms where the heuristic variants took ${before.toFixed(1)} ms`,
    );
    const check = tuned.find((result) => result.workCheck)?.workCheck;
    if (check) {
      log(
        `  the whole step: ${check.withChallengers.toFixed(1)} ms with the faster-looking variants, ${check.withHeuristics.toFixed(1)} ms without: ${challengersKept(check) ? 'kept' : 'heuristic variants kept instead'}`,
      );
    }
  }
  return 'tuned for this adapter by this run';
}
