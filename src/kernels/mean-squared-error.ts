import { lossOp } from './loss.ts';

// l = (p - t)^2;  dl/dp = 2 (p - t).
export const meanSquaredError = lossOp({
  name: 'meanSquaredError',
  kernel: 'meanSquaredError',
  loss: (p, t) => (p - t) ** 2,
  derivative: (p, t) => 2 * (p - t),
});
