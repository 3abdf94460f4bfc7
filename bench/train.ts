// Training throughput: the notebook autoencoder on the shared CIFAR-10, batch 32 and 256,
// images per second after warm-up; in the same run the same model trained by TensorFlow.js
// on its WebGPU backend (same adapter, same batches), and the compute-bound limit: the FLOPs
// a step executes per image at the rate of the plain direct conv (ceilings.ts), timed in the
// same alternating rounds. The plain matmul and the engine's own are measured before and after.
// aelab's steps are encoded back to back with no readback, as fit() runs them; TF.js's
// trainOnBatch reads each step's loss back, as its fit() does. Per batch size, after the
// tuner (timed here, from an empty table) has chosen aelab's variants for this adapter,
// five rounds each time aelab with the tuned variants, aelab with its kernels' heuristic
// variants, TF.js and the plain conv, one after the other (never at once), each round starting
// with another; each keeps its fastest round, so the machine's drift falls on all alike.
//   npm run bench:train [-- --batches 32,256,1024] [--quick]   (Node + Dawn; default 32 and 256)
//   deno run --unstable-webgpu -A bench/train.ts
// Prints a table and writes bench/results/train.json (train-deno.json under Deno).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createEngine } from '../src/kernels/registry.ts';
import { runtimeName } from '../src/backend/device.ts';
import { loadCifar10 } from '../src/data/cifar10.ts';
import { autoencoderData } from '../src/data/image-set.ts';
import { notebookAutoencoder } from '../src/experiments/notebook-autoencoder.ts';
import { backward } from '../src/nn/autograd.ts';
import * as F from '../src/nn/functional.ts';
import { RMSprop } from '../src/nn/optimisers.ts';
import { tune } from '../src/tuning/tuner.ts';
import { replacesHeuristic } from '../src/tuning/table.ts';
import { matmulRates, plainConvWork, gigaflops, timeWork, TRAINING_CEILING_CONV } from '../src/benchmarks/ceilings.ts';
import { fullBatches, timeStep, trainingFlops, trainingStep } from './training-step.ts';
import { fastestInAlternatingRounds } from '../src/tuning/measure.ts';
import { openTensorflowPeer } from './peer-tfjs.ts';
import { CIFAR10_DIRECTORY } from '../scripts/data-location.mjs';
import { batchSizesArgument, quick } from './arguments.ts';

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
  /**
   * The dispatches where the tuner's choice is not the heuristic's. When there are none, the
   * tuned and heuristic rounds ran the same code, and their gap is this run's noise.
   */
  changedByTuner: string[];
  tensorflowImagesPerSecond: number | null;
  /** aelab over TensorFlow.js. */
  ratio: number | null;
  /** Training FLOPs per image (forward + input and weight gradients of every conv), counted as direct convolutions. */
  flopsPerImage: number;
  /** The same as the kernels execute them: fewer in the upsampled convs (conv2d.ts). */
  executedFlopsPerImage: number;
  /** The plain direct conv (ceilings.ts, TRAINING_CEILING_CONV at this batch), timed in the same rounds. */
  plainConvGflops: number;
  /** The executed FLOPs per image at the plain conv's rate: the compute-bound limit. */
  limitImagesPerSecond: number;
  /** img/s over that limit. */
  shareOfLimit: number;
  /** The plain matmul (1,024^3), the faster of its measurements before and after the rounds. */
  plainMatmulGflops: number;
  /** Training's executed GFLOP/s over the plain matmul's. */
  shareOfPlainMatmul: number;
  /** The engine's own matmul (1,024^3, tile tuned), measured with the plain one: a row of its own. */
  engineMatmulGflops: number;
  adapter: string;
}

const engine = await createEngine();
const { train } = loadCifar10(CIFAR10_DIRECTORY);
const data = autoencoderData(train);

