import { unaryOp } from './unary.ts';
import { wgsl } from '#wgsl/kernels';

// tanh(x);  d/dx = 1 - y^2 with y = tanh(x).
export const tanh = unaryOp({
  name: 'tanh',
  kernel: wgsl.tanh,
  forward: (x) => Math.tanh(x),
  derivative: (_x, y) => 1 - y * y,
  backwardReads: 'output',
});
