import { unaryOp } from './unary.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

// sigmoid(x) = 1 / (1 + e^-x);  d/dx = y (1 - y) with y = sigmoid(x).
export const sigmoid: Op<Record<string, never>> = unaryOp({
  name: 'sigmoid',
  kernel: wgsl.sigmoid,
  forward: (x) => 1 / (1 + Math.exp(-x)),
  derivative: (_x, y) => y * (1 - y),
  backwardReads: 'output',
});
