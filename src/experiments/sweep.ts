// Part 2 of the notebook: the architecture sweep. Every trial of the grid is a Part 1 run
// directory under out/trials/NN-<config>/ (config, summary, history, checkpoints, weights,
// metrics), so a killed sweep loses at most the epoch in flight of each running trial, and
// --resume continues unfinished trials and skips finished ones. A shard runs the trials whose
// index is I mod N; several shards may share one folder. After the grid, the best trial by
// test loss trains on from its weights and optimiser state into out/best/.
import { cpSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Engine } from '../backend/engine.ts';
import { createEngine } from '../kernels/registry.ts';
import { notebookSplit } from '../data/split.ts';
import { AelabError } from '../errors.ts';
import { writeFileAtomic } from '../files.ts';
import { runAutoencoder, type AutoencoderConfig } from './autoencoder.ts';
import { autoencoderFor } from './configurable-autoencoder.ts';
import { tuneAsAsked, type Tuning } from './step-preparation.ts';
import { autoencoderData } from '../data/image-set.ts';
import { loadDataSource, type DataSource } from './data-source.ts';
import { RunDirectory } from './run-directory.ts';
import { gridTrials, GridError, shardTrials, type Grid, type Shard, type Trial } from './sweep-grid.ts';
import { collectSweep, writeSweepOutputs } from './sweep-results.ts';

/** What every trial shares: fixed when the sweep starts, kept in out/sweep.json. */
export interface SweepSettings {
  readonly data: string | null;
  readonly epochs: number;
  readonly batchSize: number;
  readonly sample: number;
  readonly seed: number;
  readonly grid: Grid;
}

export interface SweepOptions extends SweepSettings {
  readonly out: string;
  readonly resume: boolean;
  readonly shard: Shard;
  /** Trials trained at once in this process, their steps interleaved on one device. */
  readonly concurrency: number;
  /** Epochs the best trial trains on for (0: none). */
  readonly bestEpochs: number;
  /** Whether to time the conv kernels' variants for each trial's shapes first (cached per adapter). */
  readonly tuning: Tuning;
  readonly command: string;
}

export interface SweepHooks {
  readonly log?: (line: string) => void;
  readonly engine?: Engine;
}

export interface SweepOutcome {
  readonly trialsRun: number;
  readonly trialsSkipped: number;
  readonly missing: readonly string[];
  readonly best: string | null;
}

export function trialConfig(settings: SweepSettings, trial: Trial): AutoencoderConfig {
  return {
    data: settings.data,
    epochs: settings.epochs,
    batchSize: settings.batchSize,
    sample: settings.sample,
    seed: settings.seed,
    architecture: trial.architecture,
  };
}

export const isFinished = (directory: string) => existsSync(join(directory, 'metrics.json'));
const hasCheckpoint = (directory: string) =>
  existsSync(join(directory, 'checkpoints')) &&
  readdirSync(join(directory, 'checkpoints')).some((name) => /^epoch-\d+$/.test(name));

/**
 * Checks out/sweep.json against these settings: a new folder gets them; a folder of the same
 * sweep (a resume, or another shard) is accepted; one of another sweep is refused, naming what
 * differs, before anything is written.
 */
function claimFolder(out: string, settings: SweepSettings, imageSize: number): void {
  const path = join(out, 'sweep.json');
  const run = new RunDirectory(out);
  const saved = run.readJson<SweepSettings>('sweep.json');
  if (saved) {
    const differences = (Object.keys(settings) as (keyof SweepSettings)[])
      .filter((key) => JSON.stringify(saved[key]) !== JSON.stringify(settings[key]))
      .map((key) => `${key}: ${JSON.stringify(saved[key])} there, ${JSON.stringify(settings[key])} now`);
    if (differences.length > 0)
      throw new AelabError(`${out} holds another sweep (${differences.join('; ')}): choose another --out`);
    return;
  }
  writeFileAtomic(path, JSON.stringify({ ...settings, imageSize }, null, 2) + '\n');
}

