// The shape of the code: trees and layers that import one way, and files a reader can take in whole.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import {
  importClosure,
  importGraph,
  importsOf,
  layerViolations,
  sourceFiles,
  treeViolations,
} from './support/layers.ts';

/** About a screen's worth of scrolling: the most a file in src/ holds. */
const MAX_LINES = 400;

describe('architecture', () => {
  it('src/ imports nothing of bench/, test/ or scripts/; bench/ and test/ import src/ and scripts/, never each other', () => {
    const edges = ['src', 'bench', 'test', 'scripts'].flatMap((folder) => importGraph('.', folder));
    expect(edges.filter((edge) => edge.from.startsWith('bench/')).length).toBeGreaterThan(10);
    expect(treeViolations(edges)).toEqual([]);
  });

  it('the tree check catches src importing bench or test, and bench importing test', () => {
    const edges = [
      ...importsOf('src/lab/views/kernels.ts', "import { KernelBench } from '../../../bench/kernel-bench.ts';"),
      ...importsOf('src/nn/training.ts', "import type { X } from '../../test/support/engine.ts';"),
      ...importsOf('bench/train.ts', "import { CIFAR10_DIRECTORY } from '../test/support/data.ts';"),
      ...importsOf('bench/train.ts', "import { fit } from '../src/nn/training.ts';"),
    ];
    expect(treeViolations(edges)).toEqual([
      'src/lab/views/kernels.ts -> bench/kernel-bench.ts (src/ imports only src/)',
      'src/nn/training.ts -> test/support/engine.ts (src/ imports only src/)',
      'bench/train.ts -> test/support/data.ts (bench/ imports only src/, scripts/, bench/)',
    ]);
  });

  it('what the lab page loads lives in src/', () => {
    const closure = importClosure('.', 'src/lab/main.ts');
    expect(closure).toContain('src/benchmarks/kernel-bench.ts');
    expect(closure.filter((path) => !path.startsWith('src/'))).toEqual([]);
  });

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
