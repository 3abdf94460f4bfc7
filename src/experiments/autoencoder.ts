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
import { evaluate, fit, predict, type EpochLog, type Metrics, type Progress } from '../nn/training.ts';
import { dataFingerprint, loadDataSource, type DataSource } from './data-source.ts';
import { ReferenceEngine } from '../nn/reference-backend.ts';
import type { Split } from '../data/split.ts';
import {
  architectureName,
  autoencoderName,
  autoencoderFor,
  type ArchitectureConfig,
} from './configurable-autoencoder.ts';
import { sizeOf } from '../shapes.ts';
import { RunDirectory } from './run-directory.ts';
import { tensorsToFile } from '../nn/safetensors.ts';
import { compileStep, tuneAsAsked, type Tuning } from './step-preparation.ts';
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
  /** After each epoch, with the run's own epoch count (a resumed run keeps its own). */
  readonly onEpochEnd?: (log: EpochLog, epochs: number) => void;
  /** The command line, for the report. */
  readonly command?: string;
  /** Inject a device-bearing engine (tests); otherwise one is created. */
  readonly engine?: Engine;
  /**
   * Time the conv kernels' variants on this adapter before training and use the fastest
   * (default true). The choices are cached per adapter, so only the first run pays.
   */
  /** Whether to time the conv kernels' variants first (default 'auto': when the training pays for it). */
  readonly tuning?: Tuning;
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
  /** One image's shape, [channels, height, width]: what the model was trained on (aelab export's default size). */
  readonly imageShape: readonly number[];
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

const GRID_ROWS = 10;

/**
 * The settings among `keys` that the user gave (`given`) with another value than the run's
 * saved one, as '--batch-size 64 (the run has 32)': what a resume refuses.
 */
export function changedSettings<T>(
  keys: readonly (keyof T & string)[],
  requested: T,
  saved: T,
  given: ReadonlySet<string>,
): string[] {
  const option = (key: string) => `--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
  return keys
    .filter((key) => given.has(key) && JSON.stringify(requested[key]) !== JSON.stringify(saved[key]))
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
function resumedConfig(
  run: RunDirectory,
  requested: AutoencoderConfig,
  given: ReadonlySet<string>,
  from?: string,
): { config: AutoencoderConfig; trainedOn: { data: string | null; dataFingerprint?: string } } {
  const saved = run.readJson<AutoencoderConfig & { dataFingerprint?: string }>('config.json');
  if (!saved) throw new AelabError(`--resume: ${run.path} holds no run (no config.json)`);
  const differences = changedSettings(FIXED_SETTINGS, requested, saved, given);
  if (differences.length > 0)
    throw new AelabError(
      `--resume continues the run as it started; these differ: ${differences.join(', ')}. Drop them, or start a new run in another --out`,
    );
  const done = from ? Number(from.slice('epoch-'.length)) : run.latestEpoch();
  if (given.has('epochs') && requested.epochs < done)
    throw new AelabError(`--epochs ${requested.epochs}: the run in ${run.path} has already done ${done} epochs`);
  const { dataFingerprint, started: _started, ...settings } = saved as typeof saved & { started?: string };
  return {
    config: {
      ...settings,
      epochs: given.has('epochs') ? requested.epochs : saved.epochs,
      data: given.has('data') ? requested.data : saved.data,
    },
    trainedOn: { data: saved.data, dataFingerprint },
  };
}

/** Refuses images the model cannot reproduce (its output would not have their size), before any GPU work. */
function checkGeometry(config: AutoencoderConfig, channels: number, height: number, width: number): void {
  const probe = autoencoderFor(new ReferenceEngine(), config.architecture, config.seed, channels);
  const [, , outHeight, outWidth] = probe.outputShape([1, channels, height, width]);
  if (outHeight !== height || outWidth !== width) {
    throw new AelabError(
      `the model turns ${height}x${width} images into ${outHeight}x${outWidth}: its pools need image sides that divide evenly through every pool (multiples of 4 for Part 1's model)`,
    );
  }
}

