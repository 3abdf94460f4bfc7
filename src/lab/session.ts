// A training session of the lab page: one model, its optimiser and its split, trained by the
// same `fit` as the command line (no readback per step; the loss from fit's chunked
// snapshots), with play, pause, single step and stop. Between steps it yields to the page, so
// the page stays responsive, and runs what the views ask of the engine (work on the model
// while a step is half-encoded would mix into that step's scope).
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import { notebookSplit, type Split } from '../data/split.ts';
import { autoencoderData, toFloat, type ImageSet } from '../data/image-set.ts';
import * as F from '../nn/functional.ts';
import type { Autoencoder } from '../nn/sequential.ts';
import type { Optimizer, OptimizerName } from '../nn/optimisers.ts';
import { updateRules } from '../kernels/registry.ts';
import { fit, predict, type EpochLog } from '../nn/training.ts';
import { applyTensors, decodeSafetensors, tensorsToFile } from '../nn/safetensors.ts';
import { onnxModel } from '../nn/onnx.ts';
import { buildModel, buildOptimiser, modelName, type LabSettings } from './settings.ts';
import { backward } from '../nn/autograd.ts';
import { tune } from '../tuning/tuner.ts';
import { DeviceLostError } from '../errors.ts';
import type { ChartMarker } from './draw.ts';

/** Thrown in fit's beforeStep to end the training when the session is stopped. */
class Stopped extends Error {}

/** Thrown in the tuner's progress hook to end a background tuning when training starts. */
class TuningCancelled extends Error {}

export type SessionState = 'ready' | 'running' | 'paused' | 'finished' | 'stopped';

export interface LossPoint {
  /** Epochs done, fractional within an epoch. */
  readonly epoch: number;
  readonly loss: number;
}

export interface SessionEvents {
  onState(state: SessionState): void;
  /** The running training loss of the epoch so far (each of fit's chunks), and images per second while running. */
  onLoss(point: LossPoint, imagesPerSecond: number | null): void;
  onEpoch(log: EpochLog): void;
  /** Every couple of seconds while running, and after each epoch: time to refresh the pictures. */
  onRefresh(): Promise<void> | void;
  onError(error: unknown): void;
  /** The GPU device was lost during training (the page gets a new one: main.ts). */
  onDeviceLost(): void;
}

/** Where a new session goes on from after a lost device: the last finished epoch's weights and history. */
export interface SessionResume {
  readonly weights: Uint8Array;
  readonly epochs: readonly EpochLog[];
  readonly losses: readonly LossPoint[];
}

const YIELD_MILLISECONDS = 12; // under a 60 Hz frame

/**
 * The page's one yield policy for training loops: the function it returns gives the browser a
 * turn (a macrotask) when YIELD_MILLISECONDS have passed since the last, and returns at once
 * otherwise.
 */
export function pageYielder(): () => Promise<void> {
  let last = performance.now();
  return async () => {
    if (performance.now() - last < YIELD_MILLISECONDS) return;
    await new Promise((resolve) => setTimeout(resolve, 0));
    last = performance.now();
  };
}
const REFRESH_MILLISECONDS = 2000;

export class TrainingSession {
  readonly model: Autoencoder<Tensor>;
  readonly optimizer: Optimizer;
  readonly split: Split;
  readonly imageShape: readonly [number, number, number];
  readonly losses: LossPoint[] = [];
  readonly epochs: EpochLog[] = [];
  /** What changed while training ran (the learning rate), where on the loss chart. */
  readonly markers: ChartMarker[] = [];
  state: SessionState = 'ready';
  /** Steps that may run before the session pauses (Infinity while playing). */
  private allowedSteps = 0;
  private wake: (() => void) | null = null;
  private readonly yieldToPage = pageYielder();
  private lastRefresh = 0;
  private readonly pending: (() => Promise<void>)[] = [];
  private training: Promise<void> | null = null;
  /** True between two steps (in beforeStep, or at an epoch's end), where work may run at once. */
  private betweenSteps = false;
  /** Work run while not training, which the next step waits for. */
  private inFlight: Promise<unknown> = Promise.resolve();
  private throughput = { images: 0, since: 0 };
  /** Set when training starts or a view asks for the engine: a background tuning ends before the next dispatch it would time. */
  private tuningCancelled = false;
  private tuningActive = false;
  /** The weights at the end of the last finished epoch, kept in memory for a lost device (resumePoint). */
  private lastEpochWeights: Uint8Array | null = null;

