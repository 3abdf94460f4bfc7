// The aelab command as a user runs it: help, usage errors (exit 2), clear failures (exit 1),
// and the training path on Fashion-MNIST's 1-channel 28x28 images with its outputs.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { runCli } from '../support/cli.ts';

describe('aelab command line', () => {
  it('prints help with exit status 0, and usage with status 2 when called without a command', () => {
    const help = runCli(['--help']);
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/aelab autoencoder \[--data DIR\] \[--epochs 10\]/);
    expect(runCli([]).status).toBe(2);
  });

  it('every training command lists the shared options in the same words, and takes --tune and --no-tune', () => {
    const shared = (command: string) => {
      const help = runCli([command, '-h']).stdout;
      return help.slice(help.indexOf('options of every training command'));
    };
    const autoencoder = shared('autoencoder');
    expect(autoencoder).toMatch(/^options of every training command .*\n {2}--data DIR[\s\S]*\n {2}--no-tune /);
    expect(shared('sweep')).toBe(autoencoder);
    expect(shared('colourise')).toBe(autoencoder);
    for (const command of [['autoencoder'], ['sweep'], ['colourise', '--method', 'ycbcr']]) {
      const both = runCli([...command, '--tune', '--no-tune']);
      expect(both.status, command[0]).toBe(2);
      expect(both.stderr).toMatch(/--tune and --no-tune contradict each other/);
    }
  });

  it.each([
    [['autoencoder', '--epochs', 'ten'], /--epochs must be an integer, got 'ten'/],
    [['autoencoder', '--bogus'], /unknown option --bogus/],
    [['autoencoder', '--sample', '2'], /--sample must be in \(0, 1\]/],
    [['autoencoder', '--epochs'], /--epochs needs a value/],
    [['train'], /unknown command 'train'/],
    [['reconstruct', '--data', 'x'], /--model is required/],
  ])('%j is a usage error (exit 2)', (args, message) => {
    const result = runCli(args as string[]);
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(message);
    // One line for the mistake and one pointing to the help, not the whole help.
    expect(result.stderr.trim().split('\n')).toHaveLength(2);
    expect(result.stderr).toMatch(/\(aelab( [a-z]+)? -h lists the commands and their options\)/);
  });

  it('check --model names what a file lacks (exit 1)', () => {
    const folder = mkdtempSync(join(tmpdir(), 'aelab-cli-'));
    expect(runCli(['check', '--model', join(folder, 'none.mjs')]).stderr).toMatch(/--model .*none\.mjs: no such file/);
    writeFileSync(join(folder, 'empty.mjs'), 'export const inputShape = [1, 4, 4];\n');
    const result = runCli(['check', '--model', join(folder, 'empty.mjs')]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(
      /export default a function that builds the model from an engine .* it exports inputShape/,
    );
  });

  it('fails clearly (exit 1) on a missing data directory', () => {
    const result = runCli([
      'autoencoder',
      '--data',
      '/nonexistent/data',
      '--out',
      mkdtempSync(join(tmpdir(), 'aelab-cli-')),
    ]);
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/^aelab: --data \/nonexistent\/data: no such directory/m);
  });

  it('trains on Fashion-MNIST (1 x 28 x 28) and writes every output; reconstruct reuses the model', () => {
    const out = mkdtempSync(join(tmpdir(), 'aelab-cli-'));
    const cache = join(out, 'cache');
    const result = runCli(
      [
        'autoencoder',
        '--data',
        '/usr/share/datasets/fashion-mnist',
        '--epochs',
        '2',
        '--sample',
        '0.01',
        '--tune',
        '--out',
        out,
      ],
      { XDG_CACHE_HOME: cache },
    );
    expect(result.status, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/560 training, 70 validation, 70 test images of 1x28x28/);
    // The kernels were tuned for this adapter at batch 32 and the choices kept in the cache.
    expect(result.stderr).toMatch(
      /timing kernel variants for this adapter: 14 dispatches, about \d+ s, once .*--no-tune skips it/,
    );
    expect(result.stderr).toMatch(/\[\d+\/14\] conv2d\.\w+ 32x/);
    const tuningFiles = readdirSync(join(cache, 'aelab', 'tuning'));
    expect(tuningFiles).toHaveLength(1);
    expect(
      Object.keys(JSON.parse(readFileSync(join(cache, 'aelab', 'tuning', tuningFiles[0]!), 'utf8')).entries),
    ).toHaveLength(14);
    // Not a terminal: one progress line per epoch, no carriage returns.
    expect(result.stderr).toMatch(/^Epoch 1\/2 - .* - loss: \d\.\d{4} - psnr: .* - val_loss: /m);
    expect(result.stderr).not.toMatch(/\r/);
    for (const file of [
      'config.json',
      'summary.txt',
      'history.csv',
      'loss.svg',
      'reconstructions.png',
      'metrics.json',
      'model.safetensors',
      'report.html',
    ]) {
      expect(existsSync(join(out, file)), file).toBe(true);
    }
    expect(readFileSync(join(out, 'summary.txt'), 'utf8')).toMatch(/latent: \[16, 7, 7\] = 784 values/);
    const history = readFileSync(join(out, 'history.csv'), 'utf8').trim().split('\n');
    expect(history).toHaveLength(3);
    const losses = history.slice(1).map((line) => Number(line.split(',')[2]));
    expect(losses[1]).toBeLessThan(losses[0]!);
    expect(readFileSync(join(out, 'loss.svg'), 'utf8')).toMatch(/<text[^>]*>epoch<\/text>/);
    const report = readFileSync(join(out, 'report.html'), 'utf8');
    expect(report).toMatch(/data:image\/png;base64,/);
    expect(report).toMatch(/Binary accuracy is Keras'/);
    // The run's settings as facts, not only its command line.
    expect(report).toMatch(
      /<th[^>]*>images \(train \/ validation \/ test\)<\/th><td[^>]*>560 \/ 70 \/ 70 of 1x28x28<\/td>/,
    );
    expect(report).toMatch(/<th[^>]*>batch size<\/th><td[^>]*>32<\/td>/);
    expect(report).toMatch(/<th[^>]*>started<\/th><td[^>]*>\d{4}-\d\d-\d\dT/);
    const grid = PNG.sync.read(readFileSync(join(out, 'reconstructions.png')));
    expect([grid.width, grid.height]).toEqual([2 * (28 * 4 + 4) + 4, 10 * (28 * 4 + 4) + 4]);

    const picture = join(out, 'again.png');
    const again = runCli([
      'reconstruct',
      '--model',
      out,
      '--data',
      '/usr/share/datasets/fashion-mnist',
      '--out',
      picture,
      '--count',
      '4',
    ]);
    expect(again.status, again.stderr).toBe(0);
    expect(PNG.sync.read(readFileSync(picture)).height).toBe(4 * (28 * 4 + 4) + 4);

    // A second run on the adapter finds every choice in the cache: it says so and tunes nothing.
    const second = runCli(
      [
        'autoencoder',
        '--data',
        '/usr/share/datasets/fashion-mnist',
        '--epochs',
        '1',
        '--sample',
        '0.01',
        '--out',
        join(out, 'second'),
      ],
      { XDG_CACHE_HOME: cache },
    );
    expect(second.status, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/kernel variants: tuned for this adapter earlier/);
    expect(second.stderr).not.toMatch(/timing kernel variants|\[\d+\/\d+\] conv2d/);
    // The first run on an adapter tunes: lavapipe compiles each conv variant timed (0.25-0.8 s
    // apiece), about 50 s on two idle cores, and up to twice that beside another test file.
  }, 240_000);
});
