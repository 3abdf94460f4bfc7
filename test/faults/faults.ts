// The fault-injection suite (npm run test:faults): a 3-epoch run of the real command, broken in
// the ways a user's machine breaks it, and each broken run checked and then resumed:
//   - SIGKILL at 20 seeded random moments (mid-epoch, mid-checkpoint, mid-report ...);
//   - a full disk (ENOSPC) at every file write the run makes, one run each (AELAB_FAULT_WRITE);
//   - two runs at once on one folder; the folder deleted mid-run; SIGINT mid-epoch and mid-tuning.
// After each: no committed file is cut short or corrupt (every JSON parses, every safetensors
// file passes its SHA-256, every PNG decodes, no temporary file is left by a clean failure), and
// the run resumed with --resume ends with weights equal, bit for bit, to an uninterrupted run's.
// Prints a table (faults injected, runs recovered, files lost) and writes bench/results/faults.json.
//   npm run test:faults
import { build } from 'esbuild';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { decodeSafetensors } from '../../src/nn/safetensors.ts';
import { Random } from '../../src/random.ts';
import { CIFAR10_DIRECTORY } from '../support/data.ts';

const CLI = '.cache/faults/aelab.mjs';
await build({ entryPoints: ['src/cli/main.ts'], outfile: CLI, bundle: true, platform: 'node', format: 'esm', target: 'node20', packages: 'external', logLevel: 'warning' });
const base = mkdtempSync(join(tmpdir(), 'aelab-faults-'));
const cache = join(base, 'cache');
const COMMON = ['autoencoder', '--data', CIFAR10_DIRECTORY, '--epochs', '3', '--sample', '0.05', '--seed', '6'];
const ARGS = [...COMMON, '--no-tune'];
const environment = (extra: Record<string, string> = {}) => ({ ...process.env, XDG_CACHE_HOME: cache, ...extra });
const run = (args: string[], extra: Record<string, string> = {}) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: environment(extra), timeout: 300_000 });
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
        else if (entry.endsWith('.html') && !bytes.toString('utf8').trimEnd().endsWith('</html>')) throw new Error('cut short');
        else if (entry.endsWith('.svg') && !bytes.toString('utf8').trimEnd().endsWith('</svg>')) throw new Error('cut short');
        else if (entry.endsWith('.csv') && !bytes.toString('utf8').endsWith('\n')) throw new Error('cut short');
      } catch (error) {
        lost.push(`${file} (${(error as Error).message})`);
      }
    }
    if (path.endsWith(join('checkpoints')) || !/epoch-\d{4}$/.test(path)) return;
    for (const name of ['model.safetensors', 'optimizer.safetensors', 'state.json']) if (!existsSync(join(path, name))) lost.push(`${join(path, name)} (missing from a committed checkpoint)`);
  };
  visit(folder);
  return lost;
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

interface Row { fault: string; injected: number; recovered: number; filesLost: number; notes: string[] }
const rows: Row[] = [];
const row = (fault: string): Row => {
  const entry: Row = { fault, injected: 0, recovered: 0, filesLost: 0, notes: [] };
  rows.push(entry);
  return entry;
};

// The uninterrupted run, and how long it takes.
const started = performance.now();
const baseline = run([...ARGS, '--out', join(base, 'baseline')]);
if (baseline.status !== 0) throw new Error(`the uninterrupted run failed: ${baseline.stderr}`);
const baselineMilliseconds = performance.now() - started;
const expected = weights(join(base, 'baseline'))!;

// SIGKILL at seeded random moments of the run.
const kills = row('SIGKILL at a random moment');
const random = new Random(2025);
for (let i = 0; i < 20; i++) {
  const folder = join(base, `kill-${i}`);
  const delay = 200 + random.next() * baselineMilliseconds;
  const child = spawn(process.execPath, [CLI, ...ARGS, '--out', folder], { stdio: 'ignore', env: environment() });
  const exited = new Promise((resolve) => child.on('exit', resolve));
  await sleep(delay);
  child.kill('SIGKILL');
  await exited;
  kills.injected += 1;
  const lost = lostFiles(folder, false);
  kills.filesLost += lost.length;
  kills.notes.push(...lost);
  if (recover(folder, expected)) kills.recovered += 1;
  else kills.notes.push(`killed after ${delay.toFixed(0)} ms: not recovered`);
}

