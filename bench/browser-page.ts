// bench:browser's page: the notebook autoencoder's training in the browser with the lab page's
// engine (the kernels' heuristic variants, as the page has; with ?tune=1 tuned first), in the
// same page TensorFlow.js on its WebGPU backend and the plain direct conv (ceilings.ts), in
// alternating rounds; the plain matmul and the engine's own beside each other first.
// ?compare=unroll|waits times the engine's default setting against the other one instead
// (settings-comparison.ts). scripts/bench-browser.mjs serves it and reads globalThis.benchResult.
import { createEngine } from '../src/kernels/registry.ts';
import { parseCifar10Batch } from '../src/data/cifar10-batch.ts';
import { autoencoderData } from '../src/data/image-set.ts';
import { notebookAutoencoder } from '../src/experiments/notebook-autoencoder.ts';
import { RMSprop } from '../src/nn/optimisers.ts';
import type { TrainingData } from '../src/nn/training.ts';
import { fastestInAlternatingRounds } from '../src/tuning/measure.ts';
import { fullBatches, timeStep, trainingFlops, trainingStep } from './training-step.ts';
import { tune } from '../src/tuning/tuner.ts';
import { backward } from '../src/nn/autograd.ts';
import * as F from '../src/nn/functional.ts';
import { openTensorflowPeer } from './peer-tfjs.ts';
import { gigaflops, matmulRates, plainConvWork, timeWork, TRAINING_CEILING_CONV } from '../src/benchmarks/ceilings.ts';
import { compare } from './settings-comparison.ts';

export interface BrowserRecord {
  batchSize: number;
  imagesPerSecond: number;
  tensorflowImagesPerSecond: number;
  ratio: number;
  /** The plain direct conv (TRAINING_CEILING_CONV at this batch), timed in the same rounds. */
  plainConvGflops: number;
  /** img/s over the limit the plain conv sets: the FLOPs executed per training image at its rate. */
  shareOfLimit: number;
  /** The plain matmul and the engine's (512^3, its tile tuned), alternating, before the training. */
  plainMatmulGflops: number;
  engineMatmulGflops: number;
  /** Seconds spent tuning the conv variants for this adapter first, or null: the heuristic variants. */
  tuningSeconds: number | null;
  /** The engine's settings: its own loop unrolling and its wait policy. */
  unrollLoops: boolean;
  waits: string;
  adapter: string;
  userAgent: string;
}

async function run(data: TrainingData, batchSizes: readonly number[], tuned: boolean): Promise<BrowserRecord[]> {
  const engine = await createEngine();
  const model = notebookAutoencoder(engine, 1);
  const { executedFlopsPerImage } = trainingFlops(model);
  const { plainMatmulGflops, engineMatmulGflops } = await matmulRates(engine, 512);
  console.log(
    `matmul 512^3: plain ${plainMatmulGflops.toFixed(2)} GFLOP/s, the engine's ${engineMatmulGflops.toFixed(2)}`,
  );
  const records: BrowserRecord[] = [];
  for (const batchSize of batchSizes) {
    const optimizer = RMSprop(engine, model.parameters());
    const batches = fullBatches(data.count, batchSize);
    const step = trainingStep(engine, model, optimizer, data, batches);
    let tuningSeconds: number | null = null;
    if (tuned) {
      const start = performance.now();
      await tune(engine, () => {
        const inputs = engine.tensor(data.batch(batches[0]!).inputs, [batchSize, 3, 32, 32]);
        backward(F.binaryCrossEntropy(model.forward(inputs), inputs));
        model.zeroGrad();
      });
      tuningSeconds = (performance.now() - start) / 1000;
      console.log(`batch ${batchSize}: tuned in ${tuningSeconds.toFixed(0)} s`);
    }
    const peer = await openTensorflowPeer(
      batches.slice(0, 8).map((indices) => data.batch(indices).inputs),
      batchSize,
    );
    const ceiling = plainConvWork(engine, { batch: batchSize, ...TRAINING_CEILING_CONV });
    console.log(
      `batch ${batchSize}: timing aelab, TensorFlow.js (${peer.backend}) and the plain conv in alternating rounds`,
    );
    const [ours, theirs, plain] = await fastestInAlternatingRounds(
      [timeStep(engine, step), async () => (1000 * batchSize) / (await peer.round()), timeWork(engine, ceiling)],
      3,
    );
    peer.close();
    optimizer.dispose();
    const plainConvGflops = gigaflops(ceiling, plain!);
    ceiling.dispose();
    const imagesPerSecond = (1000 * batchSize) / ours!;
    const tensorflowImagesPerSecond = (1000 * batchSize) / theirs!;
    console.log(
      `batch ${batchSize}: aelab ${imagesPerSecond.toFixed(0)} img/s, TensorFlow.js ${tensorflowImagesPerSecond.toFixed(0)} img/s, plain conv ${plainConvGflops.toFixed(2)} GFLOP/s`,
    );
    records.push({
      batchSize,
      imagesPerSecond,
      tensorflowImagesPerSecond,
      ratio: imagesPerSecond / tensorflowImagesPerSecond,
      plainConvGflops,
      shareOfLimit: (imagesPerSecond * executedFlopsPerImage) / (plainConvGflops * 1e9),
      plainMatmulGflops,
      engineMatmulGflops,
      tuningSeconds,
      unrollLoops: engine.kernels.unrollsLoops,
      waits: engine.waits.name,
      adapter: engine.adapterDescription,
      userAgent: navigator.userAgent,
    });
  }
  return records;
}

const page = globalThis as unknown as { benchResult?: { records: unknown[] } | { error: string } };
const query = new URLSearchParams(location.search);
const sizes = query.get('batches')?.split(',').map(Number) ?? [32];
const comparison = query.get('compare');
async function main(): Promise<unknown[]> {
  const bytes = new Uint8Array(await (await fetch('data/data_batch_1.bin')).arrayBuffer());
  const data = autoencoderData(parseCifar10Batch(bytes, 'data_batch_1.bin'));
  if (comparison === 'unroll' || comparison === 'waits') return compare(data, sizes, comparison);
  return run(data, sizes, query.get('tune') === '1');
}
main().then(
  (records) => (page.benchResult = { records }),
  (error) => (page.benchResult = { error: String((error as Error).stack ?? error) }),
);
