import { defineOp, type Op } from './op.ts';
import { formatShape, sizeOf } from '../shapes.ts';
import { AelabError } from '../errors.ts';
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import { wgsl } from '#wgsl/kernels';

const ELEMENTS_PER_WORKGROUP = 2048; // sum.wgsl: 256 invocations x 8 elements

/** Encodes output[0] = scale * sum(input) as a tree of sum_partial passes. */
export function encodeSum(engine: Engine, input: Tensor, output: Tensor, scale: number): void {
  let source = input;
  let count = input.size;
  for (;;) {
    const groups = Math.ceil(count / ELEMENTS_PER_WORKGROUP);
    const last = groups === 1;
    const target = last ? output : engine.empty([groups], 'partial sums');
    engine.dispatch(wgsl.sum, 'sum_partial', {
      bindings: { input: source, output: target },
      params: { count, columns: 1, scale: last ? scale : 1, rowLength: 1, firstColumn: 0, splitColumn: 0 },
      groups,
    });
    if (source !== input) source.dispose();
    if (last) return;
    source = target;
    count = groups;
  }
}

/**
 * Encodes scale * the sums over the rows of partials[row, firstColumn + column] into one output
 * (its size columns) or two (the first's size columns, then the second's), in one dispatch.
 */
export function encodeSumRows(
  engine: Engine,
  partials: Tensor,
  firstColumn: number,
  outputs: readonly [Tensor] | readonly [Tensor, Tensor],
  scale = 1,
): void {
  const rowLength = partials.shape[partials.shape.length - 1]!;
  const [output, outputTail] = outputs;
  const columns = output.size + (outputTail?.size ?? 0);
  if (partials.shape.length !== 2 || firstColumn + columns > rowLength) {
    throw new AelabError(
      `sum_rows: columns ${firstColumn}..${firstColumn + columns} do not fit rows of partials ${formatShape(partials.shape)}`,
    );
  }
  const params = { count: partials.size, columns, scale, rowLength, firstColumn, splitColumn: output.size };
  if (outputTail)
    engine.dispatch(wgsl.sum, 'sum_rows_pair', {
      bindings: { input: partials, output, outputTail },
      params,
      invocations: columns,
    });
  else engine.dispatch(wgsl.sum, 'sum_rows', { bindings: { input: partials, output }, params, invocations: columns });
}

function broadcastGradient(engine: Engine, gradOutput: Tensor, input: Tensor, scale: number): Tensor {
  const gradInput = engine.empty(input.shape, 'sum gradient');
  engine.dispatch(wgsl.sum, 'broadcast', {
    bindings: { input: gradOutput, output: gradInput },
    params: { count: gradInput.size, columns: 1, scale, rowLength: 1, firstColumn: 0, splitColumn: 0 },
    invocations: gradInput.size,
  });
  return gradInput;
}

/** sum (factor 1) and mean (factor 1/n) of all elements, a scalar of shape []. */
function reduction(name: string, factorFor: (count: number) => number): Op<Record<string, never>> {
  return defineOp<Record<string, never>>({
    name,
    inputNames: ['input'],
    differentiable: [true],
    outputShape: () => [],
    forward(engine, [input], _attributes, output) {
      encodeSum(engine, input!, output, factorFor(input!.size));
    },
    // y = c * sum_i x_i;  dL/dx_i = c * dL/dy for every i.
    backward: (engine, { inputs: [input], gradOutput }) => [
      broadcastGradient(engine, gradOutput, input!, factorFor(input!.size)),
    ],
    reference: {
      forward: ([x]) => Float64Array.of(x!.data.reduce((total, v) => total + v, 0) * factorFor(x!.data.length)),
      backward: ({ inputs: [x], gradOutput }) => [
        new Float64Array(sizeOf(x!.shape)).fill(gradOutput.data[0]! * factorFor(x!.data.length)),
      ],
    },
  });
}

export const sum: Op<Record<string, never>> = reduction('sum', () => 1);
export const mean: Op<Record<string, never>> = reduction('mean', (count) => 1 / count);
