import { lossOp } from './loss.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

// l = (p - t)^2;  dl/dp = 2 (p - t).
export const meanSquaredError: Op<Record<string, never>> = lossOp({
  name: 'meanSquaredError',
  kernel: wgsl.meanSquaredError,
  loss: (p, t) => (p - t) ** 2,
  derivative: (p, t) => 2 * (p - t),
});
