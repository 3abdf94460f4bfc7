// The tie semantics each op defines in a comment, checked on the GPU and in the reference.
import { describe, expect, it } from 'vitest';
import { ops } from '../../src/kernels/registry.ts';
import type { Op } from '../../src/kernels/op.ts';
import { testEngine } from '../support/engine.ts';
import { gpuBackend } from '../../src/nn/gpu-backend.ts';

const engine = await testEngine();

/** Runs op forward then backward with the given upstream gradient; returns [gpu, reference] input gradients. */
async function gradients<A>(
  op: Op<A>,
  inputs: { data: number[]; shape: number[] }[],
  attributes: A,
  upstream: number[],
) {
  const host = inputs.map(({ data, shape }) => ({ data: Float64Array.from(data), shape }));
  const outputShape = op.outputShape(
    host.map((input) => input.shape),
    attributes,
  );
  const output = { shape: outputShape, data: op.reference.forward(host, attributes, outputShape) };
  const gradOutput = { shape: outputShape, data: Float64Array.from(upstream) };
  const needsGradient = op.differentiable.slice(0, inputs.length);
  const reference = op.reference.backward({ inputs: host, output, attributes, gradOutput, needsGradient })[0]!;
  const gpu = await engine!.scopeAsync(async () => {
    const tensors = host.map((input) => engine!.tensor(input.data, input.shape));
    const result = gpuBackend(engine!).forward(op, tensors, attributes);
    const [gradient] = gpuBackend(engine!).backward(op, {
      inputs: tensors,
      output: result,
      attributes,
      gradOutput: engine!.tensor(upstream, outputShape),
      needsGradient,
    });
    return gradient!.read();
  });
  return [Array.from(gpu), Array.from(reference)];
}

