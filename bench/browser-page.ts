// bench:browser's page: the notebook autoencoder's training in the browser with the lab page's
// engine (the kernels' heuristic variants, as the page has; with ?tune=1 tuned first), and in the same page
// TensorFlow.js on its WebGPU backend, on the same browser adapter, in alternating rounds.
// scripts/bench-browser.mjs serves it and reads globalThis.benchResult.
import { createEngine } from '../src/kernels/registry.ts';
import { parseCifar10Batch } from '../src/data/cifar10-batch.ts';
import { autoencoderData } from '../src/data/image-set.ts';
import { notebookAutoencoder } from '../src/experiments/notebook-autoencoder.ts';
import { RMSprop } from '../src/nn/optimisers.ts';
import { QUEUED_MILLISECONDS } from '../src/nn/training.ts';
import { fastestInAlternatingRounds, measure } from '../src/tuning/measure.ts';
import { fullBatches, trainingFlops, trainingStep } from './training-step.ts';
import { tune } from '../src/tuning/tuner.ts';
import { backward } from '../src/nn/autograd.ts';
import * as F from '../src/nn/functional.ts';
import { openTensorflowPeer } from './peer-tfjs.ts';
import { matmulCeilingMilliseconds } from './variants.ts';

export interface BrowserRecord {
  batchSize: number;
  imagesPerSecond: number;
  tensorflowImagesPerSecond: number;
  ratio: number;
  /** The engine's matmul (512^3, its tile tuned) in this page, GFLOP/s: the adapter's compute ceiling. */
  matmulGflops: number;
  /** img/s over the compute-bound limit: the FLOPs executed per training image (trainingFlops) at the matmul's rate. */
  shareOfLimit: number;
  /** Seconds spent tuning the conv variants for this adapter first, or null: the heuristic variants. */
  tuningSeconds: number | null;
  adapter: string;
  userAgent: string;
}

async function run(batchSizes: readonly number[], tuned: boolean): Promise<BrowserRecord[]> {
  const engine = await createEngine();
  const bytes = new Uint8Array(await (await fetch('data/data_batch_1.bin')).arrayBuffer());
  const data = autoencoderData(parseCifar10Batch(bytes, 'data_batch_1.bin'));
  const model = notebookAutoencoder(engine, 1);
  const { executedFlopsPerImage } = trainingFlops(model);
  const matmulGflops = (2 * 512 ** 3) / (await matmulCeilingMilliseconds(engine, 512)) / 1e6;
  console.log(`matmul 512^3: ${matmulGflops.toFixed(2)} GFLOP/s`);
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
    const peer = await openTensorflowPeer(batches.slice(0, 8).map((indices) => data.batch(indices).inputs), batchSize);
    console.log(`batch ${batchSize}: timing aelab and TensorFlow.js (${peer.backend}) in alternating rounds`);
    const [ours, theirs] = await fastestInAlternatingRounds([
      () => measure(engine, step, { samples: 3, targetSampleMilliseconds: QUEUED_MILLISECONDS }),
      async () => (1000 * batchSize) / (await peer.round()),
    ], 3);
    peer.close();
    optimizer.dispose();
    const imagesPerSecond = (1000 * batchSize) / ours!;
    const tensorflowImagesPerSecond = (1000 * batchSize) / theirs!;
    console.log(`batch ${batchSize}: aelab ${imagesPerSecond.toFixed(0)} img/s, TensorFlow.js ${tensorflowImagesPerSecond.toFixed(0)} img/s`);
    records.push({ batchSize, imagesPerSecond, tensorflowImagesPerSecond, ratio: imagesPerSecond / tensorflowImagesPerSecond, matmulGflops, shareOfLimit: (imagesPerSecond * executedFlopsPerImage) / (matmulGflops * 1e9), tuningSeconds, adapter: engine.adapterDescription, userAgent: navigator.userAgent });
  }
  return records;
}

const page = globalThis as unknown as { benchResult?: { records: BrowserRecord[] } | { error: string } };
const query = new URLSearchParams(location.search);
const sizes = query.get('batches')?.split(',').map(Number) ?? [32];
run(sizes, query.get('tune') === '1').then((records) => (page.benchResult = { records }), (error) => (page.benchResult = { error: String((error as Error).stack ?? error) }));
