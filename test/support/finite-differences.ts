// Gradients of a whole model against central finite differences. A single weight moves a mean
// over thousands of pixels too little to stand out of float64 rounding, so each parameter
// tensor is perturbed along random +-1 directions v: (L(w + e v) - L(w - e v)) / 2e must
// equal g . v. Returns, per parameter, the relative error between the two.
import type { ReferenceTensor } from '../../src/nn/reference-backend.ts';
import { Random } from '../../src/random.ts';
import { relativeError } from '../parity/check.ts';

export function directionalGradientErrors(parameters: readonly ReferenceTensor[], gradients: readonly Float64Array[], loss: () => number, seed: number, directions: number): number[] {
  const random = new Random(seed);
  const step = 1e-6;
  return parameters.map((parameter, i) => {
    const original = Float64Array.from(parameter.data);
    const numeric: number[] = [];
    const analytic: number[] = [];
    for (let direction = 0; direction < directions; direction++) {
      const v = Array.from(original, () => (random.next() < 0.5 ? -1 : 1));
      const lossAt = (epsilon: number): number => {
        parameter.data.forEach((_, j) => (parameter.data[j] = original[j]! + epsilon * v[j]!));
        return loss();
      };
      numeric.push((lossAt(step) - lossAt(-step)) / (2 * step));
      analytic.push(v.reduce((total, vj, j) => total + vj * gradients[i]![j]!, 0));
      parameter.data.set(original);
    }
    return relativeError(numeric, analytic);
  });
}
