// The first epoch of a process against its next: whether anything but training (kernel
// compilation, a clock sleeping on a stale estimate) lands in the first. Three ways, each a
// real `aelab autoencoder` process on the shared CIFAR-10 at the default sample (0.1):
//   no-tune  a fresh run with --no-tune
//   warm     a fresh run with the tuning cache already filled (by the tuned run before it)
//   resumed  a run stopped after epoch 1 and resumed to 3 (its first epoch is epoch 2)
// Target: the first epoch at most 2x the next, plus the compile time the run prints on its own line.
//   npm run bench:first-epoch
// Prints a table and writes bench/results/first-epoch.json.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { CIFAR10_DIRECTORY } from '../scripts/data-location.mjs';
import { parseHistoryCsv } from '../src/experiments/report.ts';

const cli = join('.cache', 'run', 'aelab-cli.mjs');
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: cli,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const scratch = mkdtempSync(join(tmpdir(), 'aelab-first-epoch-'));
const cache = join(scratch, 'cache');

/** Runs `aelab autoencoder` and returns its log (stderr). */
function autoencoder(args: string[]): string {
  const result = spawnSync(process.execPath, [cli, 'autoencoder', '--data', CIFAR10_DIRECTORY, ...args], {
    encoding: 'utf8',
    env: { ...process.env, XDG_CACHE_HOME: cache },
  });
  if (result.status !== 0) throw new Error(`aelab autoencoder ${args.join(' ')} failed:\n${result.stderr}`);
  return result.stderr;
}

/** Seconds of each epoch in history.csv, and the compile time the log printed (0 if none). */
function measured(out: string, log: string): { epochs: number[]; compileSeconds: number } {
  const file = join(out, 'history.csv');
  const epochs = parseHistoryCsv(readFileSync(file, 'utf8'), file).map((log) => log.seconds);
  const compile = /compiled \d+ kernel pipelines in ([\d.]+) s/.exec(log);
  return { epochs, compileSeconds: compile ? Number(compile[1]) : 0 };
}

interface Row {
  way: string;
  firstEpoch: number;
  nextEpoch: number;
  compileSeconds: number;
  ratio: number;
  met: boolean;
}
const rows: Row[] = [];
const record = (way: string, first: number, next: number, compileSeconds: number) => {
  rows.push({
    way,
    firstEpoch: first,
    nextEpoch: next,
    compileSeconds,
    ratio: first / next,
    met: first <= 2 * next + compileSeconds,
  });
};

const noTune = join(scratch, 'no-tune');
const noTuneLog = autoencoder(['--epochs', '3', '--no-tune', '--out', noTune]);
const a = measured(noTune, noTuneLog);
record('no-tune', a.epochs[0]!, a.epochs[1]!, a.compileSeconds);

autoencoder(['--epochs', '1', '--tune', '--out', join(scratch, 'tuning')]); // fills the cache
const warm = join(scratch, 'warm');
const warmLog = autoencoder(['--epochs', '3', '--out', warm]);
const b = measured(warm, warmLog);
record('warm cache', b.epochs[0]!, b.epochs[1]!, b.compileSeconds);

const resumed = join(scratch, 'resumed');
autoencoder(['--epochs', '1', '--no-tune', '--out', resumed]);
const resumedLog = autoencoder(['--epochs', '3', '--no-tune', '--resume', '--out', resumed]);
const c = measured(resumed, resumedLog);
record('resumed (epoch 2 first)', c.epochs[1]!, c.epochs[2]!, c.compileSeconds);

console.log('way                        first (s)  next (s)  compile (s)  first/next  first <= 2 next + compile');
for (const row of rows) {
  console.log(
    `${row.way.padEnd(26)} ${row.firstEpoch.toFixed(2).padStart(9)} ${row.nextEpoch.toFixed(2).padStart(9)} ${row.compileSeconds.toFixed(2).padStart(12)} ${row.ratio.toFixed(2).padStart(11)}  ${row.met ? 'met' : 'NOT met'}`,
  );
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/first-epoch.json',
  JSON.stringify(
    { date: new Date().toISOString().slice(0, 10), command: 'npm run bench:first-epoch', sample: 0.1, rows },
    null,
    2,
  ) + '\n',
);
