// Runs that never lie and never lose work: writes that are all or nothing (a disk that fills
// up, a write that takes part of its bytes), one run per folder, resume semantics a user can
// predict, and file-system mistakes said in one line, with nothing left behind.
import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { FileError, writeFileAtomic, type WriteSystem } from '../../src/files.ts';
import { runCli, startCli } from '../support/cli.ts';
import { CIFAR10_DIRECTORY } from '../../scripts/data-location.mjs';

const scratch = () => fs.mkdtempSync(join(tmpdir(), 'aelab-reliability-'));
const noStack = (stderr: string) => expect(stderr).not.toMatch(/\n\s+at /);

/** node:fs, but each write takes at most `chunk` bytes and the disk is full after `capacity`. */
function fillingDisk(chunk: number, capacity: number): WriteSystem & { written: number } {
  const disk = {
    ...fs,
    written: 0,
    writeSync: (file: number, buffer: Uint8Array, offset: number, length: number) => {
      if (disk.written >= capacity)
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      const count = Math.min(chunk, length, capacity - disk.written);
      disk.written += count;
      return fs.writeSync(file, buffer, offset, count);
    },
  };
  return disk;
}

describe('writes', () => {
  it('a write that takes part of its bytes is continued until all are written', () => {
    const path = join(scratch(), 'report.html');
    const contents = 'x'.repeat(92_882);
    writeFileAtomic(path, contents, fillingDisk(16_384, Infinity));
    expect(fs.readFileSync(path, 'utf8')).toBe(contents);
  });

  it('a full disk ends with a FileError naming the file, the old file intact and no temporary file left', () => {
    const folder = scratch();
    const path = join(folder, 'optimizer.safetensors');
    fs.writeFileSync(path, 'the previous checkpoint');
    let caught: unknown;
    try {
      writeFileAtomic(path, new Uint8Array(20_532), fillingDisk(4096, 16_384));
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(FileError);
    expect((caught as Error).message).toMatch(/cannot write .*optimizer\.safetensors: the disk is full.*\(ENOSPC\)/);
    expect(fs.readFileSync(path, 'utf8')).toBe('the previous checkpoint');
    expect(fs.readdirSync(folder)).toEqual(['optimizer.safetensors']);
  });
});

describe('the command line', () => {
  const data = ['--data', CIFAR10_DIRECTORY];
  const run = (...args: string[]) => ['autoencoder', ...data, '--sample', '0.05', '--no-tune', ...args];

  it('file-system mistakes are one line naming the path, with no stack and no folder left behind', () => {
    const folder = scratch();
    const file = join(folder, 'a-file');
    fs.writeFileSync(file, 'not a folder');
    const dataIsFile = runCli(['autoencoder', '--data', file, '--out', join(folder, 'out1')]);
    expect([dataIsFile.status, dataIsFile.stderr]).toEqual([
      1,
      `aelab: --data ${file} is a file: give the folder that holds the data set\n`,
    ]);
    expect(fs.existsSync(join(folder, 'out1'))).toBe(false);
    const outIsFile = runCli(run('--epochs', '1', '--out', file));
    expect(outIsFile.status).toBe(1);
    expect(outIsFile.stderr).toMatch(/--out .*a-file is a file, not a folder/);
    noStack(outIsFile.stderr);
    const missing = runCli(['autoencoder', '--data', join(folder, 'nowhere'), '--out', join(folder, 'out2')]);
    expect(missing.status).toBe(1);
    expect(fs.existsSync(join(folder, 'out2'))).toBe(false);
  }, 120_000);

  it("resume keeps the run's own epochs, extends only when asked, and refuses other changes without touching the folder", () => {
    const out = join(scratch(), 'run');
    expect(runCli(run('--epochs', '2', '--out', out)).status).toBe(0);
    const config = fs.readFileSync(join(out, 'config.json'), 'utf8');

    const again = runCli(run('--out', out, '--resume'));
    expect(again.status, again.stderr).toBe(0);
    expect(again.stderr).toMatch(/resuming after epoch 2 of 2/);
    expect(fs.readFileSync(join(out, 'config.json'), 'utf8')).toBe(config);

    const changed = runCli(run('--out', out, '--resume', '--seed', '7', '--batch-size', '64'));
    expect(changed.status).toBe(1);
    expect(changed.stderr).toMatch(/these differ: --batch-size 64 \(the run has 32\), --seed 7 \(the run has 1\)/);
    const fewer = runCli(run('--out', out, '--resume', '--epochs', '1'));
    expect(fewer.status).toBe(1);
    expect(fewer.stderr).toMatch(/--epochs 1: the run .* has already done 2 epochs/);
    expect(fs.readFileSync(join(out, 'config.json'), 'utf8')).toBe(config);

    // The data moved: the same images at another path are accepted, other images are not.
    const moved = join(scratch(), 'cifar');
    fs.mkdirSync(moved);
    for (const name of fs.readdirSync(CIFAR10_DIRECTORY))
      fs.symlinkSync(fs.realpathSync(join(CIFAR10_DIRECTORY, name)), join(moved, name));
    const extended = runCli(['autoencoder', '--data', moved, '--out', out, '--resume', '--epochs', '3', '--no-tune']);
    expect(extended.status, extended.stderr).toBe(0);
    expect(extended.stderr).toMatch(/resuming after epoch 2 of 3/);
    expect(JSON.parse(fs.readFileSync(join(out, 'config.json'), 'utf8')).epochs).toBe(3);
    const other = runCli([
      'autoencoder',
      '--data',
      '/usr/share/datasets/fashion-mnist',
      '--out',
      out,
      '--resume',
      '--no-tune',
    ]);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(/not the data this run trained on/);
  }, 300_000);

  it("a second run on the same folder is refused with the first one's PID; a dead run's lock is broken", async () => {
    const out = join(scratch(), 'run');
    const first = startCli(run('--epochs', '30', '--out', out));
    const exited = new Promise<void>((resolve) => first.on('exit', () => resolve()));
    const deadline = Date.now() + 120_000;
    while (!fs.existsSync(join(out, 'checkpoints', 'epoch-0001')) && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 10));
    const second = runCli(run('--epochs', '30', '--out', out, '--resume'));
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(new RegExp(`in use by another aelab run \\(PID ${first.pid} on `));
    first.kill('SIGKILL');
    await exited;
    expect(fs.existsSync(join(out, '.lock'))).toBe(true);
    // Resumed to the run's own 30 epochs: how far the killed run got does not matter.
    const resumed = runCli(run('--out', out, '--resume'));
    expect(resumed.stderr).toMatch(new RegExp(`breaking the lock of PID ${first.pid}, which no longer runs`));
    expect(fs.existsSync(join(out, '.lock'))).toBe(false);
  }, 300_000);

  it('images the model cannot reproduce are refused before the GPU starts; reconstruct checks its own', () => {
    const folder = scratch();
    const images = join(folder, 'pngs');
    fs.mkdirSync(images);
    for (let i = 0; i < 12; i++) {
      const png = new PNG({ width: 30, height: 30 });
      png.data.fill(120 + i);
      fs.writeFileSync(join(images, `${i}.png`), PNG.sync.write(png));
    }
    const odd = runCli([
      'autoencoder',
      '--data',
      images,
      '--epochs',
      '1',
      '--sample',
      '1',
      '--no-tune',
      '--out',
      join(folder, 'out'),
    ]);
    expect(odd.status).toBe(1);
    expect(odd.stderr).toMatch(/the model turns 30x30 images into 32x32/);
    expect(fs.existsSync(join(folder, 'out'))).toBe(false);
    expect(
      runCli(['reconstruct', '--model', folder, ...data, '--out', join(folder, 'x.png'), '--count', '0']).status,
    ).toBe(2);
  }, 120_000);

  it('reconstruct into a folder that does not exist, and a run folder with a cut-short config, are one-line errors', () => {
    const out = join(scratch(), 'run');
    expect(runCli(run('--epochs', '1', '--out', out)).status).toBe(0);
    const nowhere = runCli(['reconstruct', '--model', out, ...data, '--out', join(out, 'missing', 'x.png')]);
    expect(nowhere.status).toBe(1);
    expect(nowhere.stderr).toMatch(/cannot write .*missing\/x\.png: no such file or folder \(ENOENT\)/);
    noStack(nowhere.stderr);
    fs.writeFileSync(join(out, 'config.json'), '{"data": "../../shared');
    const cut = runCli(run('--out', out, '--resume'));
    expect(cut.status).toBe(1);
    expect(cut.stderr).toMatch(/config\.json is not valid JSON/);
    noStack(cut.stderr);
  }, 120_000);
});