// The matmuls are measured before the training runs and again after them, and the faster
// counts: on this VM noise only adds time, and one measurement has come out at half of
// another in the same hour.
const matmulSize = quick ? 256 : 1024;
const matmulsBefore = await matmulRates(engine, matmulSize);
// A run takes about ten minutes: progress goes to stderr, the table to stdout at the end.
const progress = (line: string) => console.error(`[bench:train] ${line}`);
progress(
  `plain matmul ${matmulsBefore.plainMatmulGflops.toFixed(2)} GFLOP/s, the engine's ${matmulsBefore.engineMatmulGflops.toFixed(2)}`,
);

const model = notebookAutoencoder(engine, 1);
const { flopsPerImage, executedFlopsPerImage } = trainingFlops(model);

const records: TrainRecord[] = [];
for (const batchSize of batchSizesArgument([32, 256])) {
  const optimizer = RMSprop(engine, model.parameters());
  const batches = fullBatches(data.count, batchSize);
  const step = trainingStep(engine, model, optimizer, data, batches);
  const tuningStart = performance.now();
  const tuned = quick
    ? []
    : await tune(engine, () => {
        const inputs = engine.tensor(data.batch(batches[0]!).inputs, [batchSize, 3, 32, 32]);
        backward(F.binaryCrossEntropy(model.forward(inputs), inputs));
        model.zeroGrad();
      });
  const tuningSeconds = (performance.now() - tuningStart) / 1000;
  const changedByTuner = tuned.map((result) => result.key).filter((key) => replacesHeuristic(engine.tuning.get(key)!));
  const workCheck = tuned.find((result) => result.workCheck)?.workCheck;
  progress(
    `batch ${batchSize}: tuned in ${tuningSeconds.toFixed(0)} s, ${changedByTuner.length} of ${tuned.length} variants not the heuristic's` +
      (workCheck
        ? ` (the step timed by the tuner: ${workCheck.withChallengers.toFixed(1)} ms with its challengers, ${workCheck.withHeuristics.toFixed(1)} ms without)`
        : '') +
      '; timing five alternating rounds',
  );
  const peer =
    process.env['AELAB_SKIP_PEER'] === '1'
      ? null
      : await openTensorflowPeer(
          batches.slice(0, 8).map((indices) => data.batch(indices).inputs),
          batchSize,
        );
  // Each sample queues as much work before its wait as fit() does (timeStep): 60 ms samples
  // charged Deno's 11 ms wait to a step of about 60 ms (batch 32 under Deno, side by side: 526
  // and 524 img/s with 60 ms samples, 644 and 600 with these).
  const timeAelab = (tuned: boolean) => async () => {
    engine.tuning.enabled = tuned;
    return timeStep(engine, step)();
  };
  const ceiling = plainConvWork(engine, { batch: batchSize, ...TRAINING_CEILING_CONV });
  const turns = [timeAelab(true), timeAelab(false), timeWork(engine, ceiling)];
  if (peer) turns.push(async () => (1000 * batchSize) / (await peer.round()));
  const [tunedMilliseconds, heuristicMilliseconds, ceilingMilliseconds, peerMilliseconds] =
    await fastestInAlternatingRounds(turns, quick ? 1 : 5);
  engine.tuning.enabled = true;
  const plainConvGflops = gigaflops(ceiling, ceilingMilliseconds!);
  ceiling.dispose();
  peer?.close();
  const imagesPerSecond = (1000 * batchSize) / tunedMilliseconds!;
  const peerImagesPerSecond = peer ? (1000 * batchSize) / peerMilliseconds! : null;
  progress(
    `batch ${batchSize}: ${imagesPerSecond.toFixed(0)} img/s tuned, ${((1000 * batchSize) / heuristicMilliseconds!).toFixed(0)} heuristic` +
      (peerImagesPerSecond === null ? '' : `, TensorFlow.js ${peerImagesPerSecond.toFixed(0)}`) +
      `; plain conv ${plainConvGflops.toFixed(2)} GFLOP/s`,
  );
  const limitImagesPerSecond = (plainConvGflops * 1e9) / executedFlopsPerImage;
  // The matmuls' figures are filled in once they have been measured again (below).
  records.push({
    runtime: runtimeName(),
    batchSize,
    imagesPerSecond,
    heuristicImagesPerSecond: (1000 * batchSize) / heuristicMilliseconds!,
    tuningSeconds,
    tunedVariants: Object.fromEntries(tuned.map((result) => [result.key, result.choice])),
    changedByTuner,
    tensorflowImagesPerSecond: peerImagesPerSecond,
    ratio: peerImagesPerSecond === null ? null : imagesPerSecond / peerImagesPerSecond,
    flopsPerImage,
    executedFlopsPerImage,
    plainConvGflops,
    limitImagesPerSecond,
    shareOfLimit: imagesPerSecond / limitImagesPerSecond,
    plainMatmulGflops: 0,
    shareOfPlainMatmul: 0,
    engineMatmulGflops: 0,
    adapter: engine.adapterDescription,
  });
  optimizer.dispose();
}

