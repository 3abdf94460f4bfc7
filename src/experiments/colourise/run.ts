// Part 3 end to end: for each requested method, train a colouriser with Part 1's machinery (fit,
// a checkpoint every epoch, resume), colourise the test split, and measure it against the true
// images beside the gray baseline; then write the report (report.ts).
import { existsSync } from 'node:fs';
import { readJsonFile } from '../../files.ts';
import { join } from 'node:path';
import type { Engine } from '../../backend/engine.ts';
import { createEngine } from '../../kernels/registry.ts';
import { notebookSplit } from '../../data/split.ts';
import type { ImageSet } from '../../data/image-set.ts';
import { AelabError } from '../../errors.ts';
import { summary } from '../../nn/sequential.ts';
import { RMSprop } from '../../nn/optimisers.ts';
import { fit, type EpochLog, type Progress } from '../../nn/training.ts';
import { describedAutoencoder } from '../configurable-autoencoder.ts';
import { dataFingerprint, loadDataSource, type DataSource } from '../data-source.ts';
import { changedSettings } from '../autoencoder.ts';
import { compileStep, tuneAsAsked, type Tuning } from '../step-preparation.ts';
import { historyCsv, lossChartSvg } from '../report.ts';
import { RunDirectory } from '../run-directory.ts';
import { tensorsToFile } from '../../nn/safetensors.ts';
import { binsFromJson, binsToJson, findBins, TEMPERATURE, type AbBins } from './ab-bins.ts';
import {
  colourMethod,
  grayBaseline,
  halfResolutionAb,
  PART1_SHAPE,
  RUN_NAMES,
  type ColourMethod,
  type Planes,
  type RunName,
} from './methods.ts';
import { colourMetrics, describeTruth, type ColourMetrics, type ImageBatch } from './metrics.ts';
import { writeColouriseReport } from './report.ts';
import { colouriseImages, methodData, planesOf } from './colourise-pictures.ts';

/** What `aelab colourise` trains: the data, the methods, the schedule and the architecture's options. */
export interface ColouriseConfig {
  /** A data directory, or null to download CIFAR-10. */
  readonly data: string | null;
  readonly epochs: number;
  readonly batchSize: number;
  readonly sample: number;
  readonly seed: number;
  readonly runs: readonly RunName[];
  /** A sweep's folder: its best architecture replaces Part 1's shape. */
  readonly fromSweep: string | null;
  /**
   * U-Net skip connections in every method's model (ArchitectureConfig.skip); 'both' trains each
   * method twice, without and with them (the second in `<method>-skip/`), for the report's rows.
   */
  readonly skip?: boolean | 'both';
  /** lab-classes' annealed-mean temperature (decoding only; a resumed run may change it). */
  readonly temperature?: number;
}

export interface ColouriseHooks {
  readonly log?: (line: string) => void;
  readonly onProgress?: (run: RunName, progress: Progress) => void;
  /** After each epoch, with the run's own epoch count (a resumed run keeps its own). */
  readonly onEpochEnd?: (run: RunName, log: EpochLog, epochs: number) => void;
  readonly command?: string;
  readonly engine?: Engine;
  /** Whether to time the conv kernels' variants first (default 'auto': when the training pays for it). */
  readonly tuning?: Tuning;
  /** The settings the user gave; a resumed run refuses those that differ from its own. */
  readonly given?: ReadonlySet<string>;
}

export interface RunOutcome {
  readonly name: RunName;
  /** Its folder's name, and its name in the report: the method's, with `-skip` for a skip variant beside a plain one. */
  readonly label: string;
  /** Whether its model has U-Net skip connections. */
  readonly skip: boolean;
  readonly description: string;
  readonly history: EpochLog[];
  readonly trainingSeconds: number;
  readonly metrics: ColourMetrics;
  /** Its own gray baseline's name, a key of ColouriseResult.grays. */
  readonly grayName: string;
  readonly predictions: Float32Array;
  readonly summary: string;
  readonly lossName: string;
}

export interface ColouriseResult {
  readonly directory: string;
  /** The BT.601 luma with no colour: the grid's gray column. */
  readonly gray: ColourMetrics;
  /** Each method's own gray baseline, by its name (ColourMethod.grayName). */
  readonly grays: Readonly<Record<string, ColourMetrics>>;
  readonly runs: RunOutcome[];
  readonly truthColourfulness: number;
  /** Q, when lab-classes ran. */
  readonly binCount: number | null;
}

