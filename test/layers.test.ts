// The shape of the code: layers that go one way, and files a reader can take in whole.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { importGraph, importsOf, layerViolations, sourceFiles } from './support/layers.ts';

/** About a screen's worth of scrolling: the most a file in src/ holds. */
const MAX_LINES = 400;

describe('layers', () => {
  it('no value import in src/ runs back up a layer, and data imports nothing of nn', () => {
    expect(layerViolations(importGraph('.'))).toEqual([]);
  });

  it('the check catches an upward import, and lets a type-only one pass', () => {
    const edges = [
      ...importsOf('src/backend/engine.ts', "import { apply } from '../nn/autograd.ts';"),
      ...importsOf('src/backend/tensor.ts', "import type { TapeNode } from '../nn/autograd.ts';"),
      ...importsOf('src/kernels/op.ts', "import { type Engine, type Options } from '../backend/engine.ts';"),
      ...importsOf('src/data/image-set.ts', "import type { TrainingData } from '../nn/training.ts';"),
      ...importsOf('src/nn/training.ts', "export { batchesOf } from '../data/batches.ts';"),
      ...importsOf('src/backend/engine.ts', "import { wgsl } from '#wgsl/kernels';"),
    ];
    expect(layerViolations(edges)).toEqual([
      'src/backend/engine.ts -> src/nn/autograd.ts (an upward value import)',
      'src/data/image-set.ts -> src/nn/training.ts (data does not import nn)',
      'src/nn/training.ts -> src/data/batches.ts (an upward value import)',
      'src/backend/engine.ts -> src/kernels/wgsl.generated.ts (an upward value import)',
    ]);
  });

  it(`no file in src/ is over ${MAX_LINES} lines`, () => {
    const long = sourceFiles('.')
      .filter((path) => /\.(ts|wgsl)$/.test(path) && !path.endsWith('.generated.ts'))
      .map((path) => [path, readFileSync(path, 'utf8').split('\n').length - 1] as const)
      .filter(([, lines]) => lines > MAX_LINES);
    expect(long).toEqual([]);
  });
});
