import { lossOp } from './loss.ts';
import { wgsl } from '#wgsl/kernels';

// l = |p - t|;  dl/dp = sign(p - t), and 0 at p = t exactly (tie rule, as WGSL's sign()).
export const meanAbsoluteError = lossOp({
  name: 'meanAbsoluteError',
  kernel: wgsl.meanAbsoluteError,
  loss: (p, t) => Math.abs(p - t),
  derivative: (p, t) => Math.sign(p - t),
});
