// The checks themselves must be able to fail: a single bad element, a NaN, a gradient wrong
// only where it is nonzero (a max-pool 4's window maxima, 1 element in 16), and a gradient
// that is zero everywhere each make them report a failure.
import { describe, expect, it } from 'vitest';
import { ops } from '../../src/kernels/registry.ts';
import type { HostTensor, Op } from '../../src/kernels/op.ts';
import {
  checkOp,
  dot,
  finiteDifferenceError,
  failures,
  FLOAT32_TOLERANCE,
  GRADIENT_CHECK_TOLERANCE,
  relativeError,
  sampleCoordinates,
  worstElement,
} from '../../src/checks/check.ts';
import { Random } from '../../src/random.ts';
import { testEngine } from '../support/engine.ts';

const engine = await testEngine();

describe('the comparison helpers', () => {
  it('the per-element bound fails one element wrong by 7% of the RMS of [32, 64, 16, 16], which the norm passes', () => {
    const reference = new Random(1).values(32 * 64 * 16 * 16);
    const rms = Math.sqrt(dot(reference, reference) / reference.length);
    const gpu = Float64Array.from(reference);
    gpu[12345] = gpu[12345]! + 0.07 * rms;
    expect(relativeError(gpu, reference)).toBeLessThan(FLOAT32_TOLERANCE);
    expect(worstElement(gpu, reference)).toEqual({ index: 12345, ratio: expect.any(Number) });
    expect(worstElement(gpu, reference).ratio).toBeGreaterThan(1);
    expect(worstElement(reference, reference).ratio).toBe(0);
  });

  it('a NaN fails both the norm and the per-element bound', () => {
    const reference = Float64Array.from([1, 2, 3]);
    expect(relativeError([1, NaN, 3], reference)).toBe(Infinity);
    expect(worstElement([1, NaN, 3], reference)).toEqual({ index: 1, ratio: Infinity });
  });

  it('samples distinct coordinates, half of them where the gradient is nonzero', () => {
    const gradient = Float64Array.from({ length: 256 }, (_, i) => (i % 16 === 0 ? 1 : 0));
    const sampled = sampleCoordinates(gradient, 24, new Random(3));
    expect(new Set(sampled).size).toBe(24);
    expect(sampled.filter((i) => gradient[i] !== 0)).toHaveLength(12);
    expect(sampleCoordinates(Float64Array.from([0, 5, 0]), 24, new Random(3)).sort()).toEqual([0, 1, 2]);
  });

  it('finite differences fail a max-pool 4 gradient that is wrong only where it is nonzero', () => {
    const pool = ops.maxPool2d;
    const attributes = { poolSize: 4 };
    const random = new Random(9);
    const input: HostTensor = { shape: [1, 2, 8, 8], data: random.values(128) };
    const outputShape = pool.outputShape([input.shape], attributes);
    const output: HostTensor = { shape: outputShape, data: pool.reference.forward([input], attributes, outputShape) };
    const gradOutput: HostTensor = { shape: outputShape, data: random.values(output.data.length) };
    const [gradient] = pool.reference.backward({
      inputs: [input],
      output,
      attributes,
      gradOutput,
      needsGradient: [true],
    });
    expect(gradient!.filter((value) => value !== 0)).toHaveLength(8); // one winner per 4x4 window
    const objective = () => dot(pool.reference.forward([input], attributes, outputShape), gradOutput.data);
    expect(finiteDifferenceError(input.data as Float64Array, gradient!, objective, new Random(1))).toBeLessThan(
      GRADIENT_CHECK_TOLERANCE,
    );
    const doubled = gradient!.map((value) => 2 * value);
    expect(finiteDifferenceError(input.data as Float64Array, doubled, objective, new Random(1))).toBeGreaterThan(0.3);
    // Coordinates alone, drawn uniformly, would mostly land where both sides are zero.
    const wrongAtOneWinner = Float64Array.from(gradient!);
    wrongAtOneWinner[gradient!.findIndex((value) => value !== 0)]! *= -1;
    expect(
      finiteDifferenceError(input.data as Float64Array, wrongAtOneWinner, objective, new Random(1)),
    ).toBeGreaterThan(GRADIENT_CHECK_TOLERANCE);
  });
});

describe.skipIf(!engine)('the op check', () => {
  it('fails a case whose gradient is zero everywhere unless the case says it must be', async () => {
    const relu = ops.relu as Op<unknown>;
    const negative = { inputs: [{ shape: [2, 3, 4, 5], low: -1, high: -0.1 }], attributes: {} };
    expect(failures(relu, await checkOp(engine!, relu, negative, 1)).join('\n')).toMatch(
      /backward to input: the reference gradient is zero everywhere/,
    );
    expect(failures(relu, await checkOp(engine!, relu, { ...negative, zeroGradient: true }, 1))).toEqual([]);
  });

  it('fails a backward wrong in one element, and a backward that returns no gradient', async () => {
    const scale = ops.scale as Op<{ factor: number }>;
    const oneWrong: Op<{ factor: number }> = {
      ...scale,
      reference: {
        ...scale.reference,
        backward: (context) =>
          scale.reference
            .backward(context)
            .map((gradient) => gradient && gradient.map((value, i) => (i === 7 ? value * 1.05 : value))),
      },
    };
    const spec = { inputs: [{ shape: [64, 64] }], attributes: { factor: 2 } };
    expect(failures(oneWrong as Op<unknown>, await checkOp(engine!, oneWrong, spec, 1)).join('\n')).toMatch(
      /backward to input: (relative error [0-9.e-]+ >= 0.0001|element 7 differs)/,
    );
    const none: Op<{ factor: number }> = { ...scale, backward: () => [null] };
    expect(failures(none as Op<unknown>, await checkOp(engine!, none, spec, 1)).join('\n')).toMatch(
      /backward to input: relative error Infinity/,
    );
  });
});