  constructor(
    readonly engine: Engine,
    readonly settings: LabSettings,
    sets: readonly ImageSet[],
    private readonly events: SessionEvents,
    resume: SessionResume | null = null,
  ) {
    this.split = notebookSplit(sets, settings.sample, settings.seed);
    const { channels, height, width } = this.split.train;
    this.imageShape = [channels, height, width];
    this.model = buildModel(engine, settings, this.imageShape);
    this.optimizer = buildOptimiser(engine, settings, this.model.parameters());
    if (resume) {
      const name = `the weights of epoch ${resume.epochs.length}`;
      applyTensors(engine, this.model.namedParameters(), decodeSafetensors(resume.weights, name), name);
      this.epochs.push(...resume.epochs);
      this.losses.push(...resume.losses);
      this.lastEpochWeights = resume.weights;
    }
  }

  /**
   * What a new session on a new device goes on from: the last finished epoch's weights, the
   * epochs and the loss chart up to it (the optimiser's state starts afresh); null before the
   * first epoch ends, where a new session with the same seed starts from the same weights.
   */
  resumePoint(): SessionResume | null {
    if (!this.lastEpochWeights) return null;
    const epochs = this.epochs.length;
    return {
      weights: this.lastEpochWeights,
      epochs: this.epochs.slice(),
      losses: this.losses.filter((point) => point.epoch <= epochs),
    };
  }

  /** The learning rate the next update uses. */
  get learningRate(): number {
    return (this.optimizer.hyperparameters as { learningRate: number }).learningRate;
  }

  /**
   * Changes the learning rate from the next update on, with no reset: the weights and the
   * optimiser's state stay, and the loss chart marks where it changed.
   */
  setLearningRate(learningRate: number): void {
    this.optimizer.setHyperparameters({ learningRate });
    this.markers.push({ x: this.losses.at(-1)?.epoch ?? this.epochs.length, label: `lr ${learningRate}` });
  }

  /** The update rule the next update uses (the settings name the one the session started with). */
  get optimiserName(): OptimizerName {
    return this.optimizer.name as OptimizerName;
  }

  /**
   * Another optimiser from the next update on, between two steps, with no reset: the weights
   * stay; the new optimiser's state starts at zero (Optimizer.changeRule), at the learning rate
   * in use. The loss chart marks where it changed.
   */
  setOptimiser(name: OptimizerName): Promise<void> {
    return this.exclusive(async () => {
      if (name === this.optimiserName) return;
      const rule = updateRules[name];
      this.optimizer.changeRule(rule, { ...rule.defaults, learningRate: this.learningRate });
      this.markers.push({ x: this.losses.at(-1)?.epoch ?? this.epochs.length, label: name });
    });
  }

  get name(): string {
    return modelName(this.settings, this.imageShape[0]);
  }

  /** Train until the last epoch (or until paused). */
  play(): void {
    this.allowedSteps = Infinity;
    this.start();
  }

  pause(): void {
    if (this.state === 'running') this.allowedSteps = 0;
  }

  /** One training step, then paused. */
  step(): void {
    this.allowedSteps = 1;
    this.start();
  }

  /** Ends the training for good (the page builds a new session to reset). */
  async stop(): Promise<void> {
    this.allowedSteps = -1;
    this.wake?.();
    await this.training?.catch(() => {});
  }

  /**
   * Runs `work` on the engine when no step is half-encoded: at once when not training,
   * otherwise between two steps.
   */
  exclusive<R>(work: () => Promise<R>): Promise<R> {
    if (this.tuningActive) this.tuningCancelled = true; // the view's work goes first
    if (this.state !== 'running' || this.betweenSteps) {
      const result = this.inFlight.then(work);
      this.inFlight = result.catch(() => {});
      return result;
    }
    return new Promise<R>((resolve, reject) => this.pending.push(() => work().then(resolve, reject)));
  }

  private setState(state: SessionState): void {
    this.state = state;
    this.events.onState(state);
  }

  /**
   * Times the variants of this session's training step that the engine's table lacks
   * (tuning/tuner.ts) while the session does not train. Training or a view's work that starts
   * meanwhile ends it before the next dispatch it would time (what was timed stays, and
   * `onTableChanged` is told of each change, to store it).
   */
  tuneInBackground(
    onProgress: (done: number, total: number) => void,
    onTableChanged: () => void,
  ): Promise<'tuned' | 'cancelled'> {
    const tuning = this.exclusive(async () => {
      try {
        if (this.tuningCancelled) return 'cancelled';
        await this.engine.scopeAsync(async () => {
          const indices = Array.from(
            { length: Math.min(this.settings.batchSize, this.split.train.count) },
            (_, i) => i,
          );
          const inputs = this.engine.tensor(toFloat(this.split.train, indices), [indices.length, ...this.imageShape]);
          await tune(
            this.engine,
            () => {
              backward(F.binaryCrossEntropy(this.model.forward(inputs), inputs));
              this.model.zeroGrad();
            },
            {
              onProgress: (done, total) => {
                if (this.tuningCancelled) throw new TuningCancelled();
                onProgress(done, total);
              },
              onTableChanged,
            },
          );
        });
        return 'tuned';
      } catch (error) {
        if (error instanceof TuningCancelled) return 'cancelled';
        throw error;
      } finally {
        this.tuningActive = false;
      }
    });
    // Queued from here on: work asked for after it cancels it.
    this.tuningActive = true;
    this.tuningCancelled = false;
    return tuning;
  }

