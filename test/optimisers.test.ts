// Optimiser update kernels against their float64 reference, over several steps (so that
// the state and, for Adam, the bias correction are exercised).
import { describe, expect, it } from 'vitest';
import { updateRules, type UpdateRuleName } from '../src/kernels/registry.ts';
import type { UpdateRule } from '../src/kernels/update-rule.ts';
import { Random } from '../src/random.ts';
import { relativeError, FLOAT32_TOLERANCE } from './parity/check.ts';
import { testEngine } from './support/engine.ts';

const engine = await testEngine();

/** One-line cases per update rule; typed against the registry. */
const hyperparameterCases: { readonly [K in UpdateRuleName]: readonly (typeof updateRules)[K]['defaults'][] } = {
  sgd: [updateRules.sgd.defaults, { learningRate: 0.05, momentum: 0.9 }],
  // The last case makes epsilon dominate, so where it sits (inside or outside the root) shows.
  rmsprop: [updateRules.rmsprop.defaults, { learningRate: 0.01, rho: 0.5, epsilon: 1e-4 }, { learningRate: 0.01, rho: 0.9, epsilon: 0.5 }],
  adam: [updateRules.adam.defaults, { learningRate: 0.01, beta1: 0.5, beta2: 0.9, epsilon: 1e-5 }, { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 0.5 }],
};

describe.skipIf(!engine)('optimiser updates (GPU vs float64 reference)', () => {
  for (const name of Object.keys(updateRules) as UpdateRuleName[]) {
    const rule = updateRules[name] as UpdateRule<unknown>;
    hyperparameterCases[name].forEach((hyperparameters, caseIndex) => {
      it(`${name} ${JSON.stringify(hyperparameters)}`, async () => {
        const random = new Random(77 + caseIndex);
        const size = 333;
        const weight = random.values(size);
        const initial = Float64Array.from(weight);
        const state = rule.stateNames.map(() => new Float64Array(size));
        const gpuWeight = engine!.tensor(weight, [size]).keep();
        const gpuState = rule.stateNames.map((stateName) => engine!.zeros([size], stateName).keep());
        for (let step = 1; step <= 5; step++) {
          const gradient = random.values(size);
          rule.reference(weight, gradient, state, hyperparameters, step);
          engine!.scope(() => rule.encode(engine!, gpuWeight, engine!.tensor(gradient, [size]), gpuState, hyperparameters, step));
        }
        // Compare the change of the weights, not the weights: an update that is slightly wrong
        // is a large error in the change but a tiny one in the weight itself.
        const change = (values: ArrayLike<number>) => Array.from(values, (value, i) => value - initial[i]!);
        expect(relativeError(change(await gpuWeight.read()), change(weight))).toBeLessThan(FLOAT32_TOLERANCE);
        for (const [i, tensor] of gpuState.entries()) expect(relativeError(await tensor.read(), state[i]!)).toBeLessThan(FLOAT32_TOLERANCE);
        // The weights moved, so the comparison above compared real updates.
        expect(relativeError(weight, initial)).toBeGreaterThan(1e-4);
        [gpuWeight, ...gpuState].forEach((tensor) => tensor.dispose());
      });
    });
  }
});
