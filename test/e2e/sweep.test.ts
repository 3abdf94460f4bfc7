// Part 2's sweep: the grid file's refusals, the shards (from --shard and from the job arrays'
// own variables) covering every trial once, and, through the real command: a sweep killed with
// SIGKILL mid-trial and resumed, and three shards merged, each ending with the table of an
// uninterrupted, unsharded sweep.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  gridTrials,
  GridError,
  NOTEBOOK_GRID,
  parseGrid,
  resolveShard,
  shardTrials,
} from '../../src/experiments/sweep-grid.ts';
import { runCli, startCli } from '../support/cli.ts';
import { CIFAR10_DIRECTORY } from '../../scripts/data-location.mjs';

describe('the grid', () => {
  it.each([
    [{ colour: [1] }, /unknown key 'colour'/],
    [{ kernel_size: [] }, /kernel_size is an empty list/],
    [{ kernel_size: [3, 33] }, /kernel_size 33 is larger than the 32x32 image/],
    [{ kernel_size: [0] }, /kernel_size must hold integers >= 1, got 0/],
    [{ channel_factor: [2.5] }, /channel_factor must hold integers >= 1, got 2\.5/],
    [{ fewer_layers: ['yes'] }, /fewer_layers must hold true or false/],
    [{ compression_factor: 2 }, /compression_factor must be a list/],
    [{ output: 'tanh' }, /output must be "sigmoid" or "relu"/],
    [[3, 5], /expected a JSON object of lists/],
  ])('refuses %j, naming what is wrong', (json, message) => {
    expect(() => parseGrid(json)).toThrow(GridError);
    expect(() => parseGrid(json)).toThrow(message);
  });

  it('refuses a compression the decoder cannot undo, before any training', () => {
    expect(() => gridTrials(parseGrid({ compression_factor: [3] }))).toThrow(
      /compression_factor 3 ends the decoder at 33x33, not the 32x32 input/,
    );
  });

  it("keeps the notebook's list for a missing key", () => {
    const grid = parseGrid({ kernel_size: [5] });
    expect(grid.channel_factor).toEqual(NOTEBOOK_GRID.channel_factor);
    expect(gridTrials(grid).map((trial) => trial.name.slice(3))).toContain('full-c8-k5-x4');
    expect(gridTrials(grid)).toHaveLength(18);
  });
});

describe('shards', () => {
  const trials = gridTrials(NOTEBOOK_GRID);
  it('0/3, 1/3 and 2/3 cover every trial exactly once', () => {
    const covered = [0, 1, 2].flatMap((index) =>
      shardTrials(trials, resolveShard(`${index}/3`, undefined, {})).map((trial) => trial.number),
    );
    expect(covered.sort((a, b) => a - b)).toEqual(trials.map((trial) => trial.number));
  });

  it("Slurm's and Kubernetes' variables select what --shard selects", () => {
    const byShard = shardTrials(trials, resolveShard('1/3', undefined, {}));
    expect(
      shardTrials(
        trials,
        resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_COUNT: '3' }),
      ),
    ).toEqual(byShard);
    expect(
      shardTrials(
        trials,
        resolveShard(undefined, undefined, {
          SLURM_ARRAY_TASK_ID: '2',
          SLURM_ARRAY_TASK_MIN: '1',
          SLURM_ARRAY_TASK_MAX: '3',
        }),
      ),
    ).toEqual(byShard);
    expect(
      shardTrials(trials, resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '1', AELAB_SHARD_COUNT: '3' })),
    ).toEqual(byShard);
    expect(shardTrials(trials, resolveShard(undefined, 3, { JOB_COMPLETION_INDEX: '1' }))).toEqual(byShard);
    expect(resolveShard(undefined, undefined, {}).count).toBe(1);
  });

  it('refuses a shard that does not exist, or an index without a count', () => {
    expect(() => resolveShard('3/3', undefined, {})).toThrow(/shard 3 of 3 does not exist/);
    expect(() => resolveShard('1-3', undefined, {})).toThrow(/--shard must be I\/N/);
    expect(() => resolveShard(undefined, undefined, { JOB_COMPLETION_INDEX: '0' })).toThrow(
      /--shard-count N or AELAB_SHARD_COUNT/,
    );
    expect(() => resolveShard(undefined, undefined, { SLURM_ARRAY_TASK_ID: '0' })).toThrow(
      /neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX/,
    );
  });
});

