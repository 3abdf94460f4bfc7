import { lossOp } from './loss.ts';
import { wgsl } from '#wgsl/kernels';

// l = (p - t)^2;  dl/dp = 2 (p - t).
export const meanSquaredError = lossOp({
  name: 'meanSquaredError',
  kernel: wgsl.meanSquaredError,
  loss: (p, t) => (p - t) ** 2,
  derivative: (p, t) => 2 * (p - t),
});
