// aelab kernels: the kernels a training step runs, and --show's WGSL, which must be exactly
// what the engine compiled (its marks aside) and must compile as printed.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli.ts';
import { testEngine } from '../support/engine.ts';
import { withoutAnnotations } from '../../src/backend/kernel-text.ts';
import { compileTrainingStep, matchingVariants } from '../../src/cli/kernels.ts';

// A cache of its own: the command and the engine below read the same (empty) tuning.
const cache = mkdtempSync(join(tmpdir(), 'aelab-kernels-'));
process.env['XDG_CACHE_HOME'] = cache;
afterAll(() => rmSync(cache, { recursive: true, force: true }));

const engine = await testEngine();
const HEADER = /^\/\/ (\S+) \((.*)\), as compiled on .*$/gm;

/** The blocks of --show's output: each variant's header and its text. */
function blocks(output: string): { label: string; text: string }[] {
  const headers = [...output.matchAll(HEADER)];
  return headers.map((header, i) => ({
    label: header[1]!,
    text: output.slice(header.index! + header[0].length + 1, headers[i + 1]?.index ?? output.length).replace(/\n$/, ''),
  }));
}

describe.skipIf(!engine)('aelab kernels', () => {
  it('lists the entry points a training step runs, each with its variant', () => {
    const result = runCli(['kernels', '--batch-size', '4'], { XDG_CACHE_HOME: cache });
    expect(result.status).toBe(0);
    for (const label of ['conv2d.forward', 'conv2d.backward_input', 'maxPool2d.forward_quads', 'rmsprop.update'])
      expect(result.stdout).toContain(`${label}  `);
    expect(result.stdout).toMatch(/^conv2d\.forward {2}TILE_X=\d+ TILE_Y=\d+/m);
  });

  it('conv2d --show prints, for each conv2d pipeline, the WGSL the engine compiled, line by line marked', async () => {
    const result = runCli(['kernels', 'conv2d', '--show', '--batch-size', '4'], { XDG_CACHE_HOME: cache });
    expect(result.status).toBe(0);
    const shown = blocks(result.stdout);
    await compileTrainingStep(engine!, 4);
    const compiled = matchingVariants(engine!.kernels.compiled, 'conv2d');
    expect(shown.map((block) => block.label)).toEqual(compiled.map((variant) => variant.label));
    expect(shown.length).toBeGreaterThan(8);
    shown.forEach((block, i) => {
      expect(withoutAnnotations(block.text)).toBe(compiled[i]!.code);
      // Every line that holds code says where it was written.
      const unmarked = block.text.split('\n').filter((line) => line.trim() !== '' && !/ \/\/ @ \S+/.test(line));
      expect(unmarked).toEqual([]);
    });
    expect(result.stdout).toMatch(/ \/\/ @ src\/kernels\/conv2d\/prelude\.wgsl:\d+$/m);
    expect(result.stdout).toMatch(/ \/\/ @ src\/kernels\/conv2d\/forward\.wgsl:\d+$/m);
  });

  it('each printed block compiles as printed', async () => {
    const result = runCli(['kernels', 'conv2d.forward', '--show', '--batch-size', '4'], { XDG_CACHE_HOME: cache });
    const shown = blocks(result.stdout);
    expect(shown.length).toBeGreaterThan(0);
    for (const block of shown) {
      const module = engine!.device.createShaderModule({ code: block.text });
      const errors = (await module.getCompilationInfo()).messages.filter((message) => message.type === 'error');
      expect(errors.map((message) => `${message.lineNum}:${message.linePos} ${message.message}`)).toEqual([]);
    }
    // And a broken one does not: the check can fail.
    const broken = engine!.device.createShaderModule({ code: shown[0]!.text.replace('fn forward(', 'fn forward(,') });
    expect((await broken.getCompilationInfo()).messages.some((message) => message.type === 'error')).toBe(true);
  });

  it('an op the step does not run is a usage error naming the ones it does', () => {
    const result = runCli(['kernels', 'matmul'], { XDG_CACHE_HOME: cache });
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/no kernel 'matmul' \(it runs: .*conv2d.*maxPool2d/);
  });
});
