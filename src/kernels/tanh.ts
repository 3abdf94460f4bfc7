import { unaryOp } from './unary.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

// tanh(x);  d/dx = 1 - y^2 with y = tanh(x).
export const tanh: Op<Record<string, never>> = unaryOp({
  name: 'tanh',
  kernel: wgsl.tanh,
  forward: (x) => Math.tanh(x),
  derivative: (_x, y) => 1 - y * y,
  backwardReads: 'output',
});