/** The architecture the methods share: Part 1's shape, or the best of a sweep (by test loss). */
export function sharedShape(fromSweep: string | null): typeof PART1_SHAPE {
  if (!fromSweep) return PART1_SHAPE;
  const path = join(fromSweep, 'results.json');
  if (!existsSync(path))
    throw new AelabError(`--from-sweep ${fromSweep}: no results.json (not the folder of a finished 'aelab sweep')`);
  type Row = {
    name: string;
    fewer_layers: boolean;
    channel_factor: number;
    kernel_size: number;
    compression_factor: number;
    test_loss: number;
  };
  const trials = readJsonFile<{ trials?: Row[] }>(path).trials;
  const best = [...(trials ?? [])].sort((a, b) => a.test_loss - b.test_loss)[0];
  if (!best) throw new AelabError(`--from-sweep ${fromSweep}: results.json lists no finished trial`);
  return {
    ...PART1_SHAPE,
    fewerLayers: best.fewer_layers,
    channelFactor: best.channel_factor,
    kernelSize: best.kernel_size,
    compression: best.compression_factor,
  };
}

/** The settings a resumed colourisation keeps: each would make it another experiment. */
const FIXED_SETTINGS = ['batchSize', 'sample', 'seed', 'fromSweep', 'skip'] as const;

/** The saved config of the runs --resume continues, refusing a fixed setting given otherwise. */
function checkResume(root: RunDirectory, requested: ColouriseConfig, given: ReadonlySet<string>): ColouriseConfig {
  const saved = root.readJson<ColouriseConfig & { dataFingerprint?: string }>('config.json');
  if (!saved) throw new AelabError(`--resume: ${root.path} holds no colourisation (no config.json)`);
  const differences = changedSettings(FIXED_SETTINGS, requested, saved, given);
  if (differences.length > 0)
    throw new AelabError(
      `--resume continues the runs as they started; these differ: ${differences.join(', ')}. Drop them, or choose another --out`,
    );
  return saved;
}