export async function runSweep(options: SweepOptions, hooks: SweepHooks = {}): Promise<SweepOutcome> {
  const log = hooks.log ?? (() => {});
  if (!Number.isInteger(options.concurrency) || options.concurrency < 1)
    throw new GridError(`--concurrency must be a whole number >= 1, got ${options.concurrency}`);
  const settings: SweepSettings = {
    data: options.data,
    epochs: options.epochs,
    batchSize: options.batchSize,
    sample: options.sample,
    seed: options.seed,
    grid: options.grid,
  };
  const source = await loadDataSource(options.data, log);
  const split = notebookSplit(source.sets, options.sample, options.seed);
  const { train } = split;
  if (train.height !== train.width)
    throw new GridError(`the sweep's models take square images; the data's are ${train.height}x${train.width}`);
  const trials = gridTrials(options.grid, train.height);
  const mine = shardTrials(trials, options.shard);
  const started = (name: string) => hasCheckpoint(join(options.out, 'trials', name));
  if (!options.resume) {
    const begun = mine.filter((trial) => started(trial.name) || isFinished(join(options.out, 'trials', trial.name)));
    if (begun.length > 0)
      throw new AelabError(
        `${options.out} already holds ${begun.length} of this shard's trials (${begun[0]!.name}, ...): pass --resume to continue, or choose another --out`,
      );
  }
  mkdirSync(join(options.out, 'trials'), { recursive: true });
  claimFolder(options.out, settings, train.height);
  log(
    `sweep: ${trials.length} trials of ${source.name}; this process runs ${mine.length} (${options.shard.source}), ${options.concurrency} at a time`,
  );

  const engine = hooks.engine ?? (await createEngine());
  const sweepStart = performance.now();
  const state = {
    done: mine.filter((trial) => isFinished(join(options.out, 'trials', trial.name))).length,
    running: 0,
    epochsDone: 0,
  };
  const skipped = state.done;
  const waiting = mine.filter((trial) => !isFinished(join(options.out, 'trials', trial.name)));
  const epochsToRun = waiting.length * options.epochs;
  const status = () => {
    const elapsed = (performance.now() - sweepStart) / 1000;
    const eta =
      state.epochsDone > 0
        ? ` | about ${formatMinutes((elapsed / state.epochsDone) * (epochsToRun - state.epochsDone))} left`
        : '';
    return `${state.done} done, ${state.running} running, ${mine.length - state.done - state.running} waiting${eta}`;
  };

  const runTrial = async (trial: Trial): Promise<void> => {
    const directory = join(options.out, 'trials', trial.name);
    const resume = started(trial.name);
    state.running += 1;
    log(
      `trial ${trial.name}: ${resume ? 'resuming' : 'starting'} (latent ${trial.latentSize.toLocaleString('en-US')}) | ${status()}`,
    );
    const result = await runAutoencoder(directory, trialConfig(settings, trial), resume, {
      engine,
      source,
      tuning: 'never',
      command: options.command,
      log: (line) => {
        if (!line.startsWith('data: ')) log(`  ${trial.name}: ${line}`);
      },
      onEpochEnd: (epochLog, epochs) => {
        state.epochsDone += 1;
        log(
          `  ${trial.name}: epoch ${epochLog.epoch}/${epochs} loss ${epochLog.train.loss.toFixed(4)}${epochLog.validation ? ` val_loss ${epochLog.validation.loss.toFixed(4)}` : ''} | ${status()}`,
        );
      },
    });
    state.running -= 1;
    state.done += 1;
    log(
      `trial ${trial.name}: test loss ${result.test.loss.toFixed(4)}, PSNR ${result.test.psnr.toFixed(2)} dB | ${status()}`,
    );
  };
  if (options.tuning !== 'never') {
    // One at a time, before training: the tuner times kernels alone on the device, and the
    // trials then find its choices in the engine's table.
    for (const trial of waiting) {
      const model = autoencoderFor(
        engine,
        trialConfig(settings, trial).architecture,
        trialConfig(settings, trial).seed,
        train.channels,
      );
      const steps = options.epochs * Math.ceil(split.train.count / options.batchSize);
      await tuneAsAsked(
        engine,
        model,
        autoencoderData(split.train),
        options.batchSize,
        (line) => log(`  ${trial.name}: ${line}`),
        steps,
        options.tuning,
      );
      model.parameters().forEach((parameter) => parameter.dispose());
    }
  }
  await inParallel(waiting, options.concurrency, runTrial);

  let collected = collectSweep([options.out], trials);
  // The grid's report first: the best trial's training on may take longer than the grid did.
  writeSweepOutputs(options.out, collected, {
    command: options.command,
    wallSeconds: (performance.now() - sweepStart) / 1000,
  });
  let best: string | null = null;
  if (options.bestEpochs > 0 && collected.rows.length > 0) {
    if (collected.missing.length > 0) {
      log(
        `the best trial trains on once every trial has finished (${collected.missing.length} still missing); rerun with --resume then`,
      );
    } else {
      const winner = [...collected.rows].sort((a, b) => a.test_loss - b.test_loss)[0]!;
      best = winner.name;
      await trainBest(
        options,
        settings,
        trials.find((trial) => trial.name === winner.name)!,
        engine,
        source,
        log,
      );
      collected = collectSweep([options.out], trials);
    }
  }
  writeSweepOutputs(options.out, collected, {
    command: options.command,
    wallSeconds: (performance.now() - sweepStart) / 1000,
  });
  log(
    `report: ${join(options.out, 'report.html')}${collected.missing.length ? ` (${collected.missing.length} trials missing: other shards' or unfinished)` : ''}`,
  );
  return { trialsRun: waiting.length, trialsSkipped: skipped, missing: collected.missing, best };
}

/**
 * The best trial, trained on for bestEpochs more epochs from its weights and optimiser state,
 * as the notebook's second fit on the same model: out/best starts as a copy of the trial's
 * config and last checkpoint, and is resumed like any run.
 */
async function trainBest(
  options: SweepOptions,
  settings: SweepSettings,
  trial: Trial,
  engine: Engine,
  source: DataSource,
  log: (line: string) => void,
): Promise<void> {
  const directory = join(options.out, 'best');
  const config = { ...trialConfig(settings, trial), epochs: settings.epochs + options.bestEpochs };
  if (isFinished(directory)) {
    log(`best: ${trial.name} trained on for ${options.bestEpochs} epochs earlier (${directory})`);
    return;
  }
  if (!existsSync(join(directory, 'config.json'))) {
    const trialDirectory = join(options.out, 'trials', trial.name);
    const last = readdirSync(join(trialDirectory, 'checkpoints'))
      .filter((name) => /^epoch-\d+$/.test(name))
      .sort()
      .at(-1)!;
    mkdirSync(join(directory, 'checkpoints'), { recursive: true });
    cpSync(join(trialDirectory, 'checkpoints', last), join(directory, 'checkpoints', last), { recursive: true });
    writeFileAtomic(join(directory, 'config.json'), JSON.stringify(config, null, 2) + '\n');
  }
  log(`best: ${trial.name} (lowest test loss) trains on to epoch ${config.epochs}`);
  await runAutoencoder(directory, config, true, {
    engine,
    source,
    tuning: 'never',
    command: options.command,
    log: (line) => {
      if (!line.startsWith('data: ')) log(`  best: ${line}`);
    },
    onEpochEnd: (epochLog, epochs) =>
      log(
        `  best: epoch ${epochLog.epoch}/${epochs} loss ${epochLog.train.loss.toFixed(4)}${epochLog.validation ? ` val_loss ${epochLog.validation.loss.toFixed(4)}` : ''}`,
      ),
  });
}

/** Runs `work` over `items`, at most `limit` at once, in order of start; the first failure is thrown once all have settled. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const failures: unknown[] = [];
  const worker = async () => {
    while (next < items.length && failures.length === 0) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (error) {
        failures.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failures.length > 0) throw failures[0];
}

const formatMinutes = (seconds: number) =>
  seconds < 90 ? `${Math.round(seconds)} s` : `${(seconds / 60).toFixed(1)} min`;