  private start(): void {
    this.tuningCancelled = true;
    if (this.state === 'finished' || this.state === 'stopped') return;
    if (this.wake) {
      const wake = this.wake;
      this.wake = null;
      this.setState('running');
      wake();
      return;
    }
    if (this.training) return;
    this.setState('running');
    this.throughput = { images: 0, since: performance.now() };
    const { settings } = this;
    this.training = fit(
      this.engine,
      this.model,
      this.optimizer,
      F.binaryCrossEntropy,
      autoencoderData(this.split.train),
      {
        epochs: settings.epochs,
        batchSize: settings.batchSize,
        seed: settings.seed,
        initialEpoch: this.epochs.length,
        validation: autoencoderData(this.split.validation),
        beforeStep: () => this.beforeStep(),
        onProgress: (progress) => {
          this.throughput.images += Math.min(
            settings.batchSize,
            this.split.train.count - (progress.step - 1) * settings.batchSize,
          );
          if (progress.loss === null) return;
          const point = { epoch: progress.epoch - 1 + progress.step / progress.steps, loss: progress.loss };
          if (this.losses.at(-1)?.loss === point.loss) return; // no new chunk read back
          this.losses.push(point);
          const seconds = (performance.now() - this.throughput.since) / 1000;
          this.events.onLoss(point, seconds > 0 ? this.throughput.images / seconds : null);
        },
        onEpochEnd: async (log) => {
          this.lastEpochWeights = await tensorsToFile(this.engine, this.model.namedParameters(), {});
          this.epochs.push(log);
          this.events.onEpoch(log);
          await this.whileBetweenSteps(() => this.events.onRefresh());
        },
      },
    ).then(
      () => this.setState('finished'),
      (error) => {
        this.setState('stopped');
        if (error instanceof DeviceLostError) this.events.onDeviceLost();
        else if (!(error instanceof Stopped)) this.events.onError(error);
      },
    );
  }

  private async whileBetweenSteps(work: () => Promise<void> | void): Promise<void> {
    this.betweenSteps = true;
    try {
      await work();
    } finally {
      this.betweenSteps = false;
    }
  }

  private beforeStep(): Promise<void> {
    return this.whileBetweenSteps(() => this.betweenStepsWork());
  }

  /** Finishes the views' work: what ran while not training, then what was queued while training. */
  private async finishViewsWork(): Promise<void> {
    await this.inFlight;
    for (let work = this.pending.shift(); work; work = this.pending.shift()) await work();
  }

  private async betweenStepsWork(): Promise<void> {
    await this.finishViewsWork();
    if (this.allowedSteps === 0) {
      this.setState('paused');
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.throughput = { images: 0, since: performance.now() };
      await this.finishViewsWork();
    }
    if (this.allowedSteps < 0) throw new Stopped();
    this.allowedSteps -= 1;
    const now = performance.now();
    if (now - this.lastRefresh > REFRESH_MILLISECONDS) {
      this.lastRefresh = now;
      await this.events.onRefresh();
    }
    await this.yieldToPage();
  }

  /** The model's reconstructions of test images `indices` (values in [0, 1], NCHW). */
  reconstruct(indices: readonly number[]): Promise<{ originals: Float32Array; reconstructions: Float32Array }> {
    return this.exclusive(async () => ({
      originals: toFloat(this.split.test, indices),
      reconstructions: await predict(this.engine, this.model, autoencoderData(this.split.test), indices),
    }));
  }

  /** The weights as a .safetensors file, in the format the command line writes (with these settings in its metadata). */
  saveModel(): Promise<Uint8Array> {
    return this.exclusive(() =>
      tensorsToFile(this.engine, this.model.namedParameters(), {
        model: this.name,
        epochs: String(this.epochs.length),
        'aelab.lab': JSON.stringify(this.settings),
      }),
    );
  }

  /** The model as an ONNX graph (nn/onnx.ts) for this page's image size. */
  saveOnnx(): Promise<Uint8Array> {
    return this.exclusive(() =>
      onnxModel(this.engine, this.model, this.imageShape, {
        name: this.name,
        description: `${this.name}, ${this.epochs.length} epochs in the aelab lab`,
      }),
    );
  }

  /** Loads weights into this session's model; every name and shape must match (the error says which does not). */
  loadModel(file: Uint8Array, fileName: string): Promise<void> {
    return this.exclusive(async () => {
      applyTensors(this.engine, this.model.namedParameters(), decodeSafetensors(file, fileName), fileName);
    });
  }

  /** Frees the model and optimiser (after stop). */
  dispose(): void {
    this.model.parameters().forEach((parameter) => parameter.dispose());
    this.optimizer.dispose();
  }
}
