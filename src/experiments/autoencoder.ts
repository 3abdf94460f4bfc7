// Part 1 of the notebook, end to end: split the data, train the convolutional autoencoder
// with binary cross-entropy and RMSprop (Keras' defaults), checkpoint every epoch, then
// evaluate on the test split and write the report.
import { existsSync } from 'node:fs';
import type { Engine } from '../backend/engine.ts';
import { createEngine } from '../kernels/registry.ts';
import { notebookSplit } from '../data/split.ts';
import { autoencoderData } from '../data/image-set.ts';
import { AelabError } from '../errors.ts';
import * as F from '../nn/functional.ts';
import { summary } from '../nn/sequential.ts';
import { RMSprop } from '../nn/optimisers.ts';
import { evaluate, fit, predict, type EpochLog, type LossFunction, type Metrics, type Progress, type TrainingData } from '../nn/training.ts';
import { dataFingerprint, loadDataSource, type DataSource } from './data-source.ts';
import { ReferenceEngine } from '../nn/reference-backend.ts';
import type { Split } from '../data/split.ts';
import { architectureName, autoencoderName, autoencoderOf, type ArchitectureConfig } from './configurable-autoencoder.ts';
import type { ModuleBackend } from '../nn/modules.ts';
import type { TapeTensor } from '../nn/autograd.ts';
import { sizeOf } from '../shapes.ts';
import { RunDirectory } from './run-directory.ts';
import { tensorsToFile } from '../nn/safetensors.ts';
import { loadTuning, saveTuning, tuningFilePath } from '../tuning/cache.ts';
import { challengersKept, tune } from '../tuning/tuner.ts';
import { backward } from '../nn/autograd.ts';
import type { Autoencoder } from '../nn/sequential.ts';
import type { Tensor } from '../backend/tensor.ts';
import { historyCsv, lossChartSvg, reportHtml } from './report.ts';
import { imageGridPng } from './png-images.ts';

export interface AutoencoderConfig {
  /** A data directory, or null to download CIFAR-10. */
  readonly data: string | null;
  readonly epochs: number;
  readonly batchSize: number;
  readonly sample: number;
  readonly seed: number;
  /** Part 2's configurable model (configurable-autoencoder.ts); absent: the notebook's Part 1 model. */
  readonly architecture?: ArchitectureConfig;
}

export interface RunHooks {
  readonly log?: (line: string) => void;
  readonly onProgress?: (progress: Progress) => void;
  readonly onEpochEnd?: (log: EpochLog) => void;
  /** The command line, for the report. */
  readonly command?: string;
  /** Inject a device-bearing engine (tests); otherwise one is created. */
  readonly engine?: Engine;
  /**
   * Time the conv kernels' variants on this adapter before training and use the fastest
   * (default true). The choices are cached per adapter, so only the first run pays.
   */
  readonly tune?: boolean;
  /** Tune even when the training is shorter than the tuning would be (aelab autoencoder --tune). */
  readonly forceTune?: boolean;
  /** The images, already loaded (a sweep loads them once for all its trials); otherwise from config.data. */
  readonly source?: DataSource;
  /**
   * The settings the user gave (a resumed run refuses those that differ from its own, and
   * continues to its own epochs unless 'epochs' is here); default: all of them.
   */
  readonly given?: ReadonlySet<string>;
  /** Resume from this checkpoint (epoch-NNNN) instead of the latest, discarding those after it. */
  readonly resumeFrom?: string;
}

/** What a model is, measured from its real shapes: written to metrics.json beside the test metrics. */
export interface ModelStatistics {
  readonly parameters: number;
  readonly flopsPerImage: number;
  readonly latentShape: readonly number[];
  readonly latentSize: number;
}

export interface AutoencoderResult {
  readonly history: EpochLog[];
  readonly test: Metrics;
  readonly trainingSeconds: number;
  readonly directory: string;
  readonly model: ModelStatistics;
}

/** The run's model: Part 2's configured one, or the notebook's Part 1 autoencoder. */
export function modelOf<T extends TapeTensor<T>>(backend: ModuleBackend<T>, config: AutoencoderConfig, channels: number): Autoencoder<T> {
  if (config.architecture && config.architecture.inputLayers !== channels) {
    throw new AelabError(`the model takes ${config.architecture.inputLayers}-channel images (input_layers), but the data has ${channels} channels`);
  }
  return autoencoderOf(backend, config.architecture, config.seed, channels);
}