describe.skipIf(!engine)('tie rules', () => {
  it('relu: the gradient at exactly 0 is 0', async () => {
    const [gpu, reference] = await gradients(ops.relu, [{ data: [-1, 0, 1, 0], shape: [4] }], {}, [5, 6, 7, 8]);
    expect(gpu).toEqual([0, 0, 7, 0]);
    expect(reference).toEqual([0, 0, 7, 0]);
  });

  it('conv2d with a fused relu: an output of exactly 0 passes no gradient, as relu', async () => {
    // 1x1 kernel of weight 1 and bias 0: z = x = [-1, 0, 1, 0], so y = [0, 0, 1, 0].
    const inputs = [
      { data: [-1, 0, 1, 0], shape: [1, 1, 1, 4] },
      { data: [1], shape: [1, 1, 1, 1] },
      { data: [0], shape: [1] },
    ];
    const [gpu, reference] = await gradients(ops.conv2d, inputs, { activation: 'relu' }, [5, 6, 7, 8]);
    expect(gpu).toEqual([0, 0, 7, 0]);
    expect(reference).toEqual([0, 0, 7, 0]);
  });

  it('maxPool2d: the first maximum in row-major window order takes the whole gradient', async () => {
    // One 2x2 window, all four equal: only the top-left gets it.
    const [gpu, reference] = await gradients(
      ops.maxPool2d,
      [{ data: [3, 3, 3, 3], shape: [1, 1, 2, 2] }],
      { poolSize: 2 },
      [1.5],
    );
    expect(gpu).toEqual([1.5, 0, 0, 0]);
    expect(reference).toEqual([1.5, 0, 0, 0]);
  });

  it('maxPool2d: a tie between the second row and the first favours the first row', async () => {
    // Window [[1, 2], [2, 0]]: the 2 at (0, 1) comes first in row-major order.
    const [gpu, reference] = await gradients(
      ops.maxPool2d,
      [{ data: [1, 2, 2, 0], shape: [1, 1, 2, 2] }],
      { poolSize: 2 },
      [1],
    );
    expect(gpu).toEqual([0, 1, 0, 0]);
    expect(reference).toEqual([0, 1, 0, 0]);
  });

  it('maxPool2d on rows a whole number of quads wide (its vec4 kernels): the same tie rules, with and without relu', async () => {
    // Four 2x2 windows side by side: all equal (the top-left takes it), the second row tying
    // the first (the first row's), the bottom-left tying the bottom-right, and a maximum below.
    const linear = [3, 3, 1, 2, 0, 1, 4, 0, /* second row */ 3, 3, 2, 0, 2, 2, 5, 5];
    const [gpu, reference] = await gradients(
      ops.maxPool2d,
      [{ data: linear, shape: [1, 1, 2, 8] }],
      { poolSize: 2 },
      [1, 2, 3, 4],
    );
    const expected = [1, 0, 0, 2, 0, 0, 0, 0, /* second row */ 0, 0, 0, 0, 3, 0, 4, 0];
    expect(gpu).toEqual(expected);
    expect(reference).toEqual(expected);
    // Under relu: maxima 0 and -2 pass nothing; 2 at the top-left and bottom-right passes at the first; a 0 maximum tied three times passes nothing.
    const rectified = [-1, 0, -3, -2, 2, 1, 0, -1, /* second row */ -4, -5, -6, -7, 0, 2, 0, 0];
    const [gpuRelu, referenceRelu] = await gradients(
      ops.maxPool2d,
      [{ data: rectified, shape: [1, 1, 2, 8] }],
      { poolSize: 2, activation: 'relu' },
      [5, 6, 7, 8],
    );
    const expectedRelu = [0, 0, 0, 0, 7, 0, 0, 0, /* second row */ 0, 0, 0, 0, 0, 0, 0, 0];
    expect(gpuRelu).toEqual(expectedRelu);
    expect(referenceRelu).toEqual(expectedRelu);
  });

  it('maxPool2d: overlapping windows that share an arg-max add their gradients', async () => {
    // 1x3 input, pool 2 stride 1: both windows pick the middle 9.
    const [gpu, reference] = await gradients(
      ops.maxPool2d,
      [{ data: [1, 9, 2, 0, 0, 0], shape: [1, 1, 2, 3] }],
      { poolSize: 2, stride: 1 },
      [2, 3],
    );
    expect(gpu).toEqual([0, 5, 0, 0, 0, 0]);
    expect(reference).toEqual([0, 5, 0, 0, 0, 0]);
  });

  it('maxPool2d: padding never wins, even over negative values', async () => {
    const [gpu, reference] = await gradients(
      ops.maxPool2d,
      [{ data: [-5, -7, -6, -8], shape: [1, 1, 1, 4] }],
      { poolSize: 3, padding: 'same' },
      [1, 1],
    );
    // same: out = ceil(4 / 3) = 2, padding total 2 -> 1 before: windows [pad, -5, -7] and [-6, -8, pad].
    expect(gpu).toEqual([1, 0, 1, 0]);
    expect(reference).toEqual([1, 0, 1, 0]);
  });

  it('maxPool2d with relu: a window whose maximum is 0 or below outputs 0 and passes no gradient, as relu', async () => {
    // Three 2x2 windows: maxima 0 (no gradient at exactly 0), -2, and 2 twice (the first takes it).
    const data = [-1, 0, -3, -2, 2, 1, /* second row */ -4, -5, -6, -7, 0, 2];
    const inputs = [{ data, shape: [1, 1, 2, 6] }];
    const attributes = { poolSize: 2, activation: 'relu' } as const;
    const [gpu, reference] = await gradients(ops.maxPool2d, inputs, attributes, [5, 6, 7]);
    const expected = [0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0];
    expect(gpu).toEqual(expected);
    expect(reference).toEqual(expected);
    const output = ops.maxPool2d.reference.forward(
      [{ data: Float64Array.from(data), shape: [1, 1, 2, 6] }],
      attributes,
      [1, 1, 1, 3],
    );
    expect(Array.from(output)).toEqual([0, 0, 2]);
  });

  it('meanAbsoluteError: the gradient at prediction = target is 0', async () => {
    const [gpu, reference] = await gradients(
      ops.meanAbsoluteError,
      [
        { data: [1, 2], shape: [2] },
        { data: [1, 0], shape: [2] },
      ],
      {},
      [2],
    );
    expect(gpu).toEqual([0, 1]);
    expect(reference).toEqual([0, 1]);
  });

  it('binaryCrossEntropy: predictions clipped at 0 or 1 get no gradient; the loss stays finite', async () => {
    const [gpu, reference] = await gradients(
      ops.binaryCrossEntropy,
      [
        { data: [0, 1, 0.5], shape: [3] },
        { data: [1, 0, 1], shape: [3] },
      ],
      {},
      [3],
    );
    expect(gpu[0]).toBe(0);
    expect(gpu[1]).toBe(0);
    expect(gpu[2]).toBeCloseTo(-2, 5); // (0.5 - 1) / (0.25) / 3 * 3
    expect(reference).toEqual([0, 0, -2]);
    const loss = (prediction: number, target: number) =>
      engine!.scopeAsync(
        async () =>
          (
            await gpuBackend(engine!)
              .forward(ops.binaryCrossEntropy, [engine!.tensor([prediction], [1]), engine!.tensor([target], [1])], {})
              .read()
          )[0]!,
      );
    expect(await loss(0, 1)).toBeCloseTo(-Math.log(1e-7), 3);
    // float32 rounds 1 - 1e-7 to 1 - 2^-23 (as Keras does in float32): -log(2^-23).
    expect(await loss(1, 0)).toBeCloseTo(23 * Math.log(2), 3);
  });
});
