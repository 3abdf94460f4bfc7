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
import { formatShape, sameShape, type Shape } from '../shapes.ts';
import { requireIndices, ShapeError } from '../errors.ts';
import { requireOutputShape } from './sequential.ts';
import { gpuBackend } from './gpu-backend.ts';
import { StepClock, type QueuePoint } from './step-clock.ts';

/** Examples addressed by index; `targets` null means the targets are the inputs (an autoencoder). */
export interface TrainingData {
  readonly count: number;
  readonly inputShape: Shape;
  readonly targetShape: Shape;
  /** The examples at `indices` as float32 inputs, and their targets (null: the inputs are the targets). */
  batch(indices: ArrayLike<number>): { inputs: Float32Array; targets: Float32Array | null };
}

/** A loss: a scalar from the model's output and the targets (F.binaryCrossEntropy, F.meanSquaredError, ...). */
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

/** One epoch of fit: its number, its time, and the training and validation metrics. */
export interface EpochLog {
  epoch: number;
  seconds: number;
  train: Metrics;
  validation: Metrics | null;
}

/** Where fit is within an epoch, for a progress line. */
export interface Progress {
  epoch: number;
  epochs: number;
  step: number;
  steps: number;
  /** Mean loss so far in this epoch, when it has been read back. */
  loss: number | null;
  elapsedSeconds: number;
}

/** fit's schedule: epochs, batch size, shuffling, validation data, and its callbacks. */
export interface FitOptions {
  readonly epochs: number;
  readonly batchSize?: number;
  readonly shuffle?: boolean;
  /** Seeds the shuffling (default 1). */
  readonly seed?: number;
  /** Epochs already done (a resumed run starts after them). */
  readonly initialEpoch?: number;
  readonly validation?: TrainingData;
  /** Called after each step. */
  readonly onProgress?: (progress: Progress) => void;
  /**
   * Awaited before each step: the lab page waits here while paused, and yields to the page
   * between steps. Throwing stops the training (the error propagates).
   */
  readonly beforeStep?: () => Promise<void> | void;
  /** Awaited after each epoch: checkpoints are written here. */
  readonly onEpochEnd?: (log: EpochLog) => Promise<void> | void;
}

export { QUEUED_MILLISECONDS } from './step-clock.ts';

/** Metrics at one point of the queue (MetricSums.snapshot). */
type MetricSnapshot = QueuePoint<Metrics>;

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
      async values(): Promise<Metrics> {
        const [loss, accuracy, squared] = (await snapshot.values()).map((values) => values[0]! / count);
        return {
          loss: loss!,
          binaryAccuracy: accuracy!,
          meanSquaredError: squared!,
          psnr: 10 * Math.log10(1 / squared!),
        };
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
  requireIndices(indices, data.count, 'examples');
  const batch = data.batch(indices);
  const inputs = engine.tensor(batch.inputs, [indices.length, ...data.inputShape], 'batch inputs');
  const targets = batch.targets
    ? engine.tensor(batch.targets, [indices.length, ...data.targetShape], 'batch targets')
    : inputs;
  return { inputs, targets };
}

/** Trains `model` on `data` as Keras' fit does: shuffled batches, one optimiser step each, the metrics of each epoch. */
export async function fit(
  engine: Engine,
  model: Module<Tensor>,
  optimizer: Optimizer,
  lossFunction: LossFunction,
  train: TrainingData,
  options: FitOptions,
): Promise<EpochLog[]> {
  // Shapes first: a model that cannot take the data, or gives the wrong shape, is refused
  // here, naming the layer, and not at the loss inside the first step.
  requireOutputShape(model, train.inputShape, train.targetShape);
  const held = options.validation;
  if (held && !(sameShape(held.inputShape, train.inputShape) && sameShape(held.targetShape, train.targetShape))) {
    throw new ShapeError(
      `fit: the validation examples are ${formatShape(held.inputShape)} -> ${formatShape(held.targetShape)}, the training examples ${formatShape(train.inputShape)} -> ${formatShape(train.targetShape)}`,
    );
  }
  const batchSize = options.batchSize ?? 32;
  const steps = Math.ceil(train.count / batchSize);
  const logs: EpochLog[] = [];
  for (let epoch = (options.initialEpoch ?? 0) + 1; epoch <= options.epochs; epoch++) {
    const started = performance.now();
    const sums = new MetricSums(engine);
    const clock = new StepClock(() => sums.snapshot(), engine.waits);
    let runningLoss: number | null = null;
    let step = 0;
    let trainMetrics: Metrics;
    try {
      for (const indices of batchesOf(
        epochOrder(train.count, options.seed ?? 1, epoch, options.shuffle ?? true),
        batchSize,
      )) {
        if (options.beforeStep) await options.beforeStep();
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
        options.onProgress?.({
          epoch,
          epochs: options.epochs,
          step,
          steps,
          loss: runningLoss,
          elapsedSeconds: (performance.now() - started) / 1000,
        });
      }
      trainMetrics = await clock.finish();
    } finally {
      sums.dispose(); // also when beforeStep stops the training
    }
    const validation = options.validation
      ? await evaluate(engine, model, lossFunction, options.validation, batchSize)
      : null;
    const log: EpochLog = { epoch, seconds: (performance.now() - started) / 1000, train: trainMetrics, validation };
    logs.push(log);
    await options.onEpochEnd?.(log);
  }
  return logs;
}

/** The model's metrics over `data`, without training (Keras' evaluate). */
export async function evaluate(
  engine: Engine,
  model: Module<Tensor>,
  lossFunction: LossFunction,
  data: TrainingData,
  batchSize = 32,
): Promise<Metrics> {
  requireOutputShape(model, data.inputShape, data.targetShape);
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
export async function predict(
  engine: Engine,
  model: Module<Tensor>,
  data: TrainingData,
  indices: ArrayLike<number>,
): Promise<Float32Array> {
  if (indices.length === 0) return new Float32Array(0);
  // The scope closes before the wait: another run on the same engine (a sweep's trials train
  // side by side) may create tensors meanwhile, and they must not fall into this scope.
  const prediction = engine.scope(() => noGrad(() => model.forward(upload(engine, data, indices).inputs)));
  try {
    return await prediction.read();
  } finally {
    prediction.dispose();
  }
}