const GRID_ROWS = 10;

/**
 * Compiles the pipelines of a training step before training (one forward and backward pass,
 * no update), so that epoch 1's time is training, and the compilation has a line of its own.
 */
export async function compileStep(engine: Engine, model: Autoencoder<Tensor>, data: TrainingData, batchSize: number, log: (line: string) => void, loss: LossFunction = F.binaryCrossEntropy): Promise<void> {
  const before = engine.kernels.pipelineCount;
  const start = performance.now();
  engine.scope(() => gradientStep(engine, model, loss)(firstBatch(engine, data, batchSize)));
  await engine.synchronize();
  const compiled = engine.kernels.pipelineCount - before;
  if (compiled > 0) log(`compiled ${compiled} kernel pipelines in ${((performance.now() - start) / 1000).toFixed(1)} s (not counted in the training time)`);
}

/** A training step without the update: forward, loss, backward, gradients cleared (what compiling and tuning run). */
function gradientStep(engine: Engine, model: Autoencoder<Tensor>, loss: LossFunction): (batch: { inputs: Tensor; targets: Tensor }) => void {
  return ({ inputs, targets }) => engine.scope(() => {
    backward(loss(model.forward(inputs), targets));
    model.zeroGrad();
  });
}

/** The first `batchSize` examples of `data` on the GPU (the targets are the inputs where data has none). */
function firstBatch(engine: Engine, data: TrainingData, batchSize: number): { inputs: Tensor; targets: Tensor } {
  const count = Math.min(batchSize, data.count);
  const batch = data.batch(Array.from({ length: count }, (_, i) => i));
  const inputs = engine.tensor(batch.inputs, [count, ...data.inputShape]);
  return { inputs, targets: batch.targets ? engine.tensor(batch.targets, [count, ...data.targetShape]) : inputs };
}

/**
 * About how long the tuner spends on one dispatch of a step, rounded up from the notebook's
 * step on lavapipe (docs/performance.md). Only for deciding whether to tune.
 */
const TUNING_SECONDS_PER_DISPATCH = 1.2;

/**
 * Whether timing `untuned` dispatches is worth it for `trainingSteps` steps of `stepMilliseconds`
 * each: only when the training would take at least as long as the tuning. A pure function of
 * the measured times, so the decision is tested with given times, never with the machine's.
 */
export function tuningDecision(untuned: number, stepMilliseconds: number, trainingSteps: number): { tune: boolean; tuningSeconds: number; trainingSeconds: number } {
  const tuningSeconds = untuned * TUNING_SECONDS_PER_DISPATCH;
  const trainingSeconds = (trainingSteps * stepMilliseconds) / 1000;
  return { tune: untuned > 0 && trainingSeconds >= tuningSeconds, tuningSeconds, trainingSeconds };
}

/** Tuning stops once this many dispatches in a row keep their heuristic variants. */
const STOP_AFTER_UNCHANGED = 6;

/**
 * Tunes the kernels of one training step at the run's batch size (cached per adapter), once the
 * run is worth it: a run whose `trainingSteps` would take less time than the tuning itself uses
 * the kernels' heuristic variants instead, and says so.
 */
