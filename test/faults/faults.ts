// The fault-injection suite (npm run test:faults): a 3-epoch run of the real command, broken in
// the ways a user's machine breaks it, and each broken run checked and then resumed:
//   - SIGKILL at 20 seeded random moments (mid-epoch, mid-checkpoint, mid-report ...);
//   - a full disk (ENOSPC) at every file write the run makes, one run each (AELAB_FAULT_WRITE);
//   - two runs at once on one folder; the folder deleted mid-run; SIGINT mid-epoch and mid-tuning.
// After each: no committed file is cut short or corrupt (every JSON parses, every safetensors
// file passes its SHA-256, every PNG decodes, no temporary file is left by a clean failure), and
// the run resumed with --resume ends with weights equal, bit for bit, to an uninterrupted run's.
// What the folder held at the fault (every file's SHA-256, history.csv's rows) is recorded and,
// after the recovery, compared: nothing committed may be missing or different, except what a
// run rewrites by design (REWRITTEN; older checkpoints pruned). A fault counts as injected only
// if it happened (the signal was delivered, the write failed), each kind at least MINIMUM times.
// Prints a table (faults injected, runs recovered, files compared, files lost) and writes
// bench/results/faults.json.
//   npm run test:faults
import { build } from 'esbuild';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import { PNG } from 'pngjs';
import { decodeSafetensors } from '../../src/nn/safetensors.ts';
import { Random } from '../../src/random.ts';
import { CIFAR10_DIRECTORY } from '../../scripts/data-location.mjs';

const CLI = '.cache/faults/aelab.mjs';
await build({
  entryPoints: ['src/cli/main.ts'],
  outfile: CLI,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
const base = mkdtempSync(join(tmpdir(), 'aelab-faults-'));
const cache = join(base, 'cache');
const COMMON = ['autoencoder', '--data', CIFAR10_DIRECTORY, '--epochs', '3', '--sample', '0.05', '--seed', '6'];
const ARGS = [...COMMON, '--no-tune'];
const environment = (extra: Record<string, string> = {}) => ({ ...process.env, XDG_CACHE_HOME: cache, ...extra });
const run = (args: string[], extra: Record<string, string> = {}) =>
  spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: environment(extra), timeout: 300_000 });
const sleep = (milliseconds: number) => new Promise((resolve) => setTimeout(resolve, milliseconds));
/** Waits until `ready()`, or until `child` has exited (then `ready()` will never come true). */
async function waitFor(ready: () => boolean, child: ChildProcess): Promise<boolean> {
  while (!ready()) {
    if (child.exitCode !== null || child.signalCode !== null) return false;
    await sleep(5);
  }
  return true;
}

/** What a folder's committed files hold that is not whole: each cut-short or corrupt file, by path. */
function lostFiles(folder: string, cleanFailure: boolean): string[] {
  if (!existsSync(folder)) return [];
  const lost: string[] = [];
  const visit = (path: string) => {
    for (const entry of readdirSync(path)) {
      const file = join(path, entry);
      if (entry.includes('.tmp-')) {
        // A killed process leaves its temporary files (ignored on resume); a clean failure must not.
        if (cleanFailure) lost.push(`${file} (a temporary file left behind)`);
        continue;
      }
      if (statSync(file).isDirectory()) {
        visit(file);
        continue;
      }
      try {
        const bytes = readFileSync(file);
        if (entry.endsWith('.json') || entry === '.lock') JSON.parse(bytes.toString('utf8'));
        else if (entry.endsWith('.safetensors')) decodeSafetensors(new Uint8Array(bytes), file);
        else if (entry.endsWith('.png')) PNG.sync.read(bytes);
        else if (entry.endsWith('.html') && !bytes.toString('utf8').trimEnd().endsWith('</html>'))
          throw new Error('cut short');
        else if (entry.endsWith('.svg') && !bytes.toString('utf8').trimEnd().endsWith('</svg>'))
          throw new Error('cut short');
        else if (entry.endsWith('.csv') && !bytes.toString('utf8').endsWith('\n')) throw new Error('cut short');
      } catch (error) {
        lost.push(`${file} (${(error as Error).message})`);
      }
    }
    if (path.endsWith(join('checkpoints')) || !/epoch-\d{4}$/.test(path)) return;
    for (const name of ['model.safetensors', 'optimizer.safetensors', 'state.json'])
      if (!existsSync(join(path, name))) lost.push(`${join(path, name)} (missing from a committed checkpoint)`);
  };
  visit(folder);
  return lost;
}

