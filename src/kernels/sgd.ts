import { defineUpdateRule } from './update-rule.ts';
import { elementwiseInvocations } from '../backend/elementwise.ts';
import { wgsl } from '#wgsl/kernels';
import type { UpdateRule } from './update-rule.ts';

export interface SgdHyperparameters {
  readonly learningRate: number;
  readonly momentum: number;
}

// Keras SGD: velocity = momentum * velocity - lr * g;  w += velocity.
export const sgd: UpdateRule<SgdHyperparameters> = defineUpdateRule<SgdHyperparameters>({
  name: 'sgd',
  stateNames: ['velocity'],
  defaults: { learningRate: 0.01, momentum: 0 },
  encode(engine, weight, gradient, [velocity], { learningRate, momentum }) {
    engine.dispatch(wgsl.sgd, 'update', {
      bindings: { weight, gradient, velocity: velocity! },
      params: { count: weight.size, learningRate, momentum },
      invocations: elementwiseInvocations(weight.size),
    });
  },
  reference(weight, gradient, [velocity], { learningRate, momentum }) {
    weight.forEach((w, i) => {
      velocity![i] = momentum * velocity![i]! - learningRate * gradient[i]!;
      weight[i] = w + velocity![i]!;
    });
  },
});
