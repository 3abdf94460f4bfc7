import { lossOp } from './loss.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

/** Keras' epsilon: probabilities are clipped to [EPSILON, 1 - EPSILON] before the logarithms. */
export const EPSILON = 1e-7;

// l = -(t log p' + (1 - t) log(1 - p')), p' = clip(p, eps, 1 - eps);
// dl/dp = (p' - t) / (p' (1 - p')) where eps <= p <= 1 - eps, else 0 (the clip is flat there).
export const binaryCrossEntropy: Op<Record<string, never>> = lossOp({
  name: 'binaryCrossEntropy',
  kernel: wgsl.binaryCrossEntropy,
  loss: (p, t) => {
    const clipped = Math.min(Math.max(p, EPSILON), 1 - EPSILON);
    return -(t * Math.log(clipped) + (1 - t) * Math.log(1 - clipped));
  },
  derivative: (p, t) => (p >= EPSILON && p <= 1 - EPSILON ? (p - t) / (p * (1 - p)) : 0),
});