/** The files a run rewrites by design when it resumes or finishes: the outputs of its last epoch, and the lock. */
const REWRITTEN = new Set([
  'config.json',
  'history.csv',
  'loss.svg',
  'summary.txt',
  'model.safetensors',
  'metrics.json',
  'report.html',
  'reconstructions.png',
  '.lock',
]);
const CHECKPOINTS_KEPT = 2;

/** What a run folder holds: every file's SHA-256 by relative path (temporary files left out), and history.csv's rows. */
interface Manifest {
  readonly files: Map<string, string>;
  readonly history: string[];
}

function manifest(folder: string): Manifest {
  const files = new Map<string, string>();
  const visit = (path: string) => {
    if (!existsSync(path)) return;
    for (const entry of readdirSync(path)) {
      const file = join(path, entry);
      if (entry.includes('.tmp-')) continue;
      if (statSync(file).isDirectory()) visit(file);
      else files.set(relative(folder, file), createHash('sha256').update(readFileSync(file)).digest('hex'));
    }
  };
  visit(folder);
  const history = join(folder, 'history.csv');
  return { files, history: existsSync(history) ? readFileSync(history, 'utf8').split('\n').filter(Boolean) : [] };
}

/** What `before` held that the folder has lost or changed since, beyond what a run rewrites by design. */
function compareManifest(before: Manifest, folder: string): string[] {
  const after = manifest(folder);
  const problems: string[] = [];
  const checkpoints = [...after.files.keys()]
    .map((path) => path.split(sep))
    .filter((parts) => parts[0] === 'checkpoints')
    .map((parts) => parts[1]!);
  for (const [path, hash] of before.files) {
    const parts = path.split(sep);
    if (parts.length === 1 && REWRITTEN.has(path)) continue;
    if (parts[0] === 'checkpoints' && !after.files.has(path)) {
      const newer = new Set(checkpoints.filter((name) => name > parts[1]!)).size;
      if (newer >= CHECKPOINTS_KEPT) continue; // pruned: the run keeps its last CHECKPOINTS_KEPT
    }
    if (!after.files.has(path))
      problems.push(`${join(folder, path)} (committed before the fault, missing after the recovery)`);
    else if (after.files.get(path) !== hash)
      problems.push(`${join(folder, path)} (committed before the fault, different after the recovery)`);
  }
  const kept = before.history.every((line, i) => after.history[i] === line);
  if (!kept)
    problems.push(
      `${join(folder, 'history.csv')} (the ${before.history.length} rows it had before the fault are not its first rows after the recovery)`,
    );
  return problems;
}

const weights = (folder: string) => {
  const path = join(folder, 'model.safetensors');
  if (!existsSync(path)) return null;
  const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(path)), path);
  return JSON.stringify([...tensors].map(([name, tensor]) => [name, Array.from(tensor.data)]));
};

/** Resumes a broken run as its user would (from scratch where it never got as far as a config), and compares the weights. */
function recover(folder: string, expected: string | null, args: string[] = ARGS): boolean {
  const hasRun = existsSync(join(folder, 'config.json'));
  const result = run([...args, '--out', folder, ...(hasRun ? ['--resume'] : [])]);
  if (result.status !== 0) {
    console.error(`  resume failed: ${result.stderr.trim().split('\n').at(-1)}`);
    return false;
  }
  return expected === null || weights(folder) === expected;
}

interface Row {
  fault: string;
  minimum: number;
  injected: number;
  recovered: number;
  compared: number;
  filesLost: number;
  failures: number;
  notes: string[];
}
const rows: Row[] = [];
const row = (fault: string, minimum: number): Row => {
  const entry: Row = { fault, minimum, injected: 0, recovered: 0, compared: 0, filesLost: 0, failures: 0, notes: [] };
  rows.push(entry);
  return entry;
};

/** Recovers a broken folder and compares it with what it held at the fault; counts into `entry`. */
function recoverAndCompare(
  entry: Row,
  folder: string,
  atFault: Manifest,
  expectedWeights: string | null,
  args: string[] = ARGS,
): boolean {
  const lost = lostFiles(folder, false);
  const recovered = recover(folder, expectedWeights, args);
  const differences = compareManifest(atFault, folder);
  entry.compared += atFault.files.size;
  entry.filesLost += lost.length + differences.length;
  entry.notes.push(...lost, ...differences);
  if (recovered) entry.recovered += 1;
  return recovered;
}

