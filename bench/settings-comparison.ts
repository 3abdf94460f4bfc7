// Two settings of the engine side by side: its default for this adapter and the other one,
// each on an engine of its own, in alternating rounds: the engine's own loop unrolling
// (EngineOptions.unrollLoops) or its wait policy (EngineOptions.waits). For unrolling the
// plain kernels are timed as written under each setting too. bench:browser --compare runs it in
// the page, bench/compare.ts under Node and Deno.
import { createEngine } from '../src/kernels/registry.ts';
import type { Engine, EngineOptions } from '../src/backend/engine.ts';
import { notebookAutoencoder } from '../src/experiments/notebook-autoencoder.ts';
import { RMSprop } from '../src/nn/optimisers.ts';
import { QUEUED_MILLISECONDS, type TrainingData } from '../src/nn/training.ts';
import { fastestInAlternatingRounds, measure } from '../src/tuning/measure.ts';
import { awaitAtOnce, sleepFirst } from '../src/tuning/waits.ts';
import { fullBatches, trainingStep } from './training-step.ts';
import { gigaflops, timeWork, TRAINING_CEILING_CONV, type TimedWork } from './ceilings.ts';
import { plainMatmul } from './kernels/matmul.ts';
import { plainConv, plainConvFlops } from './kernels/plain-conv.ts';
import { Random } from '../src/random.ts';

export type Comparison = 'unroll' | 'waits';

/** One setting's training step, on an engine of its own. */
function stepOn(engine: Engine, data: TrainingData, batchSize: number): { step: () => void; dispose: () => void } {
  const model = notebookAutoencoder(engine, 1);
  const optimizer = RMSprop(engine, model.parameters());
  return { step: trainingStep(engine, model, optimizer, data, fullBatches(data.count, batchSize)), dispose: () => optimizer.dispose() };
}

/** A turn of fastestInAlternatingRounds that times a training step as fit() queues it. */
export const timeStep = (engine: Engine, step: () => void) => () => measure(engine, step, { samples: 3, targetSampleMilliseconds: QUEUED_MILLISECONDS });

export interface ComparisonRecord {
  /** What was compared, and each setting's figure: img/s for training, GFLOP/s for the kernels. */
  readonly what: string;
  readonly settings: Record<string, number>;
  readonly adapter: string;
}

/** The engine's default setting against the other one, each on an engine of its own, alternating. */
export async function compare(data: TrainingData, batchSizes: readonly number[], what: Comparison): Promise<ComparisonRecord[]> {
  const base = await createEngine();
  const other: EngineOptions = what === 'unroll' ? { unrollLoops: !base.kernels.unrollsLoops } : { waits: base.waits === sleepFirst ? awaitAtOnce : sleepFirst };
  const engines = [base, await createEngine(other)];
  const name = (engine: Engine) => (what === 'unroll' ? (engine.kernels.unrollsLoops ? 'unrolled' : 'rolled') : engine.waits.name);
  const records: ComparisonRecord[] = [];
  const record = (label: string, values: readonly number[]) => {
    records.push({ what: label, settings: Object.fromEntries(engines.map((engine, i) => [name(engine), values[i]!])), adapter: base.adapterDescription });
    console.log(`${label}: ${engines.map((engine, i) => `${name(engine)} ${values[i]!.toFixed(2)}`).join(', ')}`);
  };
  if (what === 'unroll') {
    // The plain kernels as written (each engine's own unrolling decides): 512^3, and the ceiling conv at batch 32.
    for (const [label, make] of [['plain matmul 512^3, GFLOP/s', plainMatmulOn], ['plain conv 32x32 12->12 batch 32, GFLOP/s', plainConvOn]] as const) {
      const works = engines.map((engine) => make(engine));
      const milliseconds = await fastestInAlternatingRounds(works.map((work, i) => timeWork(engines[i]!, work)), 3);
      record(label, works.map((work, i) => gigaflops(work, milliseconds[i]!)));
      works.forEach((work) => work.dispose());
    }
  }
  for (const batchSize of batchSizes) {
    const steps = engines.map((engine) => stepOn(engine, data, batchSize));
    const milliseconds = await fastestInAlternatingRounds(steps.map(({ step }, i) => timeStep(engines[i]!, step)), 3);
    record(`training at batch ${batchSize}, img/s`, milliseconds.map((ms) => (1000 * batchSize) / ms));
    steps.forEach(({ dispose }) => dispose());
  }
  return records;
}

/** The plain kernels with their loops left to the engine's setting (ceilings.ts unrolls them always). */
function plainMatmulOn(engine: Engine): TimedWork {
  const random = new Random(1);
  const [a, b] = [0, 1].map(() => engine.tensor(random.values(512 * 512), [512, 512]).keep());
  return { flops: 2 * 512 ** 3, encode: () => void plainMatmul(engine, a!, b!, false), dispose: () => [a, b].forEach((t) => t!.dispose()) };
}

function plainConvOn(engine: Engine): TimedWork {
  const shape = { batch: 32, ...TRAINING_CEILING_CONV };
  const random = new Random(2);
  const input = engine.tensor(random.values(32 * 32 * 32 * 12), [32, 32, 32, 12]).keep();
  const weight = engine.tensor(random.values(9 * 144), [3, 3, 12, 12]).keep();
  return { flops: plainConvFlops(shape), encode: () => void plainConv(engine, input, weight, shape, false), dispose: () => [input, weight].forEach((t) => t.dispose()) };
}