describe('compilation and tuning are said, apart from training', () => {
  it('a short run compiles its pipelines on a line of its own and skips a tuning longer than its training', () => {
    const cache = scratch();
    const out = join(scratch(), 'run');
    const result = runCli(
      ['autoencoder', '--data', CIFAR10_DIRECTORY, '--sample', '0.05', '--epochs', '1', '--out', out],
      { XDG_CACHE_HOME: cache },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/^compiled \d+ kernel pipelines in [\d.]+ s \(not counted in the training time\)$/m);
    expect(result.stderr).toMatch(
      /kernel tuning skipped: this run trains for about \d+ s, less than the \d+ s that timing the variants would take/,
    );
    expect(fs.existsSync(join(cache, 'aelab', 'tuning'))).toBe(false);
  }, 120_000);
});

describe("whether to tune, from given times (not this machine's)", () => {
  it('tunes only when the training takes at least as long as the tuning would', async () => {
    const { tuningDecision } = await import('../../src/experiments/step-preparation.ts');
    // 14 untimed dispatches at 1.2 s each: 16.8 s of tuning.
    expect(tuningDecision(14, 50, 100)).toEqual({
      tune: false,
      tuningSeconds: expect.closeTo(16.8, 9),
      trainingSeconds: 5,
    });
    expect(tuningDecision(14, 50, 336).tune).toBe(true);
    expect(tuningDecision(14, 50, 335).tune).toBe(false);
    expect(tuningDecision(0, 50, 1e9).tune).toBe(false);
    expect(tuningDecision(14, 50, Infinity).tune).toBe(true); // --tune
  });
});