// The uninterrupted run, and how long it takes.
const baseline = run([...ARGS, '--out', join(base, 'baseline')]);
if (baseline.status !== 0) throw new Error(`the uninterrupted run failed: ${baseline.stderr}`);
// The first run also fills the shader cache (in XDG_CACHE_HOME) that later runs start from, so
// a second one times a run as the killed ones will go, and every kill lands inside its run.
const started = performance.now();
if (run([...ARGS, '--out', join(base, 'timing')]).status !== 0) throw new Error('the timing run failed');
const runMilliseconds = performance.now() - started;
console.log(`a run takes ${(runMilliseconds / 1000).toFixed(1)} s once the caches are warm; the kills fall within it`);
const expected = weights(join(base, 'baseline'))!;

// SIGKILL at seeded random moments of the run.
const kills = row('SIGKILL at a random moment', 15);
const random = new Random(2025);
for (let i = 0; i < 20; i++) {
  const folder = join(base, `kill-${i}`);
  const delay = 200 + random.next() * (runMilliseconds - 400);
  const child = spawn(process.execPath, [CLI, ...ARGS, '--out', folder], { stdio: 'ignore', env: environment() });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await sleep(delay);
  child.kill('SIGKILL');
  await exited;
  // Injected only if the signal ended the run: a run already finished was not broken.
  if (child.signalCode !== 'SIGKILL') {
    kills.notes.push(
      `kill after ${delay.toFixed(0)} ms: the run had already ended (exit ${child.exitCode}), not counted`,
    );
    continue;
  }
  kills.injected += 1;
  if (!recoverAndCompare(kills, folder, manifest(folder), expected))
    kills.notes.push(`killed after ${delay.toFixed(0)} ms: not recovered`);
}

// A full disk at each file write in turn, until a run makes fewer writes than the fault's.
const disk = row('disk full (ENOSPC) at a file write', 10);
for (let write = 1; write < 200; write++) {
  const folder = join(base, `enospc-${write}`);
  const result = run([...ARGS, '--out', folder], { AELAB_FAULT_WRITE: String(write) });
  if (result.status === 0) break;
  // The write failed (the run says so): injected. Any other failure is the run's own, and fails the row.
  if (!/the disk is full/.test(result.stderr)) {
    disk.failures += 1;
    disk.notes.push(
      `write ${write}: exit ${result.status} without the fault: ${result.stderr.trim().split('\n').at(-1)}`,
    );
    continue;
  }
  disk.injected += 1;
  const clean = result.status === 1 && !/\n\s+at /.test(result.stderr);
  if (!clean) disk.notes.push(`write ${write}: exit ${result.status}, ${result.stderr.trim().split('\n').at(-1)}`);
  const leftovers = lostFiles(folder, true).filter((note) => note.includes('temporary file'));
  disk.filesLost += leftovers.length;
  disk.notes.push(...leftovers);
  if (clean) recoverAndCompare(disk, folder, manifest(folder), expected);
  else disk.failures += 1;
}

// Two runs at once on one folder: the second is refused, the first finishes as if alone.
const twice = row('two runs at once on one folder', 1);
{
  const folder = join(base, 'twice');
  const first = spawn(process.execPath, [CLI, ...ARGS, '--out', folder], { stdio: 'ignore', env: environment() });
  const firstDone = new Promise<number | null>((resolve) => first.on('exit', resolve));
  if (await waitFor(() => existsSync(join(folder, '.lock')), first)) {
    const atFault = manifest(folder);
    const second = run([...ARGS, '--out', folder, '--resume']);
    twice.injected += 1;
    if (second.status !== 1 || !second.stderr.includes(`PID ${first.pid}`)) {
      twice.failures += 1;
      twice.notes.push(
        `the second run was not refused: exit ${second.status}, ${second.stderr.trim().split('\n').at(-1)}`,
      );
    }
    if ((await firstDone) === 0 && weights(folder) === expected) twice.recovered += 1;
    const differences = [...lostFiles(folder, true), ...compareManifest(atFault, folder)];
    twice.compared += atFault.files.size;
    twice.filesLost += differences.length;
    twice.notes.push(...differences);
  } else {
    twice.failures += 1;
    twice.notes.push('the first run ended before its lock appeared');
  }
}

