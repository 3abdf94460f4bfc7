// Kill a training run with SIGKILL in the middle of an epoch, resume it, and the finished
// weights equal, bit for bit, those of a run that was never interrupted.
import { describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeSafetensors } from '../../src/nn/safetensors.ts';
import { runCli, startCli } from '../support/cli.ts';
import { CIFAR10_DIRECTORY } from '../../scripts/data-location.mjs';

// Without tuning: each run would otherwise time the kernels' variants (the CLI test covers it).
const ARGS = [
  'autoencoder',
  '--data',
  CIFAR10_DIRECTORY,
  '--epochs',
  '3',
  '--sample',
  '0.15',
  '--seed',
  '4',
  '--no-tune',
];

function weights(directory: string): Map<string, number[]> {
  const { tensors } = decodeSafetensors(new Uint8Array(readFileSync(join(directory, 'model.safetensors'))), directory);
  return new Map([...tensors].map(([name, tensor]) => [name, Array.from(tensor.data)]));
}

describe('kill and resume', () => {
  it('a run killed mid-epoch and resumed ends with the same weights as an uninterrupted one', async () => {
    const base = mkdtempSync(join(tmpdir(), 'aelab-resume-'));
    const uninterrupted = join(base, 'uninterrupted');
    const interrupted = join(base, 'interrupted');

    const whole = runCli([...ARGS, '--out', uninterrupted]);
    expect(whole.status, whole.stderr).toBe(0);

    // Start the same run, and SIGKILL it as soon as epoch 1's checkpoint is committed,
    // that is during epoch 2.
    const child = startCli([...ARGS, '--out', interrupted]);
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const checkpoint = join(interrupted, 'checkpoints', 'epoch-0001');
    const deadline = Date.now() + 120_000;
    while (!existsSync(checkpoint) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(existsSync(checkpoint)).toBe(true);
    child.kill('SIGKILL');
    await exited;
    expect(child.signalCode).toBe('SIGKILL');
    // Killed before the run finished: no final weights, no third epoch.
    expect(existsSync(join(interrupted, 'model.safetensors'))).toBe(false);
    expect(readdirSync(join(interrupted, 'checkpoints')).filter((name) => name === 'epoch-0003')).toEqual([]);

    const resumed = runCli([...ARGS, '--out', interrupted, '--resume']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/resuming after epoch [12] of 3/);

    const expected = weights(uninterrupted);
    const actual = weights(interrupted);
    expect([...actual.keys()]).toEqual([...expected.keys()]);
    for (const [name, values] of expected) expect(actual.get(name), name).toEqual(values);
    const history = (directory: string) =>
      readFileSync(join(directory, 'history.csv'), 'utf8')
        .split('\n')
        .slice(1, 4)
        .map((line) => line.split(',').slice(2).join(','));
    expect(history(interrupted)).toEqual(history(uninterrupted));
  }, 300_000);

  it('refuses to overwrite a finished run without --resume', () => {
    const directory = mkdtempSync(join(tmpdir(), 'aelab-resume-'));
    const args = [
      'autoencoder',
      '--data',
      CIFAR10_DIRECTORY,
      '--epochs',
      '1',
      '--sample',
      '0.05',
      '--out',
      directory,
      '--no-tune',
    ];
    expect(runCli(args).status).toBe(0);
    const again = runCli(args);
    expect(again.status).toBe(1);
    expect(again.stderr).toMatch(/already holds a run: pass --resume/);
  }, 120_000);

  it('a damaged latest checkpoint is refused naming the intact one; --resume-from it ends bit-identical', () => {
    const base = mkdtempSync(join(tmpdir(), 'aelab-resume-'));
    const whole = join(base, 'whole');
    expect(runCli([...ARGS, '--out', whole]).status).toBe(0);
    // The finished run's checkpoints 2 and 3 kept; epoch 3's weights altered by one byte.
    const damaged = join(base, 'damaged');
    cpSync(whole, damaged, { recursive: true });
    const file = join(damaged, 'checkpoints', 'epoch-0003', 'model.safetensors');
    const bytes = readFileSync(file);
    bytes[bytes.length - 5] ^= 0xff;
    writeFileSync(file, bytes);

    const refused = runCli([...ARGS, '--out', damaged, '--resume', '--epochs', '4']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toMatch(
      /epoch-0003, is damaged \(.*SHA-256.*\); epoch-0002 is intact: pass --resume-from epoch-0002 to continue from it/,
    );
    expect(refused.stderr).not.toMatch(/    at /);
    expect(runCli([...ARGS, '--out', damaged, '--resume-from', 'epoch-0009']).stderr).toMatch(
      /--resume-from epoch-0009: .* has no such checkpoint \(it has epoch-0002, epoch-0003\)/,
    );

    // Epoch 3 trained again from epoch 2's checkpoint: the same weights as the uninterrupted run.
    // Without --epochs the run keeps its own 3, and the progress line counts them (not the default 10).
    const withoutEpochs = ARGS.filter((argument, i) => argument !== '--epochs' && ARGS[i - 1] !== '--epochs');
    const resumed = runCli([...withoutEpochs, '--out', damaged, '--resume-from', 'epoch-0002']);
    expect(resumed.status, resumed.stderr).toBe(0);
    expect(resumed.stderr).toMatch(/discarding checkpoint epoch-0003: training continues from epoch-0002/);
    expect(resumed.stderr).toMatch(/resuming after epoch 2 of 3/);
    expect(resumed.stderr).toMatch(/^Epoch 3\/3 - /m);
    const expected = weights(whole);
    for (const [name, values] of weights(damaged)) expect(values, name).toEqual(expected.get(name));
  }, 300_000);
});
