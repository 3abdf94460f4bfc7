import { defineUpdateRule } from './update-rule.ts';
import { elementwiseInvocations } from '../backend/elementwise.ts';
import { wgsl } from '#wgsl/kernels';
import type { UpdateRule } from './update-rule.ts';

export interface AdamHyperparameters {
  readonly learningRate: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly epsilon: number;
}

/** Keras folds the bias correction into the step: lr * sqrt(1 - beta2^t) / (1 - beta1^t). */
function stepSize({ learningRate, beta1, beta2 }: AdamHyperparameters, step: number): number {
  return (learningRate * Math.sqrt(1 - beta2 ** step)) / (1 - beta1 ** step);
}

// Keras Adam: m += (1 - b1)(g - m);  v += (1 - b2)(g^2 - v);  w -= stepSize(t) m / (sqrt(v) + epsilon).
export const adam: UpdateRule<AdamHyperparameters> = defineUpdateRule<AdamHyperparameters>({
  name: 'adam',
  stateNames: ['firstMoment', 'secondMoment'],
  defaults: { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 },
  encode(engine, weight, gradient, [firstMoment, secondMoment], hyperparameters, step) {
    const { beta1, beta2, epsilon } = hyperparameters;
    engine.dispatch(wgsl.adam, 'update', {
      bindings: { weight, gradient, firstMoment: firstMoment!, secondMoment: secondMoment! },
      params: { count: weight.size, stepSize: stepSize(hyperparameters, step), beta1, beta2, epsilon },
      invocations: elementwiseInvocations(weight.size),
    });
  },
  reference(weight, gradient, [firstMoment, secondMoment], hyperparameters, step) {
    const { beta1, beta2, epsilon } = hyperparameters;
    const size = stepSize(hyperparameters, step);
    weight.forEach((w, i) => {
      const g = gradient[i]!;
      firstMoment![i] += (1 - beta1) * (g - firstMoment![i]!);
      secondMoment![i] += (1 - beta2) * (g * g - secondMoment![i]!);
      weight[i] = w - (size * firstMoment![i]!) / (Math.sqrt(secondMoment![i]!) + epsilon);
    });
  },
});
