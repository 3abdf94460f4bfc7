// Training in the spirit of Keras' fit/evaluate/predict. A step (upload, forward, loss,
// backward, optimiser update, metric sums) is encoded without any readback; the running
// sums stay on the GPU, copied out once per chunk of steps (StepClock) for the progress line.
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import { backward, noGrad } from './autograd.ts';
import * as F from './functional.ts';
import type { Module } from './modules.ts';
import type { Optimizer } from './optimisers.ts';
import { batchesOf, epochOrder } from './batches.ts';
import type { Shape } from '../shapes.ts';
import { gpuBackend } from './gpu-backend.ts';

/** Examples addressed by index; `targets` null means the targets are the inputs (an autoencoder). */
export interface TrainingData {
  readonly count: number;
  readonly inputShape: Shape;
  readonly targetShape: Shape;
  batch(indices: ArrayLike<number>): { inputs: Float32Array; targets: Float32Array | null };
}

export type LossFunction = (prediction: Tensor, target: Tensor) => Tensor;

/** Per-example means over a pass through a data set. */
export interface Metrics {
  loss: number;
  /** Keras' binary accuracy (threshold 0.5); with continuous targets only exact 0/1 targets can match. */
  binaryAccuracy: number;
  meanSquaredError: number;
  /** 10 log10(1 / MSE) in dB, for values in [0, 1]. */
  psnr: number;
}

export interface EpochLog {
  epoch: number;
  seconds: number;
  train: Metrics;
  validation: Metrics | null;
}

export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Mean loss so far in this epoch, when it has been read back. */
  loss: number | null;
  elapsedSeconds: number;
}

export interface FitOptions {
  readonly epochs: number;
  readonly batchSize?: number;
  readonly shuffle?: boolean;
  readonly seed: number;
  /** Epochs already done (a resumed run starts after them). */
  readonly initialEpoch?: number;
  readonly validation?: TrainingData;
  readonly onProgress?: (progress: Progress) => void;
  /** Awaited after each epoch: checkpoints are written here. */
  readonly onEpochEnd?: (log: EpochLog) => Promise<void> | void;
}

/** How much GPU work fit() lets the CPU queue ahead before it waits (bench:train times samples this long). */
export const QUEUED_MILLISECONDS = 400;

/**
 * Backpressure for the training loop that keeps the GPU's queue full. The CPU encodes a step
 * far faster than a CPU adapter runs it, so fit() cuts the steps into chunks of about
 * QUEUED_MILLISECONDS of GPU work. At the end of a chunk it snapshots the metric sums and
 * then waits for the previous chunk's snapshot, not for everything: the chunk just submitted
 * keeps the GPU busy through the wait and while the next one is encoded. (Waiting for all
 * submitted work left the GPU idle while the CPU encoded the next step; and under Deno each
 * wait costs about 11 ms.) Dawn spins a CPU core while a map is pending, taking it from the
 * training itself, so the wait sleeps first until 95% of the time the previous chunk should
 * take: the GPU time per step, measured between snapshots. Waking late costs nothing while
 * the next chunk runs, and the 5% shortfall drains any lateness from the estimate.
 * The snapshots carry the running metrics for the progress line.
 */
class StepClock {
  private stepMilliseconds = 0;
  private pendingSteps = 0;
  private inFlight: Chunk | null = null;
  private lastCompletion = performance.now();

  constructor(private readonly sums: MetricSums) {}

  /** Counts a submitted step; true when its chunk is full (call endChunk). */
  submitted(): boolean {
    this.pendingSteps += 1;
    const due = this.stepMilliseconds > 0 ? Math.max(1, Math.round(QUEUED_MILLISECONDS / this.stepMilliseconds)) : 2;
    return this.pendingSteps >= due;
  }

  /** Snapshots the chunk's metrics and waits for the chunk before it: its metrics, or null for the first chunk. */
  async endChunk(): Promise<Metrics | null> {
    const previous = this.inFlight;
    this.inFlight = { snapshot: this.sums.snapshot(), steps: this.pendingSteps };
    this.pendingSteps = 0;
    return previous ? this.complete(previous) : null;
  }

  /** Waits for every step submitted: the metrics after the last. */
  async finish(): Promise<Metrics> {
    // Steps after the last full chunk (or an epoch shorter than one) end a chunk of their own.
    if (this.pendingSteps > 0 || !this.inFlight) await this.endChunk();
    const last = this.inFlight!;
    this.inFlight = null;
    return this.complete(last);
  }

  private async complete(chunk: Chunk): Promise<Metrics> {
    // The queue never ran dry, so the chunk started when the one before it completed.
    const expectedEnd = this.lastCompletion + 0.95 * chunk.steps * this.stepMilliseconds;
    const metrics = await chunk.snapshot.values(expectedEnd - performance.now());
    const now = performance.now();
    if (chunk.steps > 0) this.stepMilliseconds = (now - this.lastCompletion) / chunk.steps;
    this.lastCompletion = now;
    return metrics;
  }
}

