// The sweep's throughput: every configuration of the notebook's grid trained on the shared
// CIFAR-10 at the run's batch size, its images per second and its share of the compute-bound
// limit (its training FLOPs per image as the kernels execute them, over the plain direct
// conv's GFLOP/s measured in the same run, as bench:train does: ceilings.ts); then the smallest models (latent 32-128) trained K at a time,
// their steps interleaved in one command stream, against one at a time, alternating. The
// grid's total is the summed time for one epoch of 3,728 images per trial.
//   npm run bench:sweep [-- --batch-size 32 --concurrency 1,2,4]
// Prints a table and writes bench/results/sweep.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createEngine } from '../src/kernels/registry.ts';
import { runtimeName } from '../src/backend/device.ts';
import { loadCifar10 } from '../src/data/cifar10.ts';
import { autoencoderData } from '../src/data/image-set.ts';
import { RMSprop, type Optimizer } from '../src/nn/optimisers.ts';
import type { Autoencoder } from '../src/nn/sequential.ts';
import type { Tensor } from '../src/backend/tensor.ts';
import { QUEUED_MILLISECONDS } from '../src/nn/step-clock.ts';
import { architectureAutoencoder } from '../src/experiments/configurable-autoencoder.ts';
import { gridTrials, NOTEBOOK_GRID, type Trial } from '../src/experiments/sweep-grid.ts';
import { fastestInAlternatingRounds, measure } from '../src/tuning/measure.ts';
import { measureGigaflops, plainConvWork, TRAINING_CEILING_CONV } from '../src/benchmarks/ceilings.ts';
import { fullBatches, trainingFlops, trainingStep } from './training-step.ts';
import { CIFAR10_DIRECTORY } from '../scripts/data-location.mjs';

const argument = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? process.argv[index + 1]! : fallback;
};
const batchSize = Number(argument('batch-size', '32'));
const concurrencies = argument('concurrency', '1,2,4').split(',').map(Number);
const EPOCH_IMAGES = 3728;

const engine = await createEngine();
const progress = (line: string) => console.error(`[bench:sweep] ${line}`);
const { train } = loadCifar10(CIFAR10_DIRECTORY);
const data = autoencoderData(train);
const batches = fullBatches(data.count, batchSize);
const ceiling = plainConvWork(engine, { batch: batchSize, ...TRAINING_CEILING_CONV });
const [plainConvGflops] = await measureGigaflops(engine, [ceiling]);
ceiling.dispose();
progress(`plain conv ${plainConvGflops!.toFixed(2)} GFLOP/s; batch ${batchSize}`);

interface Trainer {
  readonly trial: Trial;
  readonly model: Autoencoder<Tensor>;
  readonly optimizer: Optimizer;
  readonly step: () => void;
  /** A training step's FLOPs per image: the forward pass, and each conv's weight and input gradients (not the first conv's input gradient), as direct convolutions. */
  readonly flopsPerImage: number;
  /** The same as the kernels execute them: an upsampled conv runs a share of the direct taps (conv2d.ts). */
  readonly executedFlopsPerImage: number;
}

function trainer(trial: Trial): Trainer {
  const model = architectureAutoencoder(engine, trial.architecture, 1);
  const optimizer = RMSprop(engine, model.parameters());
  const step = trainingStep(engine, model, optimizer, data, batches);
  return { trial, model, optimizer, step, ...trainingFlops(model) };
}

const dispose = (trainers: readonly Trainer[]) =>
  trainers.forEach(({ model, optimizer }) => {
    model.parameters().forEach((parameter) => parameter.dispose());
    optimizer.dispose();
  });

const timeSteps = (trainers: readonly Trainer[]) => () =>
  measure(engine, () => engine.scope(() => trainers.forEach(({ step }) => step())), {
    samples: 3,
    targetSampleMilliseconds: QUEUED_MILLISECONDS,
  });

interface TrialRecord {
  trial: number;
  name: string;
  latentSize: number;
  imagesPerSecond: number;
  flopsPerImage: number;
  executedFlopsPerImage: number;
  /** Images per second at the plain conv's GFLOP/s, by the executed FLOPs: the compute-bound limit. */
  limitImagesPerSecond: number;
  shareOfLimit: number;
}

