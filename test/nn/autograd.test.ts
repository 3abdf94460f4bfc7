// The tape: accumulation, no-grad mode, release after backward, scalar seeding; on the GPU
// and on the float64 reference backend through the same code.
import { describe, expect, it } from 'vitest';
import { backward, noGrad } from '../../src/nn/autograd.ts';
import * as F from '../../src/nn/functional.ts';
import { ReferenceEngine } from '../../src/nn/reference-backend.ts';
import { AelabError } from '../../src/errors.ts';
import { testEngine } from '../support/engine.ts';
import { Random } from '../../src/random.ts';
import { relativeError, FLOAT32_TOLERANCE } from '../../src/checks/check.ts';

const engine = await testEngine();

describe('tape on the reference backend', () => {
  const reference = new ReferenceEngine();

  it('accumulates the gradients of a tensor used several times', () => {
    // L = sum(x * x + x)  =>  dL/dx = 2x + 1
    const x = reference.tensor([1.5, -2, 3], [3]);
    x.requiresGrad = true;
    const loss = F.sum(F.add(F.multiply(x, x), x));
    backward(loss);
    expect(Array.from(x.grad!.data)).toEqual([4, -3, 7]);
  });

  it('accumulates across backward calls until zeroed (leaves keep their gradient)', () => {
    const x = reference.tensor([2], [1]);
    x.requiresGrad = true;
    backward(F.sum(F.scale(x, 3)));
    backward(F.sum(F.scale(x, 3)));
    expect(Array.from(x.grad!.data)).toEqual([6]);
  });

  it('records nothing in no-grad mode', () => {
    const x = reference.tensor([1, 2], [2]);
    x.requiresGrad = true;
    const y = noGrad(() => F.relu(x));
    expect(y.requiresGrad).toBe(false);
    expect(y.node).toBeNull();
  });

  it('releases the tape after backward', () => {
    const x = reference.tensor([1, 2], [2]);
    x.requiresGrad = true;
    const hidden = F.relu(x);
    const loss = F.mean(hidden);
    backward(loss);
    expect(loss.node).toBeNull();
    expect(hidden.node).toBeNull();
    expect(hidden.grad).toBeNull();
  });

  it('refuses an implicit gradient for a non-scalar and a tensor outside the tape', () => {
    const x = reference.tensor([1, 2], [2]);
    x.requiresGrad = true;
    expect(() => backward(F.relu(x))).toThrow(/implicit gradient only for a scalar/);
    expect(() => backward(reference.tensor([1], [1]))).toThrow(AelabError);
  });

  it('gives no gradient to a loss target', () => {
    const prediction = reference.tensor([0.2, 0.7], [2]);
    const target = reference.tensor([0, 1], [2]);
    prediction.requiresGrad = true;
    target.requiresGrad = true;
    backward(F.meanSquaredError(prediction, target));
    expect(prediction.grad).not.toBeNull();
    expect(target.grad).toBeNull();
  });

  it('takes binary cross-entropy of a sigmoid output from its logits, as Keras: a saturated wrong output keeps its gradient', () => {
    const logits = reference.tensor([30, -30, 0.5], [3]);
    logits.requiresGrad = true;
    const target = reference.tensor([0, 1, 1], [3]);
    const loss = F.binaryCrossEntropy(F.sigmoid(logits), target);
    // From the logits, l = max(x, 0) - x t + log(1 + e^-|x|): 30 for each saturated wrong
    // output, where the clipped probabilities would give -log(1e-7) = 16.1.
    const expected = (30 + Math.log1p(Math.exp(-30)) + 30 + Math.log1p(Math.exp(-30)) + Math.log1p(Math.exp(-0.5))) / 3;
    expect(loss.data[0]).toBeCloseTo(expected, 12);
    expect(noGrad(() => F.binaryCrossEntropy(F.sigmoid(logits), target)).data[0]).toBe(loss.data[0]);
    backward(loss);
    // dl/dx = sigmoid(x) - t, over the mean's 3 elements; the clipped loss would give 0, 0.
    const sigmoid = (x: number) => 1 / (1 + Math.exp(-x));
    [sigmoid(30) / 3, (sigmoid(-30) - 1) / 3, (sigmoid(0.5) - 1) / 3].forEach((gradient, i) =>
      expect(logits.grad!.data[i]).toBeCloseTo(gradient, 12),
    );
  });
});

