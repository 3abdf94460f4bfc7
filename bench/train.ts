// Training throughput: the notebook autoencoder on the shared CIFAR-10, batch 32 and 256,
// images per second after warm-up, against the compute-bound limit measured in the same
// run (training FLOPs per image over the engine's matmul GFLOP/s).
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
import { measure } from './measure.ts';

export interface TrainRecord {
  runtime: string;
  batchSize: number;
  imagesPerSecond: number;
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
const matmulGflops = (2 * 1024 ** 3) / (await measure(engine, () => void matmul(engine, a, b))) / 1e6;
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
  const milliseconds = await measure(engine, step);
  const imagesPerSecond = (1000 * batchSize) / milliseconds;
  const limitImagesPerSecond = (matmulGflops * 1e9) / flopsPerImage;
  records.push({
    runtime: runtimeName(), batchSize, imagesPerSecond, flopsPerImage, matmulGflops, limitImagesPerSecond,
    shareOfLimit: imagesPerSecond / limitImagesPerSecond, adapter: engine.adapterDescription,
  });
  optimizer.dispose();
  console.log(`batch ${String(batchSize).padStart(3)}: ${imagesPerSecond.toFixed(0).padStart(6)} img/s   ${(100 * imagesPerSecond / limitImagesPerSecond).toFixed(1)}% of the compute-bound limit (${limitImagesPerSecond.toFixed(0)} img/s)`);
}
console.log(`\nadapter: ${engine.adapterDescription}`);
console.log(`matmul ${matmulGflops.toFixed(2)} GFLOP/s; ${(flopsPerImage / 1e6).toFixed(2)} MFLOP per training image`);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/train${runtimeName() === 'deno' ? '-deno' : ''}.json`;
writeFileSync(file, JSON.stringify(records, null, 2) + '\n');
console.log(`wrote ${file}`);
