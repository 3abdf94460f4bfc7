import { defineOp } from './op.ts';
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import { elementwiseInvocations } from '../backend/elementwise.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

export interface ScaleAttributes {
  readonly factor: number;
}

/** Encodes output = factor * input into a new tensor. */
export function scaled(engine: Engine, input: Tensor, factor: number, label = 'scale'): Tensor {
  const output = engine.empty(input.shape, label);
  engine.dispatch(wgsl.scale, 'scale', {
    bindings: { input, output },
    params: { count: output.size, factor },
    invocations: elementwiseInvocations(output.size),
  });
  return output;
}

// y = c x;  dL/dx = c dL/dy.
export const scale: Op<ScaleAttributes> = defineOp<ScaleAttributes>({
  name: 'scale',
  inputNames: ['input'],
  differentiable: [true],
  outputShape: ([shape]) => shape!,
  forward(engine, [input], { factor }, output) {
    engine.dispatch(wgsl.scale, 'scale', {
      bindings: { input: input!, output },
      params: { count: output.size, factor },
      invocations: elementwiseInvocations(output.size),
    });
  },
  backward: (engine, { gradOutput, attributes }) => [scaled(engine, gradOutput, attributes.factor, 'scale gradient')],
  reference: {
    forward: ([x], { factor }) => x!.data.map((v) => factor * v),
    backward: ({ gradOutput, attributes }) => [gradOutput.data.map((g) => attributes.factor * g)],
  },
});
