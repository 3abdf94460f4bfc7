// One round of bench:runtimes in this process's runtime (Node or Deno): the engine's matmul
// against the plain ceiling kernel (plain-matmul.wgsl) at 1,024^3, and the notebook
// autoencoder's training at batch 32 and 256 (kernel variants tuned once per runtime, through
// the same cache as `aelab autoencoder`) beside the plain direct conv (ceilings.ts), with
// TensorFlow.js beside it too when --peer is given.
// Prints one line: RESULT {json}. scripts/bench-runtimes.mjs alternates the runtimes.
import process from 'node:process';
import { createEngine } from '../src/kernels/registry.ts';
import { runtimeName } from '../src/backend/device.ts';
import { loadCifar10 } from '../src/data/cifar10.ts';
import { autoencoderData } from '../src/data/image-set.ts';
import { notebookAutoencoder } from '../src/experiments/notebook-autoencoder.ts';
import { tuneForTraining } from '../src/experiments/step-preparation.ts';
import { RMSprop } from '../src/nn/optimisers.ts';
import { fastestInAlternatingRounds, fastestOf } from '../src/tuning/measure.ts';
import { Random } from '../src/random.ts';
import { plainMatmul } from '../src/benchmarks/kernels/matmul.ts';
import {
  engineMatmulWork,
  gigaflops,
  plainConvWork,
  timeWork,
  TRAINING_CEILING_CONV,
} from '../src/benchmarks/ceilings.ts';
import { fullBatches, timeStep, trainingFlops, trainingStep } from './training-step.ts';
import { openTensorflowPeer } from './peer-tfjs.ts';
import { CIFAR10_DIRECTORY } from '../scripts/data-location.mjs';

const SIZE = 1024;
const peerWanted = process.argv.includes('--peer');
const engine = await createEngine();
const gflops = (milliseconds: number) => (2 * SIZE ** 3) / milliseconds / 1e6;

// The matmuls, alternating: the engine's (its tile tuned), the plain kernel unrolled, and the
// plain kernel as the runtime's own compiler leaves it (an engine that unrolls nothing).
const random = new Random(1);
const [a, b] = [0, 1].map(() => engine.tensor(random.values(SIZE * SIZE), [SIZE, SIZE]).keep());
const engineMatmul = await engineMatmulWork(engine, SIZE);
const rolled = await createEngine({ unrollLoops: false });
const [ra, rb] = [a!, b!].map((tensor) => rolled.tensor(random.values(tensor.size), tensor.shape).keep());
const [engineMs, plainMs, plainRolledMs] = await fastestInAlternatingRounds(
  [
    () => fastestOf(engine, engineMatmul.encode),
    () => fastestOf(engine, () => void plainMatmul(engine, a!, b!, true)),
    () => fastestOf(rolled, () => void plainMatmul(rolled, ra!, rb!, false)),
  ],
  3,
);

const data = autoencoderData(loadCifar10(CIFAR10_DIRECTORY).train);
const model = notebookAutoencoder(engine, 1);
const { executedFlopsPerImage } = trainingFlops(model);
const training: {
  batchSize: number;
  imagesPerSecond: number;
  plainConvGflops: number;
  shareOfLimit: number;
  tensorflowImagesPerSecond: number | null;
}[] = [];
for (const batchSize of [32, 256]) {
  await tuneForTraining(engine, model, data, batchSize, () => {});
  const optimizer = RMSprop(engine, model.parameters());
  const batches = fullBatches(data.count, batchSize);
  const step = trainingStep(engine, model, optimizer, data, batches);
  const peer = peerWanted
    ? await openTensorflowPeer(
        batches.slice(0, 8).map((indices) => data.batch(indices).inputs),
        batchSize,
      )
    : null;
  const ceiling = plainConvWork(engine, { batch: batchSize, ...TRAINING_CEILING_CONV });
  const turns = [timeStep(engine, step), timeWork(engine, ceiling)];
  if (peer) turns.push(async () => (1000 * batchSize) / (await peer.round()));
  const [ours, plain, theirs] = await fastestInAlternatingRounds(turns, 3);
  peer?.close();
  optimizer.dispose();
  const imagesPerSecond = (1000 * batchSize) / ours!;
  const plainConvGflops = gigaflops(ceiling, plain!);
  ceiling.dispose();
  training.push({
    batchSize,
    imagesPerSecond,
    plainConvGflops,
    shareOfLimit: (imagesPerSecond * executedFlopsPerImage) / (plainConvGflops * 1e9),
    tensorflowImagesPerSecond: theirs === undefined ? null : (1000 * batchSize) / theirs,
  });
}

console.log(
  `RESULT ${JSON.stringify({
    runtime: runtimeName(),
    adapter: engine.adapterDescription,
    engineMatmulGflops: gflops(engineMs!),
    plainMatmulGflops: gflops(plainMs!),
    plainRolledMatmulGflops: gflops(plainRolledMs!),
    training,
  })}`,
);
process.exit(0);