/** Part 3: trains each requested method into OUT/<method>/, measures it on the test split, and writes OUT/report.html. */
export async function runColourise(
  out: string,
  config: ColouriseConfig,
  resume: boolean,
  hooks: ColouriseHooks = {},
): Promise<ColouriseResult> {
  const log = hooks.log ?? (() => {});
  const root = new RunDirectory(out);
  if (resume) {
    // The models are built as they were: with skips if the runs had them.
    const saved = checkResume(root, config, hooks.given ?? new Set(Object.keys(config)));
    config = { ...config, skip: saved.skip ?? false };
  } else {
    const taken = config.runs.filter((name) => new RunDirectory(join(out, name)).checkpointNames().length > 0);
    if (taken.length > 0)
      throw new AelabError(
        `${out} already holds trained ${taken.join(', ')}: pass --resume to continue, or choose another --out`,
      );
  }
  const baseShape = sharedShape(config.fromSweep);
  const variants = config.skip === 'both' ? [false, true] : [config.skip ?? false];
  const source: DataSource = await loadDataSource(config.data, log);
  const { train, validation, test } = notebookSplit(source.sets, config.sample, config.seed);
  if (train.channels !== 3)
    throw new AelabError(
      `colourisation needs colour images: ${source.name} has ${train.channels} channel${train.channels === 1 ? '' : 's'}`,
    );
  if (train.height % 4 !== 0 || train.width % 4 !== 0)
    throw new AelabError(
      `the colourisers pool twice by 2: image sides must be multiples of 4, not ${train.height}x${train.width}`,
    );
  log(
    `data: ${source.name}: ${train.count} training, ${validation.count} validation, ${test.count} test images of ${train.height}x${train.width}`,
  );

  // A new folder is made only once the device is there; an existing one is locked first.
  let engine = hooks.engine ?? (existsSync(out) ? null : await createEngine());
  root.create();
  const release = root.lock(log);
  try {
    engine ??= await createEngine();
    root.write('config.json', JSON.stringify({ ...config, dataFingerprint: dataFingerprint(source) }, null, 2) + '\n');
    const everyTest = Array.from({ length: test.count }, (_, i) => i);
    const truth = planesOf(test, everyTest);
    const truthImages: ImageBatch = { pixels: truth.data, count: test.count, height: test.height, width: test.width };
    const measuredAgainst = describeTruth(truthImages);
    // Each method's own gray baseline: its gray plane with no colour. The luma's is the grid's gray column.
    const grays = new Map<string, ColourMetrics>();
    const grayOf = (method: ColourMethod): ColourMetrics => {
      let metrics = grays.get(method.grayName);
      if (!metrics) {
        metrics = colourMetrics({ ...truthImages, pixels: grayBaseline(method, truth) }, measuredAgainst);
        grays.set(method.grayName, metrics);
      }
      return metrics;
    };
    const lumaMethod = colourMethod('ycbcr', baseShape, null, null);
    const grayImages = grayBaseline(lumaMethod, truth);
    const grayMetrics = grayOf(lumaMethod);
    log(
      `gray baseline (neutral chroma): PSNR ${grayMetrics.pooledPsnr.toFixed(2)} dB pooled, colourfulness ${grayMetrics.colourfulness.toFixed(1)} (true images ${measuredAgainst.colourfulness.toFixed(1)})`,
    );

    let bins: AbBins | null = null;
    if (config.runs.includes('lab-classes')) {
      const saved = new RunDirectory(join(out, 'lab-classes')).readJson<ReturnType<typeof binsToJson>>('bins.json');
      if (saved) bins = binsFromJson(saved);
      else {
        const ab = halfResolutionAb(
          planesOf(
            train,
            Array.from({ length: train.count }, (_, i) => i),
          ),
        );
        const pairs = new Float64Array(ab.length);
        const plane = (train.height >> 1) * (train.width >> 1);
        for (let n = 0; n < train.count; n++)
          for (let p = 0; p < plane; p++) {
            pairs[2 * (n * plane + p)] = ab[2 * n * plane + p]!;
            pairs[2 * (n * plane + p) + 1] = ab[(2 * n + 1) * plane + p]!;
          }
        bins = findBins(pairs);
      }
      log(
        `lab-classes: Q = ${bins.count} ab bins occur in the training images (10-unit grid); predicted at ${train.height / 2}x${train.width / 2} and upsampled`,
      );
    }

    const runs: RunOutcome[] = [];
    for (const name of RUN_NAMES.filter((candidate) => config.runs.includes(candidate)))
      for (const skip of variants) {
        const shape = { ...baseShape, skip };
        const labShape = name === 'lab-classes' && shape.compression !== 2 ? { ...PART1_SHAPE, skip } : shape;
        if (labShape !== shape)
          log(
            `lab-classes: the sweep's best pools by ${shape.compression}, and the classifier predicts at half resolution: it uses Part 1's shape`,
          );
        const built = colourMethod(name, labShape, engine, bins, config.temperature);
        const method = skip ? { ...built, description: `${built.description}; U-Net skip connections` } : built;
        const label = skip && variants.length > 1 ? `${name}-skip` : name;
        const run = new RunDirectory(join(out, label));
        run.create();
        if (name === 'lab-classes') run.write('bins.json', JSON.stringify(binsToJson(bins!)) + '\n');
        const trained = await trainMethod(engine, run, method, { train, validation, truth }, config, hooks, log);
        const metrics = colourMetrics({ ...truthImages, pixels: trained.predictions }, measuredAgainst);
        const ownGray = grayOf(method);
        runs.push({ ...trained, label, skip, metrics, grayName: method.grayName });
        run.write(
          'metrics.json',
          JSON.stringify(
            { test: metrics, trainingSeconds: trained.trainingSeconds, adapter: engine.adapterDescription },
            null,
            2,
          ) + '\n',
        );
        const gain = metrics.pooledPsnr - ownGray.pooledPsnr;
        log(
          `${label}: PSNR ${metrics.pooledPsnr.toFixed(2)} dB pooled (its own gray, the ${method.grayName}: ${ownGray.pooledPsnr.toFixed(2)}, ${gain >= 0 ? '+' : ''}${gain.toFixed(2)}), colourfulness ratio ${metrics.colourfulnessRatio.toFixed(3)}, ab AUC ${(100 * metrics.abAuc).toFixed(1)}%`,
        );
      }
    const result: ColouriseResult = {
      directory: out,
      gray: grayMetrics,
      grays: Object.fromEntries(grays),
      runs,
      truthColourfulness: measuredAgainst.colourfulness,
      binCount: bins?.count ?? null,
    };
    writeColouriseReport(root, result, {
      truth: truth.data,
      gray: grayImages,
      height: test.height,
      width: test.width,
      command: hooks.command ?? 'aelab colourise',
      adapter: engine.adapterDescription,
    });
    return result;
  } finally {
    release();
  }
}

