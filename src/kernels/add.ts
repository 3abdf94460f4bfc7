import { sameShapeOutput } from '../shapes.ts';
import { defineOp } from './op.ts';
import { scaled } from './scale.ts';
import { elementwiseInvocations } from '../backend/elementwise.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

// z = a + b;  dL/da = dL/dz,  dL/db = dL/dz.
export const add: Op<Record<string, never>> = defineOp<Record<string, never>>({
  name: 'add',
  inputNames: ['left', 'right'],
  differentiable: [true, true],
  outputShape: sameShapeOutput('add'),
  forward(engine, [left, right], _attributes, output) {
    engine.dispatch(wgsl.add, 'add', {
      bindings: { left: left!, right: right!, output },
      params: { count: output.size },
      invocations: elementwiseInvocations(output.size),
    });
  },
  backward: (engine, { gradOutput, needsGradient }) =>
    needsGradient.map((needed) => (needed ? scaled(engine, gradOutput, 1, 'add gradient') : null)),
  reference: {
    forward: ([a, b]) => a!.data.map((v, i) => v + b!.data[i]!),
    backward: ({ gradOutput }) => [gradOutput.data.slice(), gradOutput.data.slice()],
  },
});