export async function runAutoencoder(
  out: string,
  requested: AutoencoderConfig,
  resume: boolean,
  hooks: RunHooks = {},
): Promise<AutoencoderResult> {
  const log = hooks.log ?? (() => {});
  const run = new RunDirectory(out);
  // Everything is checked before anything is written: a refused command changes nothing on disk.
  let config = requested;
  let trainedOn: { data: string | null; dataFingerprint?: string } | null = null;
  if (hooks.resumeFrom) run.checkResumeFrom(hooks.resumeFrom);
  if (resume)
    ({ config, trainedOn } = resumedConfig(
      run,
      requested,
      hooks.given ?? new Set(Object.keys(requested)),
      hooks.resumeFrom,
    ));
  else if (existsSync(run.file('config.json')) && run.checkpointNames().length > 0) {
    throw new AelabError(`${out} already holds a run: pass --resume to continue it, or choose another --out`);
  }
  const source = hooks.source ?? (await loadDataSource(config.data, log));
  const fingerprint = dataFingerprint(source);
  if (trainedOn && config.data !== trainedOn.data && trainedOn.dataFingerprint !== fingerprint) {
    throw new AelabError(
      `--data ${config.data}: not the data this run trained on (${trainedOn.data ?? 'the downloaded CIFAR-10'}${trainedOn.dataFingerprint ? `; the fingerprints ${trainedOn.dataFingerprint} and ${fingerprint} differ` : ''})`,
    );
  }
  const { train, validation, test } = notebookSplit(source.sets, config.sample, config.seed);
  checkGeometry(config, train.channels, train.height, train.width);
  log(
    `data: ${source.name}: ${train.count} training, ${validation.count} validation, ${test.count} test images of ${train.channels}x${train.height}x${train.width}`,
  );
  if (config.batchSize > train.count)
    log(
      `note: --batch-size ${config.batchSize} is more than the ${train.count} training images: each epoch is one batch of ${train.count}`,
    );

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
    const writeConfig = () =>
      run.write('config.json', JSON.stringify({ ...config, dataFingerprint: fingerprint, started }, null, 2) + '\n');
    return await trainRun(run, config, source, { train, validation, test }, { ...hooks, engine }, log, writeConfig);
  } finally {
    release();
  }
}

async function trainRun(
  run: RunDirectory,
  config: AutoencoderConfig,
  source: DataSource,
  split: Split,
  hooks: RunHooks,
  log: (line: string) => void,
  writeConfig: () => void,
): Promise<AutoencoderResult> {
  const out = run.path;
  const { train, validation, test } = split;
  const resume = run.checkpointNames().length > 0;
  const engine = hooks.engine ?? (await createEngine());
  const imageShape = [train.channels, train.height, train.width];
  const model = autoencoderFor(engine, config.architecture, config.seed, train.channels);
  const modelSummary =
    summary(model, imageShape) +
    (config.architecture && config.architecture.compression === 1
      ? '\ncompression 1: its pools and upsamplings are identities, left out of the model'
      : '');
  const latentShape = model.latentShape(imageShape);
  const statistics: ModelStatistics = {
    imageShape,
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
  // Only now: a resume refused above (a damaged checkpoint) leaves the run's config as it was.
  writeConfig();
  const writeHistory = () => {
    run.write('history.csv', historyCsv(history));
    run.write('loss.svg', lossChartSvg(history, 'binary cross-entropy'));
  };

  const stepsLeft = (config.epochs - (history.at(-1)?.epoch ?? 0)) * Math.ceil(train.count / config.batchSize);
  await compileStep(engine, model, autoencoderData(train), config.batchSize, log);
  const kernelVariants = await tuneAsAsked(
    engine,
    model,
    autoencoderData(train),
    config.batchSize,
    log,
    stepsLeft,
    hooks.tuning ?? 'auto',
  );

  await fit(engine, model, optimizer, F.binaryCrossEntropy, autoencoderData(train), {
    epochs: config.epochs,
    batchSize: config.batchSize,
    seed: config.seed,
    initialEpoch: history.length ? history.at(-1)!.epoch : 0,
    validation: autoencoderData(validation),
    onProgress: hooks.onProgress,
    onEpochEnd: async (epochLog) => {
      history.push(epochLog);
      await run.saveCheckpoint(engine, model, optimizer, {
        epoch: epochLog.epoch,
        optimizerStep: optimizer.step,
        history,
      });
      writeHistory();
      hooks.onEpochEnd?.(epochLog, config.epochs);
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
  run.write(
    'model.safetensors',
    await tensorsToFile(engine, model.namedParameters(), { model: modelName, epochs: String(config.epochs) }),
  );
  const trainingSeconds = history.reduce((total, epochLog) => total + epochLog.seconds, 0);
  run.write(
    'metrics.json',
    JSON.stringify(
      {
        test: testMetrics,
        trainingSeconds,
        epochs: history.length,
        adapter: engine.adapterDescription,
        model: statistics,
      },
      null,
      2,
    ) + '\n',
  );
  run.write(
    'report.html',
    reportHtml({
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
        [
          'images (train / validation / test)',
          `${train.count} / ${validation.count} / ${test.count} of ${train.channels}x${train.height}x${train.width}`,
        ],
        ['sample', String(config.sample)],
        ['seed', String(config.seed)],
        ['batch size', String(config.batchSize)],
        ['epochs', `${history.length} of ${config.epochs}`],
        ['kernel variants', kernelVariants],
        ['started', run.readJson<{ started?: string }>('config.json')?.started ?? 'unknown'],
      ],
    }),
  );
  model.parameters().forEach((parameter) => parameter.dispose());
  optimizer.dispose();
  return { history, test: testMetrics, trainingSeconds, directory: out, model: statistics };
}