describe('aelab sweep', () => {
  const base = mkdtempSync(join(tmpdir(), 'aelab-sweep-'));
  const grid = join(base, 'grid.json');
  writeFileSync(grid, JSON.stringify({ channel_factor: [2], kernel_size: [3], compression_factor: [2, 4] }));
  const args = (out: string, ...more: string[]) => [
    'sweep',
    '--data',
    CIFAR10_DIRECTORY,
    '--grid',
    grid,
    '--epochs',
    '2',
    '--sample',
    '0.06',
    '--seed',
    '3',
    '--best-epochs',
    '0',
    '--out',
    out,
    ...more,
  ];
  /** The results table without the training seconds, which differ from run to run. */
  const table = (out: string) =>
    readFileSync(join(out, 'results.csv'), 'utf8')
      .split('\n')
      .map((line) => line.split(',').slice(0, -1).join(','));

  const whole = join(base, 'whole');
  it('runs the grid to results, a report and a folder per trial', () => {
    const result = runCli(args(whole));
    expect(result.status, result.stderr).toBe(0);
    expect(readdirSync(join(whole, 'trials')).sort()).toEqual([
      '01-fewer-c2-k3-x2',
      '02-fewer-c2-k3-x4',
      '03-full-c2-k3-x2',
      '04-full-c2-k3-x4',
    ]);
    expect(table(whole)[0]).toBe(
      'trial,fewer_layers,channel_factor,kernel_size,compression_factor,latent_size,notebook_latent_size,parameters,flops_per_image,test_loss,binary_accuracy,mse,psnr',
    );
    expect(table(whole).filter((line) => /^\d/.test(line))).toHaveLength(4);
    const report = readFileSync(join(whole, 'report.html'), 'utf8');
    expect(report).toMatch(
      /test loss (falls|rises) by [\d.]+ per tenfold latent size \(least squares on log10 of the latent size: slope -?[\d.]+, intercept [\d.]+, R² [\d.]+\)/,
    );
    expect(report.match(/<svg /g)).toHaveLength(3);
  }, 300_000);

  it('killed mid-trial with SIGKILL and resumed, ends with the same results', async () => {
    const out = join(base, 'killed');
    const child = startCli(args(out));
    const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
    const checkpoint = join(out, 'trials', '02-fewer-c2-k3-x4', 'checkpoints', 'epoch-0001');
    const deadline = Date.now() + 240_000;
    while (!existsSync(checkpoint) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(existsSync(checkpoint)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    expect(existsSync(join(out, 'trials', '02-fewer-c2-k3-x4', 'metrics.json'))).toBe(false);
    expect(runCli(args(out)).stderr).toMatch(/already holds \d+ of this shard's trials .*pass --resume/);
    const resumed = runCli(args(out, '--resume'));
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/trial 02-fewer-c2-k3-x4: resuming/);
    expect(resumed.stderr).not.toMatch(/trial 01-fewer-c2-k3-x2: (starting|resuming)/);
    expect(table(out)).toEqual(table(whole));
  }, 300_000);

  it('three shards, one by its Kubernetes index, merged, give the unsharded table; merging twice changes nothing', () => {
    const shards = [0, 1, 2].map((index) => join(base, `shard-${index}`));
    expect(runCli(args(shards[0]!, '--shard', '0/3')).status).toBe(0);
    expect(runCli(args(shards[1]!), { JOB_COMPLETION_INDEX: '1', AELAB_SHARD_COUNT: '3' }).status).toBe(0);
    expect(readdirSync(join(shards[1]!, 'trials'))).toEqual(['02-fewer-c2-k3-x4']);
    const partial = runCli(['sweep', 'merge', shards[0]!, shards[1]!, '--out', join(base, 'partial')]);
    expect(partial.status, partial.stderr).toBe(0);
    expect(partial.stderr).toMatch(/1 missing: 03-full-c2-k3-x2/);
    expect(runCli(args(shards[2]!, '--shard', '2/3')).status).toBe(0);
    const merged = join(base, 'merged');
    for (let round = 0; round < 2; round++) {
      const merge = runCli(['sweep', 'merge', ...shards, '--out', merged]);
      expect(merge.status, merge.stderr).toBe(0);
      expect(table(merged)).toEqual(table(whole));
    }
  }, 300_000);
});
