// Training throughput: the notebook autoencoder on the shared CIFAR-10, batch 32 and 256,
// images per second after warm-up; in the same run the same model trained by TensorFlow.js
// on its WebGPU backend (same adapter, same batches), and the compute-bound limit (training
// FLOPs per image over the engine's matmul GFLOP/s, measured here too).
// aelab's steps are encoded back to back with no readback, as fit() runs them; TF.js's
// trainOnBatch reads each step's loss back, as its fit() does. aelab runs twice per batch
// size, alternating: with its kernels' heuristic variants, and after the tuner (timed here,
// from an empty table) has chosen variants for this adapter.
//   npm run bench:train            (Node + Dawn)
//   deno run --unstable-webgpu -A bench/train.ts
// Prints a table and writes bench/results/train.json (train-deno.json under Deno).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createEngine, runtimeName } from '../src/runtime/device.ts';
import { loadCifar10 } from '../src/data/cifar10.ts';
import { autoencoderData } from '../src/data/image-set.ts';
import { batchesOf, epochOrder } from '../src/data/batches.ts';
import { notebookAutoencoder } from '../src/experiments/notebook-autoencoder.ts';
import { backward } from '../src/nn/autograd.ts';
import * as F from '../src/nn/functional.ts';
import { RMSprop } from '../src/nn/optimisers.ts';
import { matmul } from '../src/kernels/matmul.ts';
import { Random } from '../src/random.ts';
import { tune } from '../src/backend/tuner.ts';
import { tunedAndHeuristic, tunedFastest } from './variants.ts';
import { tensorflowImagesPerSecond } from './peer-tfjs.ts';

export interface TrainRecord {
  runtime: string;
  batchSize: number;
  /** Tuned kernel variants. */
  imagesPerSecond: number;
  /** The kernels' heuristic variants, measured alternately with the tuned ones. */
  heuristicImagesPerSecond: number;
  /** Seconds the tuner took for this batch size's shapes. */
  tuningSeconds: number;
  /** The variant the tuner chose per conv dispatch (the first candidate is the heuristic). */
  tunedVariants: Record<string, string>;
  tensorflowImagesPerSecond: number | null;
  /** aelab over TensorFlow.js. */
  ratio: number | null;
  /** Training FLOPs per image (forward + input and weight gradients of every conv). */
  flopsPerImage: number;
  matmulGflops: number;
  /** Images per second at the matmul's GFLOP/s: the compute-bound limit. */
  limitImagesPerSecond: number;
  shareOfLimit: number;
  adapter: string;
}

const engine = await createEngine();
const { train } = loadCifar10(process.env['AELAB_CIFAR'] ?? '../shared/data/cifar10');
const data = autoencoderData(train);

const random = new Random(1);
const a = engine.tensor(random.values(1024 * 1024), [1024, 1024]).keep();
const b = engine.tensor(random.values(1024 * 1024), [1024, 1024]).keep();
const matmulGflops = (2 * 1024 ** 3) / (await tunedFastest(engine, () => void matmul(engine, a, b))) / 1e6;
a.dispose();
b.dispose();

const model = notebookAutoencoder(engine, 1);
// A training step: the forward pass, and the backward pass of each conv to its weights and
// (except the first, whose input is the data) to its input: 3x the forward FLOPs less one
// first-layer input gradient.
const forwardFlops = model.flops([1, 3, 32, 32]);
const firstConvFlops = model.encoder.layers[0]!.flops([1, 3, 32, 32]);
const flopsPerImage = 3 * forwardFlops - firstConvFlops;

const records: TrainRecord[] = [];
for (const batchSize of [32, 256]) {
  const optimizer = RMSprop(engine, model.parameters());
  const batches = [...batchesOf(epochOrder(data.count, 1, 1, true), batchSize)].filter((batch) => batch.length === batchSize);
  let next = 0;
  const step = () => {
    const indices = batches[next++ % batches.length]!;
    const inputs = engine.tensor(data.batch(indices).inputs, [batchSize, 3, 32, 32]);
    backward(F.binaryCrossEntropy(model.forward(inputs), inputs));
    optimizer.update();
    model.zeroGrad();
  };
  const tuningStart = performance.now();
  const tuned = await tune(engine, () => {
    const inputs = engine.tensor(data.batch(batches[0]!).inputs, [batchSize, 3, 32, 32]);
    backward(F.binaryCrossEntropy(model.forward(inputs), inputs));
    model.zeroGrad();
  });
  const tuningSeconds = (performance.now() - tuningStart) / 1000;
  // Tuned and heuristic variants alternately: the fastest of five rounds each.
  const [tunedMilliseconds, heuristicMilliseconds] = await tunedAndHeuristic(engine, step);
  const imagesPerSecond = (1000 * batchSize) / tunedMilliseconds;
  const limitImagesPerSecond = (matmulGflops * 1e9) / flopsPerImage;
  records.push({
    runtime: runtimeName(), batchSize, imagesPerSecond, heuristicImagesPerSecond: (1000 * batchSize) / heuristicMilliseconds, tuningSeconds,
    tunedVariants: Object.fromEntries(tuned.map((result) => [result.key, result.choice])),
    tensorflowImagesPerSecond: null, ratio: null, flopsPerImage, matmulGflops,
    limitImagesPerSecond, shareOfLimit: imagesPerSecond / limitImagesPerSecond, adapter: engine.adapterDescription,
  });
  optimizer.dispose();
}

// The peer, after aelab's runs so the two never share the adapter at once.
if (process.env['AELAB_SKIP_PEER'] !== '1') {
  for (const record of records) {
    const batches = [...batchesOf(epochOrder(data.count, 1, 1, true), record.batchSize)]
      .filter((batch) => batch.length === record.batchSize)
      .slice(0, 8)
      .map((indices) => data.batch(indices).inputs);
    const peer = await tensorflowImagesPerSecond(batches, record.batchSize);
    record.tensorflowImagesPerSecond = peer.imagesPerSecond;
    record.ratio = record.imagesPerSecond / peer.imagesPerSecond;
  }
}

console.log('batch   aelab img/s (heuristic, tuning s)   TF.js img/s   ratio   share of the compute-bound limit');
for (const r of records) {
  const peer = r.tensorflowImagesPerSecond === null ? '-' : r.tensorflowImagesPerSecond.toFixed(0);
  const ratio = r.ratio === null ? '-' : `${r.ratio.toFixed(1)}x`;
  const aelab = `${r.imagesPerSecond.toFixed(0)} (${r.heuristicImagesPerSecond.toFixed(0)}, ${r.tuningSeconds.toFixed(0)} s)`;
  console.log(
    `${String(r.batchSize).padStart(5)}   ${aelab.padStart(29)}   ${peer.padStart(11)}   ${ratio.padStart(5)}   ${(100 * r.shareOfLimit).toFixed(1)}% of ${r.limitImagesPerSecond.toFixed(0)} img/s`,
  );
}
console.log(`\nadapter: ${engine.adapterDescription}`);
console.log(`matmul ${matmulGflops.toFixed(2)} GFLOP/s; ${(flopsPerImage / 1e6).toFixed(2)} MFLOP per training image`);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/train${runtimeName() === 'deno' ? '-deno' : ''}.json`;
writeFileSync(file, JSON.stringify(records, null, 2) + '\n');
console.log(`wrote ${file}`);
