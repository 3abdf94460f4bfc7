import { sameShapeOutput } from '../shapes.ts';
import { defineOp } from './op.ts';
import { scaled } from './scale.ts';
import { elementwiseInvocations } from '../backend/elementwise.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

// z = a - b;  dL/da = dL/dz,  dL/db = -dL/dz.
export const subtract: Op<Record<string, never>> = defineOp<Record<string, never>>({
  name: 'subtract',
  inputNames: ['left', 'right'],
  differentiable: [true, true],
  outputShape: sameShapeOutput('subtract'),
  forward(engine, [left, right], _attributes, output) {
    engine.dispatch(wgsl.subtract, 'subtract', {
      bindings: { left: left!, right: right!, output },
      params: { count: output.size },
      invocations: elementwiseInvocations(output.size),
    });
  },
  backward: (engine, { gradOutput, needsGradient }) => [
    needsGradient[0] ? scaled(engine, gradOutput, 1, 'subtract gradient') : null,
    needsGradient[1] ? scaled(engine, gradOutput, -1, 'subtract gradient') : null,
  ],
  reference: {
    forward: ([a, b]) => a!.data.map((v, i) => v - b!.data[i]!),
    backward: ({ gradOutput }) => [gradOutput.data.slice(), gradOutput.data.map((g) => -g)],
  },
});
