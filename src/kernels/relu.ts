import { unaryOp } from './unary.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

// relu(x) = max(x, 0);  d/dx = 1 if x > 0 else 0. Tie rule: the gradient at exactly 0 is 0.
export const relu: Op<Record<string, never>> = unaryOp({
  name: 'relu',
  kernel: wgsl.relu,
  forward: (x) => Math.max(x, 0),
  derivative: (x) => (x > 0 ? 1 : 0),
  backwardReads: 'input',
});
