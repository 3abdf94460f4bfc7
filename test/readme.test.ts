// The README's TypeScript example, run as written: its first ```ts block, with 'aelab' and
// 'aelab/node' resolved to the sources (vitest.config.ts), printing what it says it prints.
import { describe, expect, it, vi } from 'vitest';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { testEngine } from './support/engine.ts';

const readme = readFileSync('README.md', 'utf8');
const example = readme.match(/```ts\n([\s\S]*?)```/)?.[1];
// The example makes its own engine; this one only tells whether there is an adapter.
const engine = await testEngine();

describe('the README', () => {
  it('has a TypeScript example of at most 15 lines of code', () => {
    expect(example).toBeDefined();
    const code = example!.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('//'));
    expect(code.length).toBeLessThanOrEqual(15);
  });

  it('is at most about 200 lines', () => {
    expect(readme.split('\n').length).toBeLessThanOrEqual(200);
  });

  it.skipIf(!engine)('its example runs: an epoch on the GPU, then the float64 loss and a gradient', async () => {
    engine!.device.destroy();
    mkdirSync('.cache/readme', { recursive: true });
    const file = resolve('.cache/readme/example.ts');
    writeFileSync(file, example!);
    const lines: string[] = [];
    const log = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line));
    try {
      await import(pathToFileURL(file).href);
    } finally {
      log.mockRestore();
    }
    expect(lines[0]).toMatch(/^GPU: one epoch of 932 images, loss 0\.\d{4}$/);
    expect(lines[1]).toMatch(/^float64: loss 0\.\d{6}, dL\/dw\[0\] -?\d\.\d{3}e[-+]\d+$/);
  });
});