// A full disk at each file write in turn, until a run makes fewer writes than the fault's.
const disk = row('disk full (ENOSPC) at a file write');
for (let write = 1; write < 200; write++) {
  const folder = join(base, `enospc-${write}`);
  const result = run([...ARGS, '--out', folder], { AELAB_FAULT_WRITE: String(write) });
  if (result.status === 0) break;
  disk.injected += 1;
  const clean = result.status === 1 && /the disk is full/.test(result.stderr) && !/\n\s+at /.test(result.stderr);
  if (!clean) disk.notes.push(`write ${write}: exit ${result.status}, ${result.stderr.trim().split('\n').at(-1)}`);
  const lost = lostFiles(folder, true);
  disk.filesLost += lost.length;
  disk.notes.push(...lost);
  if (clean && recover(folder, expected)) disk.recovered += 1;
}

// Two runs at once on one folder: the second is refused, the first finishes as if alone.
const twice = row('two runs at once on one folder');
{
  const folder = join(base, 'twice');
  const first = spawn(process.execPath, [CLI, ...ARGS, '--out', folder], { stdio: 'ignore', env: environment() });
  const firstDone = new Promise<number | null>((resolve) => first.on('exit', resolve));
  await waitFor(() => existsSync(join(folder, '.lock')), first);
  const second = run([...ARGS, '--out', folder, '--resume']);
  twice.injected += 1;
  if (second.status !== 1 || !second.stderr.includes(`PID ${first.pid}`)) twice.notes.push(`the second run was not refused: ${second.stderr}`);
  if ((await firstDone) === 0 && weights(folder) === expected) twice.recovered += 1;
  twice.filesLost += lostFiles(folder, true).length;
}

// The run folder deleted mid-run: one line naming a path in it, no stack.
const deleted = row('run folder deleted mid-run');
{
  const folder = join(base, 'deleted');
  const child = spawn(process.execPath, [CLI, ...ARGS, '--out', folder], { stdio: ['ignore', 'ignore', 'pipe'], env: environment() });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  await waitFor(() => existsSync(join(folder, 'checkpoints', 'epoch-0001')), child);
  // Moved away in one step, then removed once the run has ended: removing a folder file by file
  // races the run writing into it (rmdir finds a file the listing did not).
  renameSync(folder, `${folder}.gone`);
  const status = await exited;
  rmSync(`${folder}.gone`, { recursive: true, force: true });
  deleted.injected += 1;
  const clean = status === 1 && stderr.includes(folder) && !/\n\s+at /.test(stderr);
  if (clean) deleted.recovered += 1;
  else deleted.notes.push(`exit ${status}: ${stderr.trim().split('\n').at(-1)}`);
}

// SIGINT (Ctrl-C) mid-epoch, and mid-tuning.
const interrupted = row('SIGINT mid-epoch and mid-tuning');
for (const during of ['epoch', 'tuning'] as const) {
  const folder = join(base, `sigint-${during}`);
  const args = during === 'tuning' ? [...COMMON, '--tune'] : ARGS;
  const child = spawn(process.execPath, [CLI, ...args, '--out', folder], { stdio: ['ignore', 'ignore', 'pipe'], env: environment({ XDG_CACHE_HOME: join(base, `cache-${during}`) }) });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('exit', resolve));
  const ready = () => (during === 'epoch' ? existsSync(join(folder, 'checkpoints', 'epoch-0001')) : stderr.includes('timing kernel variants'));
  if (!(await waitFor(ready, child))) interrupted.notes.push(`SIGINT mid-${during}: the run ended before the moment came (${stderr.trim().split('\n').at(-1)})`);
  child.kill('SIGINT');
  await exited;
  interrupted.injected += 1;
  const lost = lostFiles(folder, false);
  interrupted.filesLost += lost.length;
  interrupted.notes.push(...lost);
  // Tuned kernels sum in another order: the tuned run is compared with nothing but its success.
  if (recover(folder, during === 'epoch' ? expected : null, args)) interrupted.recovered += 1;
}

const total = { injected: 0, recovered: 0, filesLost: 0 };
console.log('fault                                   injected   recovered   files lost');
for (const entry of rows) {
  console.log(`${entry.fault.padEnd(40)} ${String(entry.injected).padStart(8)} ${String(entry.recovered).padStart(11)} ${String(entry.filesLost).padStart(12)}`);
  for (const note of entry.notes) console.log(`    ${note}`);
  total.injected += entry.injected;
  total.recovered += entry.recovered;
  total.filesLost += entry.filesLost;
}
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/faults.json', JSON.stringify({ date: new Date().toISOString().slice(0, 10), command: ARGS.join(' '), rows, total }, null, 1) + '\n');
const failed = rows.filter((entry) => entry.recovered !== entry.injected || entry.filesLost > 0).length;
console.log(`faults: ${rows.length - failed} passed, ${failed} failed (${total.injected} faults injected, ${total.recovered} recovered, ${total.filesLost} files lost)`);
rmSync(base, { recursive: true, force: true });
process.exitCode = failed > 0 ? 1 : 0;
