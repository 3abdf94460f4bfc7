import { defineUpdateRule } from './update-rule.ts';
import { elementwiseInvocations } from '../backend/elementwise.ts';
import { wgsl } from '#wgsl/kernels';
import type { UpdateRule } from './update-rule.ts';

export interface RmspropHyperparameters {
  readonly learningRate: number;
  readonly rho: number;
  readonly epsilon: number;
}

// Keras RMSprop: s = rho s + (1 - rho) g^2;  w -= lr g / sqrt(s + epsilon).
export const rmsprop: UpdateRule<RmspropHyperparameters> = defineUpdateRule<RmspropHyperparameters>({
  name: 'rmsprop',
  stateNames: ['meanSquare'],
  defaults: { learningRate: 1e-3, rho: 0.9, epsilon: 1e-7 },
  encode(engine, weight, gradient, [meanSquare], { learningRate, rho, epsilon }) {
    engine.dispatch(wgsl.rmsprop, 'update', {
      bindings: { weight, gradient, meanSquare: meanSquare! },
      params: { count: weight.size, learningRate, rho, epsilon },
      invocations: elementwiseInvocations(weight.size),
    });
  },
  reference(weight, gradient, [meanSquare], { learningRate, rho, epsilon }) {
    weight.forEach((w, i) => {
      const g = gradient[i]!;
      meanSquare![i] = rho * meanSquare![i]! + (1 - rho) * g * g;
      weight[i] = w - (learningRate * g) / Math.sqrt(meanSquare![i]! + epsilon);
    });
  },
});
