// Optimiser update kernels against their float64 reference, over several steps (so that
// the state and, for Adam, the bias correction are exercised).
import { describe, expect, it } from 'vitest';
import { updateRules, type UpdateRuleName } from '../../src/kernels/registry.ts';
import type { UpdateRule } from '../../src/kernels/update-rule.ts';
import { Random } from '../../src/random.ts';
import { relativeError, FLOAT32_TOLERANCE } from '../../src/checks/check.ts';
import { testEngine } from '../support/engine.ts';
import { backward, reserveGradientHome } from '../../src/nn/autograd.ts';
import * as F from '../../src/nn/functional.ts';
import { Conv2d } from '../../src/nn/modules.ts';
import { optimizers, type Optimizer, type OptimizerName } from '../../src/nn/optimisers.ts';
import { notebookAutoencoder } from '../../src/experiments/notebook-autoencoder.ts';
import type { Tensor } from '../../src/backend/tensor.ts';

const engine = await testEngine();

/** One-line cases per update rule; typed against the registry. */
const hyperparameterCases: { readonly [K in UpdateRuleName]: readonly (typeof updateRules)[K]['defaults'][] } = {
  sgd: [updateRules.sgd.defaults, { learningRate: 0.05, momentum: 0.9 }],
  // The last case makes epsilon dominate, so where it sits (inside or outside the root) shows.
  rmsprop: [
    updateRules.rmsprop.defaults,
    { learningRate: 0.01, rho: 0.5, epsilon: 1e-4 },
    { learningRate: 0.01, rho: 0.9, epsilon: 0.5 },
  ],
  adam: [
    updateRules.adam.defaults,
    { learningRate: 0.01, beta1: 0.5, beta2: 0.9, epsilon: 1e-5 },
    { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 0.5 },
  ],
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
          engine!.scope(() =>
            rule.encode(engine!, gpuWeight, engine!.tensor(gradient, [size]), gpuState, hyperparameters, step),
          );
        }
        // Compare the change of the weights, not the weights: an update that is slightly wrong
        // is a large error in the change but a tiny one in the weight itself.
        const change = (values: ArrayLike<number>) => Array.from(values, (value, i) => value - initial[i]!);
        expect(relativeError(change(await gpuWeight.read()), change(weight))).toBeLessThan(FLOAT32_TOLERANCE);
        for (const [i, tensor] of gpuState.entries())
          expect(relativeError(await tensor.read(), state[i]!)).toBeLessThan(FLOAT32_TOLERANCE);
        // The weights moved, so the comparison above compared real updates.
        expect(relativeError(weight, initial)).toBeGreaterThan(1e-4);
        [gpuWeight, ...gpuState].forEach((tensor) => tensor.dispose());
      });
    });
  }
});

/** Two models of the same seed: a loss function over the parameters. */
type ModelCase = {
  name: string;
  build: (seed: number) => { parameters: Tensor[]; loss: (input: Tensor) => Tensor };
  input: readonly number[];
};

const modelCases: ModelCase[] = [
  {
    name: 'the notebook autoencoder',
    build: (seed) => {
      const model = notebookAutoencoder(engine!, seed);
      return { parameters: model.parameters(), loss: (input) => F.binaryCrossEntropy(model.forward(input), input) };
    },
    input: [2, 3, 16, 16],
  },
  {
    // One weight applied twice: its gradient's second contribution is added to the first, in its home.
    name: 'a conv applied twice (a shared weight)',
    build: (seed) => {
      const conv = new Conv2d(engine!, { inChannels: 3, outChannels: 3, kernelSize: 3, random: new Random(seed) });
      return {
        parameters: [conv.weight, conv.bias!],
        loss: (input) => F.meanSquaredError(conv.forward(conv.forward(input)), input),
      };
    },
    input: [2, 3, 8, 8],
  },
];