const matmulsAfter = await matmulRates(engine, matmulSize);
const plainMatmulGflops = Math.max(matmulsBefore.plainMatmulGflops, matmulsAfter.plainMatmulGflops);
const engineMatmulGflops = Math.max(matmulsBefore.engineMatmulGflops, matmulsAfter.engineMatmulGflops);
for (const record of records) {
  Object.assign(record, {
    plainMatmulGflops,
    engineMatmulGflops,
    shareOfPlainMatmul: (record.imagesPerSecond * executedFlopsPerImage) / (plainMatmulGflops * 1e9),
  });
}

console.log(
  'batch   aelab img/s (heuristic, tuning s)   TF.js img/s   ratio   share of the limit the plain conv sets   of the plain matmul',
);
for (const r of records) {
  const peer = r.tensorflowImagesPerSecond === null ? '-' : r.tensorflowImagesPerSecond.toFixed(0);
  const ratio = r.ratio === null ? '-' : `${r.ratio.toFixed(1)}x`;
  const aelab = `${r.imagesPerSecond.toFixed(0)} (${r.heuristicImagesPerSecond.toFixed(0)}, ${r.tuningSeconds.toFixed(0)} s)`;
  console.log(
    `${String(r.batchSize).padStart(5)}   ${aelab.padStart(29)}   ${peer.padStart(11)}   ${ratio.padStart(5)}   ${(100 * r.shareOfLimit).toFixed(1)}% of ${r.limitImagesPerSecond.toFixed(0)} img/s (${r.plainConvGflops.toFixed(2)} GFLOP/s)   ${(100 * r.shareOfPlainMatmul).toFixed(1)}%`,
  );
}
for (const r of records) {
  console.log(
    r.changedByTuner.length === 0
      ? `batch ${r.batchSize}: the tuner kept every heuristic variant, so its tuned and heuristic rounds ran the same code (their gap is noise)`
      : `batch ${r.batchSize}: the tuner's choice differs from the heuristic at ${r.changedByTuner.join('; ')}`,
  );
}
console.log(`\nadapter: ${engine.adapterDescription}`);
console.log(
  `plain matmul ${plainMatmulGflops.toFixed(2)} GFLOP/s, the engine's ${engineMatmulGflops.toFixed(2)} (${((100 * engineMatmulGflops) / plainMatmulGflops).toFixed(1)}%); ` +
    `${(flopsPerImage / 1e6).toFixed(2)} MFLOP per training image as direct convolutions, ${(executedFlopsPerImage / 1e6).toFixed(2)} executed`,
);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/train${runtimeName() === 'deno' ? '-deno' : ''}.json`;
writeFileSync(file, JSON.stringify(records, null, 2) + '\n');
console.log(`wrote ${file}`);