/** Trains one method and colourises the test images (`truth`, converted once for all methods). */
async function trainMethod(
  engine: Engine,
  run: RunDirectory,
  method: ColourMethod,
  split: { train: ImageSet; validation: ImageSet; truth: Planes },
  config: ColouriseConfig,
  hooks: ColouriseHooks,
  log: (line: string) => void,
): Promise<Omit<RunOutcome, 'metrics' | 'grayName' | 'label' | 'skip'>> {
  const { train, validation, truth } = split;
  const model = describedAutoencoder(engine, method.architecture, config.seed);
  const imageShape = [1, train.height, train.width];
  const targetShape = model.outputShape([1, ...imageShape]).slice(1);
  const modelSummary = summary(model, imageShape);
  run.write('summary.txt', modelSummary + '\n');
  const optimizer = RMSprop(engine, model.parameters());
  let history: EpochLog[] = [];
  // The checkpoint is loaded (or refused, if damaged) before config.json is written: a refused
  // resume leaves the run as it was.
  const state = run.checkpointNames().length > 0 ? run.loadLatestCheckpoint(engine, model, optimizer) : null;
  run.write(
    'config.json',
    JSON.stringify(
      {
        method: method.name,
        architecture: method.architecture,
        ...(method.name === 'lab-classes' ? { temperature: config.temperature ?? TEMPERATURE } : {}),
        epochs: config.epochs,
        batchSize: config.batchSize,
        seed: config.seed,
      },
      null,
      2,
    ) + '\n',
  );
  if (state) {
    history = state.history;
    log(`${method.name}: resuming after epoch ${state.epoch} of ${config.epochs}`);
  } else log(`${method.name}: ${method.description}`);
  const trainData = methodData(train, method, targetShape);
  const stepsLeft = (config.epochs - (history.at(-1)?.epoch ?? 0)) * Math.ceil(train.count / config.batchSize);
  if (stepsLeft > 0) {
    await compileStep(engine, model, trainData, config.batchSize, log, method.loss);
    await tuneAsAsked(engine, model, trainData, config.batchSize, log, stepsLeft, hooks.tuning ?? 'auto', method.loss);
  }
  await fit(engine, model, optimizer, method.loss, trainData, {
    epochs: config.epochs,
    batchSize: config.batchSize,
    seed: config.seed,
    initialEpoch: history.at(-1)?.epoch ?? 0,
    validation: methodData(validation, method, targetShape),
    onProgress: (progress) => hooks.onProgress?.(method.name, progress),
    onEpochEnd: async (epochLog) => {
      history.push(epochLog);
      await run.saveCheckpoint(engine, model, optimizer, {
        epoch: epochLog.epoch,
        optimizerStep: optimizer.step,
        history,
      });
      run.write('history.csv', historyCsv(history));
      run.write('loss.svg', lossChartSvg(history, method.lossName));
      hooks.onEpochEnd?.(method.name, epochLog, config.epochs);
    },
  });
  const predictions = await colouriseImages(engine, model, method, truth, config.batchSize);
  run.write(
    'model.safetensors',
    await tensorsToFile(engine, model.namedParameters(), { model: method.name, epochs: String(config.epochs) }),
  );
  model.parameters().forEach((parameter) => parameter.dispose());
  optimizer.dispose();
  const trainingSeconds = history.reduce((total, epochLog) => total + epochLog.seconds, 0);
  return {
    name: method.name,
    description: method.description,
    history,
    trainingSeconds,
    predictions,
    summary: modelSummary,
    lossName: method.lossName,
  };
}
