// Two settings of the engine side by side: its default for this adapter and the other one,
// each on an engine of its own, in alternating rounds: the engine's own loop unrolling
// (EngineOptions.unrollLoops) or its wait policy (EngineOptions.waits). For unrolling the
// plain kernels are timed as written under each setting too. bench:browser --compare runs it in
// the page, bench/compare.ts under Node and Deno.
import { createEngine } from '../src/kernels/registry.ts';
import type { Engine, EngineOptions } from '../src/backend/engine.ts';
import { notebookAutoencoder } from '../src/experiments/notebook-autoencoder.ts';
import { RMSprop } from '../src/nn/optimisers.ts';
import type { TrainingData } from '../src/nn/training.ts';
import { fastestInAlternatingRounds } from '../src/tuning/measure.ts';
import { awaitAtOnce, sleepFirst } from '../src/tuning/waits.ts';
import { fullBatches, timeStep, trainingStep } from './training-step.ts';
import {
  gigaflops,
  plainConvWork,
  plainMatmulWork,
  timeWork,
  TRAINING_CEILING_CONV,
  type TimedWork,
} from '../src/benchmarks/ceilings.ts';

export type Comparison = 'unroll' | 'waits';

/** One setting's training step, on an engine of its own. */
function stepOn(engine: Engine, data: TrainingData, batchSize: number): { step: () => void; dispose: () => void } {
  const model = notebookAutoencoder(engine, 1);
  const optimizer = RMSprop(engine, model.parameters());
  return {
    step: trainingStep(engine, model, optimizer, data, fullBatches(data.count, batchSize)),
    dispose: () => optimizer.dispose(),
  };
}

export interface ComparisonRecord {
  /** What was compared, and each setting's figure: img/s for training, GFLOP/s for the kernels. */
  readonly what: string;
  readonly settings: Record<string, number>;
  readonly adapter: string;
}

/** The engine's default setting against the other one, each on an engine of its own, alternating. */
export async function compare(
  data: TrainingData,
  batchSizes: readonly number[],
  what: Comparison,
): Promise<ComparisonRecord[]> {
  const base = await createEngine();
  const other: EngineOptions =
    what === 'unroll'
      ? { unrollLoops: !base.kernels.unrollsLoops }
      : { waits: base.waits === sleepFirst ? awaitAtOnce : sleepFirst };
  const engines = [base, await createEngine(other)];
  const name = (engine: Engine) =>
    what === 'unroll' ? (engine.kernels.unrollsLoops ? 'unrolled' : 'rolled') : engine.waits.name;
  const records: ComparisonRecord[] = [];
  const record = (label: string, values: readonly number[]) => {
    records.push({
      what: label,
      settings: Object.fromEntries(engines.map((engine, i) => [name(engine), values[i]!])),
      adapter: base.adapterDescription,
    });
    console.log(`${label}: ${engines.map((engine, i) => `${name(engine)} ${values[i]!.toFixed(2)}`).join(', ')}`);
  };
  if (what === 'unroll') {
    // The plain kernels as written (each engine's own unrolling decides): 512^3, and the ceiling conv at batch 32.
    const plainKernels: [string, (engine: Engine) => TimedWork][] = [
      ['plain matmul 512^3, GFLOP/s', (engine) => plainMatmulWork(engine, 512, false)],
      [
        'plain conv 32x32 12->12 batch 32, GFLOP/s',
        (engine) => plainConvWork(engine, { batch: 32, ...TRAINING_CEILING_CONV }, false),
      ],
    ];
    for (const [label, make] of plainKernels) {
      const works = engines.map((engine) => make(engine));
      const milliseconds = await fastestInAlternatingRounds(
        works.map((work, i) => timeWork(engines[i]!, work)),
        3,
      );
      record(
        label,
        works.map((work, i) => gigaflops(work, milliseconds[i]!)),
      );
      works.forEach((work) => work.dispose());
    }
  }
  for (const batchSize of batchSizes) {
    const steps = engines.map((engine) => stepOn(engine, data, batchSize));
    const milliseconds = await fastestInAlternatingRounds(
      steps.map(({ step }, i) => timeStep(engines[i]!, step)),
      3,
    );
    record(
      `training at batch ${batchSize}, img/s`,
      milliseconds.map((ms) => (1000 * batchSize) / ms),
    );
    steps.forEach(({ dispose }) => dispose());
  }
  return records;
}
