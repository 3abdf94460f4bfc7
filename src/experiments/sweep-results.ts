// A sweep's results, read back from its trial folders: one row per finished trial (its
// config.json and metrics.json), the grid's trials with no finished result listed as missing,
// never dropped. The same reading serves a sweep at its end and `aelab sweep merge` over the
// folders of several shards; merging twice writes the same files.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AelabError } from '../errors.ts';
import { writeFileAtomic } from '../files.ts';
import type { Metrics } from '../nn/training.ts';
import type { ModelStatistics } from './autoencoder.ts';
import { gridTrials, type Trial } from './sweep-grid.ts';
import { architectureName, type ArchitectureConfig } from './configurable-autoencoder.ts';
import { resultsCsv, sweepReportHtml, type SweepReport, type TrialRow } from './sweep-report.ts';
import type { SweepSettings } from './sweep.ts';

export interface CollectedSweep {
  readonly rows: TrialRow[];
  readonly missing: string[];
  readonly reconstructions: Map<string, string>;
  readonly best: SweepReport['best'];
}

interface TrialMetrics {
  readonly test: Metrics;
  readonly trainingSeconds: number;
  readonly epochs: number;
  readonly model: ModelStatistics;
}

function readJson<T>(path: string): T {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as T;
  } catch (error) {
    throw new AelabError(
      `${path}: ${error instanceof SyntaxError ? 'not valid JSON (cut short?)' : (error as Error).message}`,
    );
  }
}

/** The finished trials of `trials` found in any of `folders` (the first folder holding one wins). */
export function collectSweep(folders: readonly string[], trials: readonly Trial[]): CollectedSweep {
  const rows: TrialRow[] = [];
  const missing: string[] = [];
  const reconstructions = new Map<string, string>();
  for (const trial of trials) {
    const directory = folders
      .map((folder) => join(folder, 'trials', trial.name))
      .find((path) => existsSync(join(path, 'metrics.json')));
    if (!directory) {
      missing.push(trial.name);
      continue;
    }
    const metrics = readJson<TrialMetrics>(join(directory, 'metrics.json'));
    const { architecture } = trial;
    rows.push({
      trial: trial.number,
      name: trial.name,
      fewer_layers: architecture.fewerLayers,
      channel_factor: architecture.channelFactor,
      kernel_size: architecture.kernelSize,
      compression_factor: architecture.compression,
      latent_size: metrics.model.latentSize,
      notebook_latent_size: trial.notebookLatentSize,
      parameters: metrics.model.parameters,
      flops_per_image: metrics.model.flopsPerImage,
      test_loss: metrics.test.loss,
      binary_accuracy: metrics.test.binaryAccuracy,
      mse: metrics.test.meanSquaredError,
      psnr: metrics.test.psnr,
      seconds: metrics.trainingSeconds,
    });
    const png = join(directory, 'reconstructions.png');
    if (existsSync(png)) reconstructions.set(trial.name, readFileSync(png).toString('base64'));
  }
  return { rows, missing, reconstructions, best: readBest(folders, trials) };
}

function readBest(folders: readonly string[], trials: readonly Trial[]): SweepReport['best'] {
  const directory = folders
    .map((folder) => join(folder, 'best'))
    .find((path) => existsSync(join(path, 'metrics.json')));
  if (!directory) return null;
  const metrics = readJson<TrialMetrics>(join(directory, 'metrics.json'));
  const config = readJson<{ architecture?: ArchitectureConfig }>(join(directory, 'config.json'));
  const png = join(directory, 'reconstructions.png');
  const chart = join(directory, 'loss.svg');
  return {
    trial:
      trials.find((trial) => config.architecture && trial.name.endsWith(`-${architectureName(config.architecture)}`))
        ?.name ?? 'best',
    lossChart: existsSync(chart) ? readFileSync(chart, 'utf8') : '',
    reconstructionsPng: existsSync(png) ? readFileSync(png).toString('base64') : null,
    test: { loss: metrics.test.loss, psnr: metrics.test.psnr },
    epochs: metrics.epochs,
  };
}

/** results.csv, results.json and report.html in `out`. */
export function writeSweepOutputs(
  out: string,
  collected: CollectedSweep,
  run: { command: string; wallSeconds: number | null },
): void {
  writeFileAtomic(join(out, 'results.csv'), resultsCsv(collected.rows));
  writeFileAtomic(
    join(out, 'results.json'),
    JSON.stringify({ trials: collected.rows, missing: collected.missing }, null, 2) + '\n',
  );
  writeFileAtomic(
    join(out, 'report.html'),
    sweepReportHtml({
      title: 'Autoencoder architectures: reconstruction against latent size',
      command: run.command,
      rows: collected.rows,
      missing: collected.missing,
      reconstructions: collected.reconstructions,
      best: collected.best,
      wallSeconds: run.wallSeconds,
    }),
  );
}

/**
 * `aelab sweep merge`: the trials of several sweep folders (shards, or one shared folder) in one
 * report, written into `out`. The folders must hold the same sweep (their sweep.json equal).
 */
export function mergeSweeps(folders: readonly string[], out: string, command: string): CollectedSweep {
  if (folders.length === 0) throw new AelabError('sweep merge: name at least one sweep folder');
  const settings = folders.map((folder) => {
    const path = join(folder, 'sweep.json');
    if (!existsSync(path)) throw new AelabError(`sweep merge: ${folder} holds no sweep (no sweep.json)`);
    return readJson<SweepSettings & { imageSize?: number }>(path);
  });
  const [first] = settings;
  settings.forEach((other, i) => {
    if (JSON.stringify({ ...other, imageSize: undefined }) !== JSON.stringify({ ...first!, imageSize: undefined })) {
      throw new AelabError(
        `sweep merge: ${folders[i]} holds another sweep than ${folders[0]} (their sweep.json differ)`,
      );
    }
  });
  const trials = gridTrials(first!.grid, first!.imageSize ?? 32);
  const collected = collectSweep(folders, trials);
  mkdirSync(out, { recursive: true });
  writeSweepOutputs(out, collected, { command, wallSeconds: null });
  return collected;
}