const trials = gridTrials(NOTEBOOK_GRID);
const records: TrialRecord[] = [];
for (const trial of trials) {
  const one = trainer(trial);
  engine.scope(() => one.step()); // compiles its kernels
  await engine.synchronize();
  const [milliseconds] = await fastestInAlternatingRounds([timeSteps([one])], 3);
  const imagesPerSecond = (1000 * batchSize) / milliseconds!;
  const limitImagesPerSecond = (plainConvGflops! * 1e9) / one.executedFlopsPerImage;
  records.push({
    trial: trial.number,
    name: trial.name,
    latentSize: trial.latentSize,
    imagesPerSecond,
    flopsPerImage: one.flopsPerImage,
    executedFlopsPerImage: one.executedFlopsPerImage,
    limitImagesPerSecond,
    shareOfLimit: imagesPerSecond / limitImagesPerSecond,
  });
  progress(
    `${trial.name}: ${imagesPerSecond.toFixed(0)} img/s, ${((100 * imagesPerSecond) / limitImagesPerSecond).toFixed(1)}% of the limit`,
  );
  dispose([one]);
}

// The smallest models, K at a time against one at a time: each round times the same K models
// stepped together and stepped one after the other, alternating.
const smallest = trials.filter((trial) => trial.latentSize <= 128);
const concurrency: { k: number; together: number; alone: number; speedup: number }[] = [];
for (const k of concurrencies.filter((value) => value > 1)) {
  const group = smallest.slice(0, k).map(trainer);
  engine.scope(() => group.forEach(({ step }) => step()));
  await engine.synchronize();
  const [together, ...alone] = await fastestInAlternatingRounds(
    [timeSteps(group), ...group.map((one) => timeSteps([one]))],
    3,
  );
  const aloneTotal = alone.reduce((total, milliseconds) => total + milliseconds, 0);
  concurrency.push({ k, together: together!, alone: aloneTotal, speedup: aloneTotal / together! });
  progress(
    `${k} of the smallest models together: ${together!.toFixed(2)} ms a step each, one at a time ${aloneTotal.toFixed(2)} ms: ${(aloneTotal / together!).toFixed(2)}x`,
  );
  dispose(group);
}

const totalFlops = records.reduce((total, record) => total + record.executedFlopsPerImage, 0);
const epochSeconds = records.reduce((total, record) => total + EPOCH_IMAGES / record.imagesPerSecond, 0);
const gridShare = (totalFlops * EPOCH_IMAGES) / (plainConvGflops! * 1e9) / epochSeconds;
const best = concurrency.reduce<(typeof concurrency)[number] | null>(
  (top, entry) => (!top || entry.speedup > top.speedup ? entry : top),
  null,
);

console.log('trial                    latent   img/s   share of the compute-bound limit (executed FLOPs)');
for (const record of records)
  console.log(
    `${record.name.padEnd(22)} ${String(record.latentSize).padStart(7)} ${record.imagesPerSecond.toFixed(0).padStart(7)}   ${(100 * record.shareOfLimit).toFixed(1)}% of ${record.limitImagesPerSecond.toFixed(0)} img/s`,
  );
console.log(
  `\nthe grid, one epoch of ${EPOCH_IMAGES} images per trial: ${epochSeconds.toFixed(1)} s one trial at a time, ${(100 * gridShare).toFixed(1)}% of the compute-bound limit summed over trials`,
);
for (const entry of concurrency)
  console.log(`${entry.k} smallest models stepped together: ${entry.speedup.toFixed(2)}x one at a time`);
console.log(`adapter: ${engine.adapterDescription}\nplain conv ${plainConvGflops!.toFixed(2)} GFLOP/s`);

mkdirSync('bench/results', { recursive: true });
const file = runtimeName() === 'deno' ? 'bench/results/sweep-deno.json' : 'bench/results/sweep.json';
writeFileSync(
  file,
  JSON.stringify(
    {
      date: new Date().toISOString().slice(0, 10),
      adapter: engine.adapterDescription,
      batchSize,
      plainConvGflops,
      epochImages: EPOCH_IMAGES,
      epochSecondsOneAtATime: epochSeconds,
      gridShareOfLimit: gridShare,
      concurrency,
      bestConcurrency: best ? best.k : 1,
      trials: records,
    },
    null,
    1,
  ) + '\n',
);
console.log(`wrote ${file}`);