describe('the progress line off a terminal', () => {
  it('writes a plain line every 30 s within a long epoch, and none within a short one', async () => {
    const { ProgressLine, OFF_TERMINAL_SECONDS } = await import('../../src/cli/progress.ts');
    let now = 0;
    const lines: string[] = [];
    const progress = new ProgressLine({ terminal: false, write: (text) => lines.push(text), now: () => now });
    const step = (epoch: number, step: number, seconds: number) => {
      now = 1000 * seconds;
      progress.update({ epoch, epochs: 2, step, steps: 100, loss: 0.5, elapsedSeconds: seconds });
    };
    step(1, 1, 0);
    for (let i = 2; i <= 100; i++) step(1, i, i); // 100 s: lines at 30, 60 and 90 s
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^Epoch 1\/2 30\/100 - loss: 0\.5000 - 30s so far - ETA: 1m10s\n$/);
    expect(lines.every((line) => !line.includes('\r'))).toBe(true);
    for (let i = 1; i <= 100; i++) step(2, i, 100 + i / 10); // a 10 s epoch: nothing
    expect(lines).toHaveLength(3);
    expect(OFF_TERMINAL_SECONDS).toBe(30);
  });
});

describe('an interrupted tuning', () => {
  it('keeps the dispatches it timed: killed after the first, the next run times only the rest', async () => {
    const out = fs.mkdtempSync(join(tmpdir(), 'aelab-tuning-kill-'));
    const cache = join(out, 'cache');
    const args = [
      'autoencoder',
      '--data',
      '/usr/share/datasets/fashion-mnist',
      '--epochs',
      '1',
      '--sample',
      '0.01',
      '--tune',
    ];
    const child = (await import('node:child_process')).spawn(
      process.execPath,
      ['.cache/test/aelab.mjs', ...args, '--out', join(out, 'first')],
      { env: { ...process.env, XDG_CACHE_HOME: cache }, stdio: 'ignore' },
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    const folder = join(cache, 'aelab', 'tuning');
    const deadline = Date.now() + 120_000;
    while (
      !(fs.existsSync(folder) && fs.readdirSync(folder).some((name) => name.endsWith('.json'))) &&
      Date.now() < deadline
    )
      await new Promise((resolve) => setTimeout(resolve, 5));
    child.kill('SIGKILL');
    await exited;
    const [file] = fs.readdirSync(folder).filter((name) => name.endsWith('.json'));
    const entries = Object.values(JSON.parse(fs.readFileSync(join(folder, file!), 'utf8')).entries) as {
      provisional?: boolean;
    }[];
    expect(entries.length).toBeGreaterThanOrEqual(1);
    expect(entries.length).toBeLessThan(14);
    const kept = entries.filter((entry) => !entry.provisional).length;
    const second = runCli([...args, '--out', join(out, 'second')], { XDG_CACHE_HOME: cache });
    expect(second.status, second.stderr).toBe(0);
    const timed = Number(/timing kernel variants for this adapter: (\d+) dispatches/.exec(second.stderr)?.[1]);
    // The next run times exactly what was not kept: the dispatches never reached, and any
    // provisional challenger (its work check never ran).
    expect(timed).toBe(14 - kept);
  }, 300_000);
});

describe('Deno without a Vulkan driver', () => {
  it('says that Vulkan is missing, exit 1, and leaves no --out folder behind', async () => {
    const out = join(fs.mkdtempSync(join(tmpdir(), 'aelab-novulkan-')), 'run');
    const { spawnSync } = await import('node:child_process');
    const result = spawnSync(
      'npx',
      [
        'deno',
        'run',
        '--unstable-webgpu',
        '-A',
        'src/cli/main.ts',
        'autoencoder',
        '--data',
        CIFAR10_DIRECTORY,
        '--epochs',
        '1',
        '--sample',
        '0.02',
        '--no-tune',
        '--out',
        out,
      ],
      {
        encoding: 'utf8',
        env: { ...process.env, VK_ICD_FILENAMES: '/nonexistent/icd.json' },
        timeout: 120_000,
      },
    );
    expect(result.stderr).toMatch(/^aelab: Deno's WebGPU found no Vulkan driver and fell back to OpenGL/m);
    expect(result.stderr).not.toMatch(/Shader compilation failed/);
    expect(result.status).toBe(1);
    expect(fs.existsSync(out)).toBe(false);
  }, 150_000);
});

describe('the conventions', () => {
  it('-h and --version answer with status 0, for the program and for a command', () => {
    const version = JSON.parse(fs.readFileSync('package.json', 'utf8')).version as string;
    for (const args of [['--version'], ['-V']]) {
      const result = runCli(args);
      expect(result.status).toBe(0);
      expect(result.stdout.trim()).toBe(`aelab ${version}`);
    }
    for (const args of [['-h'], ['--help']]) {
      const result = runCli(args);
      expect(result.status, args.join(' ')).toBe(0);
      expect(result.stdout).toMatch(/^usage: aelab <command>/);
    }
    for (const args of [
      ['autoencoder', '-h'],
      ['colourise', '--help'],
      ['kernels', '-h'],
    ]) {
      const result = runCli(args);
      expect(result.status, args.join(' ')).toBe(0);
      expect(result.stdout).toMatch(new RegExp(`^usage: aelab ${args[0]} `));
    }
  });

  it('a GPU device lost mid-epoch ends the run with one line naming --resume, and the resume finishes it', () => {
    const out = join(fs.mkdtempSync(join(tmpdir(), 'aelab-lost-')), 'run');
    const args = ['autoencoder', '--data', CIFAR10_DIRECTORY, '--epochs', '2', '--sample', '0.05', '--no-tune'];
    const lost = runCli([...args, '--out', out], { AELAB_FAULT_DEVICE_LOST: '2:2' });
    expect(lost.status, lost.stderr).toBe(1);
    expect(lost.stderr.split('\n').filter((line) => line.startsWith('aelab:'))).toEqual([
      expect.stringMatching(
        /^aelab: the GPU device was lost \(destroyed.*\); every finished epoch is saved: run the same command with --resume to continue$/,
      ),
    ]);
    expect(lost.stderr).not.toMatch(/ {4}at /);
    expect(fs.existsSync(join(out, 'checkpoints', 'epoch-0001'))).toBe(true);
    expect(fs.existsSync(join(out, 'model.safetensors'))).toBe(false);
    const resumed = runCli([...args, '--out', out, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming after epoch 1 of 2/);
    expect(fs.existsSync(join(out, 'model.safetensors'))).toBe(true);
  });

  it('says so when the batch is larger than the training images, and trains one batch an epoch', () => {
    const out = join(fs.mkdtempSync(join(tmpdir(), 'aelab-batch-')), 'run');
    const result = runCli([
      'autoencoder',
      '--data',
      '/usr/share/datasets/fashion-mnist',
      '--sample',
      '0.01',
      '--epochs',
      '1',
      '--batch-size',
      '1000',
      '--no-tune',
      '--out',
      out,
    ]);
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /note: --batch-size 1000 is more than the 560 training images: each epoch is one batch of 560/,
    );
  });
});