export async function tuneForTraining(engine: Engine, model: Autoencoder<Tensor>, data: TrainingData, batchSize: number, log: (line: string) => void, trainingSteps = Infinity, loss: LossFunction = F.binaryCrossEntropy): Promise<string> {
  const path = tuningFilePath(engine.adapterDescription);
  loadTuning(engine, path);
  const step = gradientStep(engine, model, loss);
  // What tuning would time (the step's tunable dispatches the table lacks), and a step's time.
  const { untuned, stepMilliseconds } = await engine.scopeAsync(async () => {
    const batch = firstBatch(engine, data, batchSize);
    const keys = engine.tuning.collect(() => step(batch));
    await engine.synchronize();
    const start = performance.now();
    step(batch);
    step(batch);
    await engine.synchronize();
    return { untuned: [...keys].filter(([key, candidates]) => candidates.length > 1 && !engine.tuning.has(key)).length, stepMilliseconds: (performance.now() - start) / 2 };
  });
  if (untuned === 0) {
    log(`kernel variants: tuned for this adapter earlier (${path})`);
    return 'tuned for this adapter (by an earlier run)';
  }
  const { tune: worthIt, tuningSeconds, trainingSeconds } = tuningDecision(untuned, stepMilliseconds, trainingSteps);
  if (!worthIt) {
    log(`kernel tuning skipped: this run trains for about ${trainingSeconds.toFixed(0)} s, less than the ${tuningSeconds.toFixed(0)} s that timing the variants would take; the kernels' heuristic variants run instead`);
    return 'the heuristics (tuning would have taken longer than the training)';
  }
  log(`timing kernel variants for this adapter: ${untuned} dispatches, about ${tuningSeconds.toFixed(0)} s, once (kept in ${path}); --no-tune skips it`);
  const start = performance.now();
  const tuned = await engine.scopeAsync(async () => {
    const batch = firstBatch(engine, data, batchSize);
    // The cache was loaded above: tune what it lacks, saving the table as it changes.
    return tune(engine, () => step(batch), { onProgress: (done, total, key) => key && log(`  [${done + 1}/${total}] ${key}`), onTableChanged: () => saveTuning(engine, path),
      stopAfterUnchanged: STOP_AFTER_UNCHANGED,
      onStoppedEarly: (untimed) => log(`  stopped early: ${STOP_AFTER_UNCHANGED} dispatches in a row kept their heuristic variants; the other ${untimed} keep theirs untimed`),
    });
  });
  if (tuned.length > 0) {
    const before = tuned.reduce((total, result) => total + result.heuristicMilliseconds, 0);
    const after = tuned.reduce((total, result) => total + result.chosenMilliseconds, 0);
    log(`tuned in ${((performance.now() - start) / 1000).toFixed(1)} s: the tuned passes take ${after.toFixed(1)} ms where the heuristic variants took ${before.toFixed(1)} ms`);
    const check = tuned.find((result) => result.workCheck)?.workCheck;
    if (check) {
      log(`  the whole step: ${check.withChallengers.toFixed(1)} ms with the faster-looking variants, ${check.withHeuristics.toFixed(1)} ms without: ${challengersKept(check) ? 'kept' : 'heuristic variants kept instead'}`);
    }
  }
  return 'tuned for this adapter by this run';
}

/**
 * The settings among `keys` that the user gave (`given`) with another value than the run's
 * saved one, as '--batch-size 64 (the run has 32)': what a resume refuses.
 */
export function changedSettings<T>(keys: readonly (keyof T & string)[], requested: T, saved: T, given: ReadonlySet<string>): string[] {
  const option = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return keys.filter((key) => given.has(key) && JSON.stringify(requested[key]) !== JSON.stringify(saved[key]))
    .map((key) => `${option(key)} ${JSON.stringify(requested[key])} (the run has ${JSON.stringify(saved[key])})`);
}

/** The settings a resumed run may not change: each would make it another run. */
const FIXED_SETTINGS = ['batchSize', 'sample', 'seed', 'architecture'] as const;

/**
 * The run's config. A new run takes the requested one. A resumed run keeps its own, fixed at
 * its start: it continues to its own epochs unless `given` holds 'epochs' (then it extends, and
 * refuses fewer epochs than are done), and any other setting given with another value is
 * refused, naming each. `--data` at another path is checked later, against the fingerprint.
 */
function resumedConfig(run: RunDirectory, requested: AutoencoderConfig, given: ReadonlySet<string>, from?: string): { config: AutoencoderConfig; trainedOn: { data: string | null; dataFingerprint?: string } } {
  const saved = run.readJson<AutoencoderConfig & { dataFingerprint?: string }>('config.json');
  if (!saved) throw new AelabError(`--resume: ${run.path} holds no run (no config.json)`);
  const differences = changedSettings(FIXED_SETTINGS, requested, saved, given);
  if (differences.length > 0) throw new AelabError(`--resume continues the run as it started; these differ: ${differences.join(', ')}. Drop them, or start a new run in another --out`);
  const done = from ? Number(from.slice('epoch-'.length)) : run.latestEpoch();
  if (given.has('epochs') && requested.epochs < done) throw new AelabError(`--epochs ${requested.epochs}: the run in ${run.path} has already done ${done} epochs`);
  const { dataFingerprint, started: _started, ...settings } = saved as typeof saved & { started?: string };
  return {
    config: { ...settings, epochs: given.has('epochs') ? requested.epochs : saved.epochs, data: given.has('data') ? requested.data : saved.data },
    trainedOn: { data: saved.data, dataFingerprint },
  };
}

