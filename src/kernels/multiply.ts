import { sameShapeOutput } from '../shapes.ts';
import { defineOp } from './op.ts';
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import { elementwiseInvocations } from '../backend/elementwise.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

function product(engine: Engine, left: Tensor, right: Tensor, output: Tensor): Tensor {
  engine.dispatch(wgsl.multiply, 'multiply', {
    bindings: { left, right, output },
    params: { count: output.size },
    invocations: elementwiseInvocations(output.size),
  });
  return output;
}

// z = a * b (elementwise);  dL/da = dL/dz * b,  dL/db = dL/dz * a.
export const multiply: Op<Record<string, never>> = defineOp<Record<string, never>>({
  name: 'multiply',
  inputNames: ['left', 'right'],
  differentiable: [true, true],
  outputShape: sameShapeOutput('multiply'),
  forward(engine, [left, right], _attributes, output) {
    product(engine, left!, right!, output);
  },
  backward: (engine, { inputs: [left, right], gradOutput, needsGradient }) => [
    needsGradient[0] ? product(engine, gradOutput, right!, engine.empty(left!.shape, 'multiply gradient')) : null,
    needsGradient[1] ? product(engine, gradOutput, left!, engine.empty(right!.shape, 'multiply gradient')) : null,
  ],
  reference: {
    forward: ([a, b]) => a!.data.map((v, i) => v * b!.data[i]!),
    backward: ({ inputs: [a, b], gradOutput }) => [
      gradOutput.data.map((g, i) => g * b!.data[i]!),
      gradOutput.data.map((g, i) => g * a!.data[i]!),
    ],
  },
});
