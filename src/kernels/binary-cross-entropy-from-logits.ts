import { lossOp } from './loss.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

// l = max(x, 0) - x t + log(1 + e^-|x|)  (= -(t log s + (1 - t) log(1 - s)), s = sigmoid(x));
// dl/dx = sigmoid(x) - t.
export const binaryCrossEntropyFromLogits: Op<Record<string, never>> = lossOp({
  name: 'binaryCrossEntropyFromLogits',
  kernel: wgsl.binaryCrossEntropyFromLogits,
  loss: (x, t) => Math.max(x, 0) - x * t + Math.log1p(Math.exp(-Math.abs(x))),
  derivative: (x, t) => 1 / (1 + Math.exp(-x)) - t,
});