// The run folder deleted mid-run: one line naming a path in it, no stack.
const deleted = row('run folder deleted mid-run', 1);
{
  const folder = join(base, 'deleted');
  const child = spawn(process.execPath, [CLI, ...ARGS, '--out', folder], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: environment(),
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  const came = await waitFor(() => existsSync(join(folder, 'checkpoints', 'epoch-0001')), child);
  // Moved away in one step, then removed once the run has ended: removing a folder file by file
  // races the run writing into it (rmdir finds a file the listing did not).
  if (came) renameSync(folder, `${folder}.gone`);
  const status = await exited;
  rmSync(`${folder}.gone`, { recursive: true, force: true });
  if (came) {
    deleted.injected += 1;
    const clean = status === 1 && stderr.includes(folder) && !/\n\s+at /.test(stderr);
    if (clean) deleted.recovered += 1;
    else deleted.notes.push(`exit ${status}: ${stderr.trim().split('\n').at(-1)}`);
  } else {
    deleted.failures += 1;
    deleted.notes.push(`the run ended before its first checkpoint: exit ${status}`);
  }
}

// SIGINT (Ctrl-C) mid-epoch, and mid-tuning.
const interrupted = row('SIGINT mid-epoch and mid-tuning', 2);
for (const during of ['epoch', 'tuning'] as const) {
  const folder = join(base, `sigint-${during}`);
  const args = during === 'tuning' ? [...COMMON, '--tune'] : ARGS;
  const child = spawn(process.execPath, [CLI, ...args, '--out', folder], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: environment({ XDG_CACHE_HOME: join(base, `cache-${during}`) }),
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const ready = () =>
    during === 'epoch'
      ? existsSync(join(folder, 'checkpoints', 'epoch-0001'))
      : stderr.includes('timing kernel variants');
  if (!(await waitFor(ready, child))) {
    interrupted.failures += 1;
    interrupted.notes.push(
      `SIGINT mid-${during}: the run ended before the moment came (${stderr.trim().split('\n').at(-1)})`,
    );
    continue;
  }
  child.kill('SIGINT');
  await exited;
  if (child.signalCode !== 'SIGINT') {
    interrupted.failures += 1;
    interrupted.notes.push(`SIGINT mid-${during}: the run did not end by the signal (exit ${child.exitCode})`);
    continue;
  }
  interrupted.injected += 1;
  // Tuned kernels sum in another order: the tuned run is compared with nothing but its success.
  recoverAndCompare(interrupted, folder, manifest(folder), during === 'epoch' ? expected : null, args);
}

const total = { injected: 0, recovered: 0, compared: 0, filesLost: 0 };
console.log('fault                                   injected   recovered   files compared   files lost');
const rowFails = (entry: Row) =>
  entry.recovered !== entry.injected || entry.filesLost > 0 || entry.failures > 0 || entry.injected < entry.minimum;
for (const entry of rows) {
  console.log(
    `${entry.fault.padEnd(40)} ${String(entry.injected).padStart(8)} ${String(entry.recovered).padStart(11)} ${String(entry.compared).padStart(16)} ${String(entry.filesLost).padStart(12)}`,
  );
  if (entry.injected < entry.minimum)
    entry.notes.push(`injected ${entry.injected} times, fewer than the ${entry.minimum} this fault needs`);
  for (const note of entry.notes) console.log(`    ${note}`);
  total.injected += entry.injected;
  total.recovered += entry.recovered;
  total.compared += entry.compared;
  total.filesLost += entry.filesLost;
}
mkdirSync('bench/results', { recursive: true });
writeFileSync(
  'bench/results/faults.json',
  JSON.stringify({ date: new Date().toISOString().slice(0, 10), command: ARGS.join(' '), rows, total }, null, 1) + '\n',
);
const failed = rows.filter(rowFails).length;
console.log(
  `faults: ${rows.length - failed} passed, ${failed} failed (${total.injected} faults injected, ${total.recovered} recovered, ${total.compared} files compared with what was there, ${total.filesLost} files lost)`,
);
rmSync(base, { recursive: true, force: true });
process.exitCode = failed > 0 ? 1 : 0;