/** Refuses images the model cannot reproduce (its output would not have their size), before any GPU work. */
function checkGeometry(config: AutoencoderConfig, channels: number, height: number, width: number): void {
  const probe = modelOf(new ReferenceEngine(), config, channels);
  const [, , outHeight, outWidth] = probe.outputShape([1, channels, height, width]);
  if (outHeight !== height || outWidth !== width) {
    throw new AelabError(`the model turns ${height}x${width} images into ${outHeight}x${outWidth}: its pools need image sides that divide evenly through every pool (multiples of 4 for Part 1's model)`);
  }
}

export async function runAutoencoder(out: string, requested: AutoencoderConfig, resume: boolean, hooks: RunHooks = {}): Promise<AutoencoderResult> {
  const log = hooks.log ?? (() => {});
  const run = new RunDirectory(out);
  // Everything is checked before anything is written: a refused command changes nothing on disk.
  let config = requested;
  let trainedOn: { data: string | null; dataFingerprint?: string } | null = null;
  if (hooks.resumeFrom) run.checkResumeFrom(hooks.resumeFrom);
  if (resume) ({ config, trainedOn } = resumedConfig(run, requested, hooks.given ?? new Set(Object.keys(requested)), hooks.resumeFrom));
  else if (existsSync(run.file('config.json')) && run.checkpointNames().length > 0) {
    throw new AelabError(`${out} already holds a run: pass --resume to continue it, or choose another --out`);
  }
  const source = hooks.source ?? (await loadDataSource(config.data, log));
  const fingerprint = dataFingerprint(source);
  if (trainedOn && config.data !== trainedOn.data && trainedOn.dataFingerprint !== fingerprint) {
    throw new AelabError(`--data ${config.data}: not the data this run trained on (${trainedOn.data ?? 'the downloaded CIFAR-10'}${trainedOn.dataFingerprint ? `; the fingerprints ${trainedOn.dataFingerprint} and ${fingerprint} differ` : ''})`);
  }
  const { train, validation, test } = notebookSplit(source.sets, config.sample, config.seed);
  checkGeometry(config, train.channels, train.height, train.width);
  log(`data: ${source.name}: ${train.count} training, ${validation.count} validation, ${test.count} test images of ${train.channels}x${train.height}x${train.width}`);
  if (config.batchSize > train.count) log(`note: --batch-size ${config.batchSize} is more than the ${train.count} training images: each epoch is one batch of ${train.count}`);

  // A new folder is made only once the device is there: a machine without a usable GPU leaves
  // nothing behind. An existing folder is locked first, so a second run is refused at once.
  let engine = hooks.engine ?? (existsSync(run.path) ? null : await createEngine());
  run.create();
  const release = run.lock(log);
  try {
    engine ??= await createEngine();
    if (hooks.resumeFrom) run.rewindTo(hooks.resumeFrom, log);
    // The start date is the run's first start: a resumed run keeps it.
    const started = run.readJson<{ started?: string }>('config.json')?.started ?? new Date().toISOString();
    run.write('config.json', JSON.stringify({ ...config, dataFingerprint: fingerprint, started }, null, 2) + '\n');
    return await trainRun(run, config, source, { train, validation, test }, { ...hooks, engine }, log);
  } finally {
    release();
  }
}