describe.skipIf(!engine)('tape on the GPU', () => {
  it('accumulates a reused tensor with the accumulate kernel', async () => {
    const x = engine!.tensor([1.5, -2, 3], [3]).keep();
    x.requiresGrad = true;
    engine!.scope(() => backward(F.sum(F.add(F.multiply(x, x), x))));
    expect(Array.from(await x.grad!.read())).toEqual([4, -3, 7]);
    x.dispose();
  });

  it('takes binary cross-entropy of a sigmoid output from its logits while they live, else from the clipped probabilities', async () => {
    const logits = engine!.tensor([30, -30, 0.5], [3]).keep();
    logits.requiresGrad = true;
    const target = engine!.tensor([0, 1, 1], [3]).keep();
    const loss = await engine!.scopeAsync(async () => {
      const loss = F.binaryCrossEntropy(F.sigmoid(logits), target);
      const value = (await loss.read())[0]!;
      backward(loss);
      return value;
    });
    expect(loss).toBeCloseTo((60 + Math.log1p(Math.exp(-0.5))) / 3, 4);
    const gradient = await logits.grad!.read();
    [1 / 3, -1 / 3, (1 / (1 + Math.exp(-0.5)) - 1) / 3].forEach((expected, i) =>
      expect(gradient[i]).toBeCloseTo(expected, 6),
    );
    // A sigmoid output that outlived its logits: the loss falls back to the probabilities,
    // clipped to [1e-7, 1 - 1e-7] (1 - 2^-23 in float32), as binaryCrossEntropy alone computes it.
    const probabilities = engine!.scope(() => F.sigmoid(engine!.tensor([30, -30, 0.5], [3])).keep());
    const clipped = (await engine!.scopeAsync(() => F.binaryCrossEntropy(probabilities, target).read()))[0]!;
    expect(clipped).toBeCloseTo((23 * Math.log(2) - Math.log(1e-7) + Math.log1p(Math.exp(-0.5))) / 3, 3);
    for (const tensor of [logits, target, probabilities]) tensor.dispose();
  });

  it("gives a conv only the gradients asked for: its bias's alone, or its weight's alone (each from its own column of the shared partial sums)", async () => {
    const random = new Random(9);
    const [input, weight, bias] = [random.values(2 * 3 * 6 * 6), random.values(4 * 3 * 3 * 3), random.values(4)];
    const shapes = [[2, 3, 6, 6], [4, 3, 3, 3], [4]] as const;
    for (const wanted of [1, 2]) {
      const reference = new ReferenceEngine();
      const hostTensors = [input, weight, bias].map((values, i) => reference.tensor(values, shapes[i]!));
      const gpuTensors = [input, weight, bias].map((values, i) => engine!.tensor(values, shapes[i]!).keep());
      for (const tensors of [hostTensors, gpuTensors] as const) tensors[wanted]!.requiresGrad = true;
      backward(
        F.sum(F.conv2d(hostTensors[0]!, hostTensors[1]!, hostTensors[2]!, { padding: 'same', activation: 'relu' })),
      );
      engine!.scope(() =>
        backward(
          F.sum(F.conv2d(gpuTensors[0]!, gpuTensors[1]!, gpuTensors[2]!, { padding: 'same', activation: 'relu' })),
        ),
      );
      expect(relativeError(await gpuTensors[wanted]!.grad!.read(), hostTensors[wanted]!.grad!.data)).toBeLessThan(
        FLOAT32_TOLERANCE,
      );
      expect(gpuTensors[3 - wanted]!.grad).toBeNull();
      gpuTensors.forEach((tensor) => tensor.dispose());
    }
  });

  it('frees every intermediate: a training step in a scope leaves only parameters and their gradients', async () => {
    const weight = engine!
      .tensor(
        Array.from({ length: 4 * 3 * 3 * 3 }, (_, i) => Math.sin(i)),
        [4, 3, 3, 3],
      )
      .keep();
    weight.requiresGrad = true;
    const before = engine!.memory();
    for (let step = 0; step < 5; step++) {
      engine!.scope(() => {
        const input = engine!.tensor(
          Array.from({ length: 2 * 3 * 8 * 8 }, (_, i) => Math.cos(i + step)),
          [2, 3, 8, 8],
        );
        const output = F.sigmoid(F.conv2d(input, weight, null, { padding: 'same' }));
        backward(F.binaryCrossEntropy(output, engine!.full(output.shape, 0.5)));
      });
    }
    await engine!.synchronize();
    const after = engine!.memory();
    // The weight's gradient is the only new live tensor.
    expect(after.liveTensors).toBe(before.liveTensors + 1);
    expect(after.liveBytes).toBe(before.liveBytes + weight.size * 4);
    weight.dispose();
  });
});
