// Builds an elementwise op y = f(x) from its kernel file (entry points `forward` and
// `backward`) and its float64 definition: f for the forward, f' for the backward,
// dL/dx = dL/dy * f'(x, y).
import { defineOp, type Op } from './op.ts';
import type { KernelSource } from '../backend/kernel-library.ts';
import type { Tensor } from '../backend/tensor.ts';
import { elementwiseInvocations } from '../backend/elementwise.ts';

export interface UnaryDefinition {
  readonly name: string;
  readonly kernel: KernelSource;
  readonly forward: (x: number) => number;
  /** f'(x), given both the input x and the output y = f(x). */
  readonly derivative: (x: number, y: number) => number;
  /** Which saved tensors the backward kernel reads. */
  readonly backwardReads: 'input' | 'output';
}

export function unaryOp(definition: UnaryDefinition): Op<Record<string, never>> {
  const { kernel } = definition;
  return defineOp<Record<string, never>>({
    name: definition.name,
    inputNames: ['input'],
    differentiable: [true],
    outputShape: ([shape]) => shape!,
    forward(engine, [input], _attributes, output) {
      engine.dispatch(kernel, 'forward', {
        bindings: { input: input!, output },
        params: { count: output.size },
        invocations: elementwiseInvocations(output.size),
      });
    },
    backward(engine, { inputs: [input], output, gradOutput }) {
      const gradInput = engine.empty(input!.shape, `${definition.name} gradient`);
      const saved: Record<string, Tensor> = definition.backwardReads === 'input' ? { input: input! } : { output };
      engine.dispatch(kernel, 'backward', {
        bindings: { ...saved, gradOutput, gradInput },
        params: { count: gradInput.size },
        invocations: elementwiseInvocations(gradInput.size),
      });
      return [gradInput];
    },
    reference: {
      forward: ([x]) => x!.data.map(definition.forward),
      backward: ({ inputs: [x], output, gradOutput }) => [
        gradOutput.data.map((g, i) => g * definition.derivative(x!.data[i]!, output.data[i]!)),
      ],
    },
  });
}