async function trainRun(run: RunDirectory, config: AutoencoderConfig, source: DataSource, split: Split, hooks: RunHooks, log: (line: string) => void): Promise<AutoencoderResult> {
  const out = run.path;
  const { train, validation, test } = split;
  const resume = run.checkpointNames().length > 0;
  const engine = hooks.engine ?? (await createEngine());
  const imageShape = [train.channels, train.height, train.width];
  const model = modelOf(engine, config, train.channels);
  const modelSummary = summary(model, imageShape) + (config.architecture && config.architecture.compression === 1 ? '\ncompression 1: its pools and upsamplings are identities, left out of the model' : '');
  const latentShape = model.latentShape(imageShape);
  const statistics: ModelStatistics = {
    parameters: model.parameters().reduce((total, parameter) => total + sizeOf(parameter.shape), 0),
    flopsPerImage: model.flops([1, ...imageShape]),
    latentShape,
    latentSize: sizeOf(latentShape),
  };
  run.write('summary.txt', modelSummary + '\n');
  const optimizer = RMSprop(engine, model.parameters());

  let history: EpochLog[] = [];
  if (resume) {
    const state = run.loadLatestCheckpoint(engine, model, optimizer);
    if (state) {
      history = state.history;
      log(`resuming after epoch ${state.epoch} of ${config.epochs}`);
    }
  }
  const writeHistory = () => {
    run.write('history.csv', historyCsv(history));
    run.write('loss.svg', lossChartSvg(history, 'binary cross-entropy'));
  };

  const stepsLeft = (config.epochs - (history.at(-1)?.epoch ?? 0)) * Math.ceil(train.count / config.batchSize);
  await compileStep(engine, model, autoencoderData(train), config.batchSize, log);
  const kernelVariants = (hooks.tune ?? true) ? await tuneForTraining(engine, model, autoencoderData(train), config.batchSize, log, hooks.forceTune ? Infinity : stepsLeft) : 'the heuristics (--no-tune)';

  await fit(engine, model, optimizer, F.binaryCrossEntropy, autoencoderData(train), {
    epochs: config.epochs,
    batchSize: config.batchSize,
    seed: config.seed,
    initialEpoch: history.length ? history.at(-1)!.epoch : 0,
    validation: autoencoderData(validation),
    onProgress: hooks.onProgress,
    onEpochEnd: async (epochLog) => {
      history.push(epochLog);
      await run.saveCheckpoint(engine, model, optimizer, { epoch: epochLog.epoch, optimizerStep: optimizer.step, history });
      writeHistory();
      hooks.onEpochEnd?.(epochLog);
    },
  });
  if (history.length > 0) writeHistory();

  const testData = autoencoderData(test);
  const testMetrics = await evaluate(engine, model, F.binaryCrossEntropy, testData, config.batchSize);
  const rows = Math.min(GRID_ROWS, test.count);
  const indices = Array.from({ length: rows }, (_, i) => i);
  const originals = testData.batch(indices).inputs;
  const reconstructions = await predict(engine, model, testData, indices);
  const gridPng = imageGridPng([originals, reconstructions], rows, train.channels, train.height, train.width);
  run.write('reconstructions.png', gridPng);
  const modelName = autoencoderName(config.architecture);
  run.write('model.safetensors', await tensorsToFile(engine, model.namedParameters(), { model: modelName, epochs: String(config.epochs) }));
  const trainingSeconds = history.reduce((total, epochLog) => total + epochLog.seconds, 0);
  run.write('metrics.json', JSON.stringify({ test: testMetrics, trainingSeconds, epochs: history.length, adapter: engine.adapterDescription, model: statistics }, null, 2) + '\n');
  run.write('report.html', reportHtml({
    title: `Convolutional autoencoder${config.architecture ? ` ${architectureName(config.architecture)}` : ''} on ${source.name}`,
    command: hooks.command ?? 'aelab autoencoder',
    summary: modelSummary,
    history,
    test: testMetrics,
    seconds: trainingSeconds,
    adapter: engine.adapterDescription,
    lossChart: lossChartSvg(history, 'binary cross-entropy'),
    gridPng,
    gridCaption: `Left: ${rows} test images; right: their reconstructions.`,
    settings: [
      ['data', source.name],
      ['images (train / validation / test)', `${train.count} / ${validation.count} / ${test.count} of ${train.channels}x${train.height}x${train.width}`],
      ['sample', String(config.sample)],
      ['seed', String(config.seed)],
      ['batch size', String(config.batchSize)],
      ['epochs', `${history.length} of ${config.epochs}`],
      ['kernel variants', kernelVariants],
      ['started', run.readJson<{ started?: string }>('config.json')?.started ?? 'unknown'],
    ],
  }));
  model.parameters().forEach((parameter) => parameter.dispose());
  optimizer.dispose();
  return { history, test: testMetrics, trainingSeconds, directory: out, model: statistics };
}
