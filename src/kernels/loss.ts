// Builds a loss op with mean reduction from its kernel file (entry points `loss` and
// `gradient`) and its float64 definition. Inputs: prediction, target (no gradient).
// L = (1/n) sum_i l(p_i, t_i);  dL/dp_i = dL/dL_out * l'(p_i, t_i) / n.
import { defineOp, type Op } from './op.ts';
import { requireSameShape } from '../shapes.ts';
import { encodeSum } from './sum.ts';
import type { KernelSource } from '../backend/kernel-library.ts';
import { elementwiseInvocations } from '../backend/elementwise.ts';

export interface LossDefinition {
  readonly name: string;
  readonly kernel: KernelSource;
  readonly loss: (prediction: number, target: number) => number;
  readonly derivative: (prediction: number, target: number) => number;
}

export function lossOp(definition: LossDefinition): Op<Record<string, never>> {
  const { name, kernel } = definition;
  return defineOp<Record<string, never>>({
    name,
    inputNames: ['prediction', 'target'],
    differentiable: [true, false],
    outputShape: ([prediction, target]) => {
      requireSameShape(prediction!, target!, `${name} (prediction, target)`);
      return [];
    },
    forward(engine, [prediction, target], _attributes, output) {
      const count = prediction!.size;
      const invocations = elementwiseInvocations(count);
      const losses = engine.empty([invocations], `${name} per invocation`);
      engine.dispatch(kernel, 'loss', {
        bindings: { prediction: prediction!, expected: target!, losses },
        params: { count, scale: 1, invocations },
        invocations,
      });
      encodeSum(engine, losses, output, 1 / count);
      losses.dispose();
    },
    backward(engine, { inputs: [prediction, target], gradOutput }) {
      const count = prediction!.size;
      const invocations = elementwiseInvocations(count);
      const gradPrediction = engine.empty(prediction!.shape, `${name} gradient`);
      engine.dispatch(kernel, 'gradient', {
        bindings: { prediction: prediction!, expected: target!, gradOutput, gradPrediction },
        params: { count, scale: 1 / count, invocations },
        invocations,
      });
      return [gradPrediction, null];
    },
    reference: {
      forward([prediction, target]) {
        let total = 0;
        prediction!.data.forEach((p, i) => (total += definition.loss(p, target!.data[i]!)));
        return Float64Array.of(total / prediction!.data.length);
      },
      backward: ({ inputs: [prediction, target], gradOutput }) => {
        const scale = gradOutput.data[0]! / prediction!.data.length;
        return [prediction!.data.map((p, i) => scale * definition.derivative(p, target!.data[i]!)), null];
      },
    },
  });
}