/** Metrics at one point of the queue (MetricSums.snapshot); values() waits for them, sleeping first if asked. */
interface MetricSnapshot {
  values(sleepMilliseconds?: number): Promise<Metrics>;
}

/** A chunk of steps fit() has submitted: the metrics after its last step, and how many steps it holds. */
interface Chunk {
  readonly snapshot: MetricSnapshot;
  readonly steps: number;
}

/** GPU-side sums of loss, binary accuracy and squared error, each weighted by batch size. */
class MetricSums {
  private readonly sums: Tensor[];
  count = 0;

  constructor(private readonly engine: Engine) {
    this.sums = [0, 1, 2].map(() => engine.zeros([], 'metric sum').keep());
  }

  add(loss: Tensor, prediction: Tensor, target: Tensor, examples: number): void {
    noGrad(() => {
      const values = [loss, F.binaryAccuracy(prediction, target), F.meanSquaredError(prediction, target)];
      values.forEach((value, i) => gpuBackend(this.engine).accumulate(this.sums[i]!, F.scale(value, examples)));
    });
    this.count += examples;
  }

  /** The metrics as they stand at this point of the queue, to be waited for later. */
  snapshot(): MetricSnapshot {
    const count = Math.max(1, this.count);
    const snapshot = this.engine.snapshot(this.sums);
    return {
      async values(sleepMilliseconds = 0): Promise<Metrics> {
        const [loss, accuracy, squared] = (await snapshot.values(sleepMilliseconds)).map((values) => values[0]! / count);
        return { loss: loss!, binaryAccuracy: accuracy!, meanSquaredError: squared!, psnr: 10 * Math.log10(1 / squared!) };
      },
    };
  }

  async read(): Promise<Metrics> {
    return this.snapshot().values();
  }

  dispose(): void {
    this.sums.forEach((sum) => sum.dispose());
  }
}

function upload(engine: Engine, data: TrainingData, indices: ArrayLike<number>): { inputs: Tensor; targets: Tensor } {
  const batch = data.batch(indices);
  const inputs = engine.tensor(batch.inputs, [indices.length, ...data.inputShape], 'batch inputs');
  const targets = batch.targets ? engine.tensor(batch.targets, [indices.length, ...data.targetShape], 'batch targets') : inputs;
  return { inputs, targets };
}

export async function fit(
  engine: Engine,
  model: Module<Tensor>,
  optimizer: Optimizer,
  lossFunction: LossFunction,
  train: TrainingData,
  options: FitOptions,
): Promise<EpochLog[]> {
  const batchSize = options.batchSize ?? 32;
  const steps = Math.ceil(train.count / batchSize);
  const logs: EpochLog[] = [];
  for (let epoch = (options.initialEpoch ?? 0) + 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    const sums = new MetricSums(engine);
    const clock = new StepClock(sums);
    let runningLoss: number | null = null;
    let step = 0;
    for (const indices of batchesOf(epochOrder(train.count, options.seed, epoch, options.shuffle ?? true), batchSize)) {
      engine.scope(() => {
        const { inputs, targets } = upload(engine, train, indices);
        const prediction = model.forward(inputs);
        const loss = lossFunction(prediction, targets);
        backward(loss);
        optimizer.update();
        model.zeroGrad();
        sums.add(loss, prediction, targets, indices.length);
      });
      step += 1;
      if (clock.submitted()) runningLoss = (await clock.endChunk())?.loss ?? runningLoss;
      options.onProgress?.({ epoch, epochs: options.epochs, step, steps, loss: runningLoss, elapsedSeconds: (performance.now() - started) / 1000 });
    }
    const trainMetrics = await clock.finish();
    sums.dispose();
    const validation = options.validation ? await evaluate(engine, model, lossFunction, options.validation, batchSize) : null;
    const log: EpochLog = { epoch, seconds: (performance.now() - started) / 1000, train: trainMetrics, validation };
    logs.push(log);
    await options.onEpochEnd?.(log);
  }
  return logs;
}

export async function evaluate(engine: Engine, model: Module<Tensor>, lossFunction: LossFunction, data: TrainingData, batchSize = 32): Promise<Metrics> {
  const sums = new MetricSums(engine);
  for (const indices of batchesOf(epochOrder(data.count, 0, 0, false), batchSize)) {
    engine.scope(() =>
      noGrad(() => {
        const { inputs, targets } = upload(engine, data, indices);
        const prediction = model.forward(inputs);
        sums.add(lossFunction(prediction, targets), prediction, targets, indices.length);
      }),
    );
  }
  const metrics = await sums.read();
  sums.dispose();
  return metrics;
}

/** The model's outputs for the examples at `indices`, as one float32 array (NCHW). */
export async function predict(engine: Engine, model: Module<Tensor>, data: TrainingData, indices: ArrayLike<number>): Promise<Float32Array> {
  return engine.scopeAsync(() => noGrad(() => model.forward(upload(engine, data, indices).inputs)).read());
}
