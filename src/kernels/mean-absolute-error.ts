import { lossOp } from './loss.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

// l = |p - t|;  dl/dp = sign(p - t), and 0 at p = t exactly (tie rule, as WGSL's sign()).
export const meanAbsoluteError: Op<Record<string, never>> = lossOp({
  name: 'meanAbsoluteError',
  kernel: wgsl.meanAbsoluteError,
  loss: (p, t) => Math.abs(p - t),
  derivative: (p, t) => Math.sign(p - t),
});