describe.skipIf(!engine)('optimisers over every parameter at once', () => {
  for (const name of Object.keys(optimizers) as OptimizerName[]) {
    for (const modelCase of modelCases) {
      it(`${name}, ${modelCase.name}: one update dispatch a step, the same weights as one per parameter`, async () => {
        const e = engine!;
        const input = e
          .tensor(
            new Random(5).values(
              modelCase.input.reduce((a, b) => a * b),
              0,
              1,
            ),
            modelCase.input,
          )
          .keep();
        const runs = [0, 1].map(() => modelCase.build(11));
        const initial = await Promise.all(runs[0]!.parameters.map((parameter) => parameter.read()));
        const gathered = optimizers[name](e, runs[0]!.parameters) as Optimizer;
        const perParameter = optimizers[name](e, runs[1]!.parameters) as Optimizer;
        // Without a reserved home, the gradients land in tensors of their own.
        runs[1]!.parameters.forEach((parameter) => reserveGradientHome(parameter, null));
        const updateDispatches: number[][] = [[], []];
        for (let step = 0; step < 3; step++) {
          [gathered, perParameter].forEach((optimizer, r) =>
            e.scope(() => {
              backward(runs[r]!.loss(input));
              const before = e.statistics().dispatches;
              optimizer.update();
              updateDispatches[r]!.push(e.statistics().dispatches - before);
              runs[r]!.parameters.forEach((parameter) => {
                parameter.grad?.dispose();
                parameter.grad = null;
              });
            }),
          );
        }
        expect(gathered.updates).toEqual({ gathered: 3, perParameter: 0 });
        expect(perParameter.updates).toEqual({ gathered: 0, perParameter: 3 });
        expect(updateDispatches).toEqual([[1, 1, 1], Array(3).fill(runs[1]!.parameters.length)]);
        for (const [i, parameter] of runs[0]!.parameters.entries()) {
          const values = await parameter.read();
          expect(Array.from(values)).toEqual(Array.from(await runs[1]!.parameters[i]!.read()));
          expect(relativeError(values, initial[i]!)).toBeGreaterThan(1e-6);
        }
        for (const [i, tensors] of gathered.state.entries()) {
          for (const [j, tensor] of tensors.entries())
            expect(Array.from(await tensor.read())).toEqual(Array.from(await perParameter.state[i]![j]!.read()));
        }
        [gathered, perParameter].forEach((optimizer) => optimizer.dispose());
        [input, ...runs.flatMap((run) => run.parameters)].forEach((tensor) => tensor.dispose());
      });
    }
  }

  it('updates per parameter where one has no gradient, leaving that one as it was', async () => {
    const e = engine!;
    const used = new Conv2d(e, { inChannels: 3, outChannels: 4, kernelSize: 3, random: new Random(1) });
    const unused = new Conv2d(e, { inChannels: 4, outChannels: 4, kernelSize: 3, random: new Random(2) });
    const parameters = [used.weight, used.bias!, unused.weight, unused.bias!];
    const optimizer = optimizers.rmsprop(e, parameters);
    const input = e.tensor(new Random(3).values(2 * 3 * 8 * 8, 0, 1), [2, 3, 8, 8]).keep();
    const zeroGrad = () =>
      parameters.forEach((parameter) => {
        parameter.grad?.dispose();
        parameter.grad = null;
      });
    // A step where both convs have gradients leaves the second's in its home; the next step's
    // update must not apply it again.
    e.scope(() => {
      backward(F.mean(unused.forward(used.forward(input))));
      optimizer.update();
      zeroGrad();
    });
    const initial = await Promise.all(parameters.map((parameter) => parameter.read()));
    e.scope(() => {
      backward(F.mean(used.forward(input)));
      optimizer.update();
      zeroGrad();
    });
    expect(optimizer.updates).toEqual({ gathered: 1, perParameter: 1 });
    const after = await Promise.all(parameters.map((parameter) => parameter.read()));
    expect(relativeError(after[0]!, initial[0]!)).toBeGreaterThan(1e-6);
    expect(relativeError(after[1]!, initial[1]!)).toBeGreaterThan(1e-6);
    expect(Array.from(after[2]!)).toEqual(Array.from(initial[2]!));
    expect(Array.from(after[3]!)).toEqual(Array.from(initial[3]!));
    optimizer.dispose();
    [input, ...parameters].forEach((tensor) => tensor.dispose());
  });

  it('takes a new learning rate between updates, keeping its state (the lab changes it while training)', async () => {
    const e = engine!;
    const conv = new Conv2d(e, { inChannels: 2, outChannels: 3, kernelSize: 3, random: new Random(4) });
    const parameters = [conv.weight, conv.bias!];
    const optimizer = optimizers.rmsprop(e, parameters, { learningRate: 0.01 });
    const input = e.tensor(new Random(5).values(2 * 2 * 6 * 6, 0, 1), [2, 2, 6, 6]).keep();
    const step = () =>
      e.scope(() => {
        backward(F.mean(conv.forward(input)));
        optimizer.update();
        conv.zeroGrad();
      });
    step();
    const before = await Promise.all(parameters.map((parameter) => parameter.read()));
    // Learning rate 0: the next update moves nothing, yet it runs (its state moves on).
    optimizer.setHyperparameters({ learningRate: 0 });
    step();
    const still = await Promise.all(parameters.map((parameter) => parameter.read()));
    still.forEach((values, i) => expect(Array.from(values)).toEqual(Array.from(before[i]!)));
    optimizer.setHyperparameters({ learningRate: 0.01 });
    step();
    const moved = await Promise.all(parameters.map((parameter) => parameter.read()));
    expect(relativeError(moved[0]!, before[0]!)).toBeGreaterThan(1e-6);
    expect(optimizer.hyperparameters).toMatchObject({ learningRate: 0.01, rho: 0.9 });
    optimizer.dispose();
    [input, ...parameters].forEach((tensor) => tensor.dispose());
  });

  it('changes its rule between updates as a new optimiser would start: the weights stay, the state starts at zero', async () => {
    const e = engine!;
    const input = e.tensor(new Random(5).values(2 * 2 * 6 * 6, 0, 1), [2, 2, 6, 6]).keep();
    const trained = async (change: (conv: Conv2d<Tensor>, optimizer: Optimizer) => Optimizer) => {
      const conv = new Conv2d(e, { inChannels: 2, outChannels: 3, kernelSize: 3, random: new Random(4) });
      let optimizer: Optimizer = optimizers.rmsprop(e, [conv.weight, conv.bias!], { learningRate: 0.01 });
      const step = () =>
        e.scope(() => {
          backward(F.mean(conv.forward(input)));
          optimizer.update();
          conv.zeroGrad();
        });
      step();
      step();
      optimizer = change(conv, optimizer);
      step();
      step();
      const values = await Promise.all([conv.weight, conv.bias!].map((parameter) => parameter.read()));
      expect(optimizer.updates.perParameter).toBe(0);
      optimizer.dispose();
      [conv.weight, conv.bias!].forEach((tensor) => tensor.dispose());
      return { values, step: optimizer.step, name: optimizer.name };
    };
    const adam = { ...updateRules.adam.defaults, learningRate: 0.01 };
    const changed = await trained((_, optimizer) => optimizer.changeRule(updateRules.adam, adam));
    const fresh = await trained((conv, optimizer) => {
      optimizer.dispose();
      return optimizers.adam(e, [conv.weight, conv.bias!], adam);
    });
    const kept = await trained((_, optimizer) => optimizer);
    expect(changed.name).toBe('adam');
    expect(changed.step).toBe(2);
    changed.values.forEach((values, i) =>
      expect(relativeError(values, fresh.values[i]!)).toBeLessThan(FLOAT32_TOLERANCE),
    );
    // and Adam's steps are not RMSprop's: the change took effect.
    expect(relativeError(changed.values[0]!, kept.values[0]!)).toBeGreaterThan(1e-4);
    input.dispose();
  });

  it('refuses a parameter listed twice', () => {
    const conv = new Conv2d(engine!, { inChannels: 1, outChannels: 1, kernelSize: 3, random: new Random(1) });
    expect(() => optimizers.sgd(engine!, [conv.weight, conv.weight])).toThrow(/listed twice/);
    [conv.weight, conv.bias!].forEach((tensor) => tensor.dispose());
  });
});
