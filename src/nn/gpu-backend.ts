// The tape's GPU backend: runs an op's forward and backward passes on an Engine. The engine
// is the device (buffers, kernels, dispatch); this is where ops meet it.
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import type { BackwardContext, Op } from '../kernels/op.ts';
import type { TapeBackend } from './autograd.ts';
import { AelabError } from '../errors.ts';
import { requireSameShape, type Shape } from '../shapes.ts';
import { wgsl } from '#wgsl/kernels';
import { elementwiseInvocations } from '../backend/elementwise.ts';

/** The tape's GPU backend: runs an op's forward and backward passes on an Engine. */
export class GpuBackend implements TapeBackend<Tensor> {
  constructor(readonly engine: Engine) {}

  forward<A>(op: Op<A>, inputs: readonly Tensor[], attributes: A): Tensor {
    const required = op.inputNames.filter((name) => !name.endsWith('?')).length;
    if (inputs.length < required || inputs.length > op.inputNames.length) {
      throw new AelabError(`${op.name}: expected inputs (${op.inputNames.join(', ')}), got ${inputs.length}`);
    }
    for (const input of inputs) void input.buffer; // throws DisposedTensorError before anything is encoded
    const outputShape = op.outputShape(
      inputs.map((input) => input.shape),
      attributes,
    );
    // The tuner replays the op applications of the work it tunes (tuning/tuner.ts).
    this.engine.tuning.observe(() => ({
      op: op as Op<unknown>,
      attributes,
      inputShapes: inputs.map((input) => input.shape),
      needsGradient: inputs.map((input, i) => input.requiresGrad && op.differentiable[i] === true),
    }));
    const output = this.engine.empty(outputShape, op.name);
    op.forward(this.engine, inputs, attributes, output);
    return output;
  }

  backward<A>(op: Op<A>, context: BackwardContext<Tensor, A>): (Tensor | null)[] {
    return op.backward(this.engine, context);
  }

  /** A new tensor of `shape` on the engine, every element `value`. */
  full(shape: Shape, value: number): Tensor {
    return this.engine.full(shape, value);
  }

  accumulate(into: Tensor, addend: Tensor): void {
    requireSameShape(into.shape, addend.shape, 'accumulate');
    this.engine.dispatch(wgsl.add, 'accumulate', {
      bindings: { accumulator: into, addend },
      params: { count: into.size },
      invocations: elementwiseInvocations(into.size),
    });
  }

  keep(tensor: Tensor): void {
    this.engine.keep(tensor);
  }
}

const backends = new WeakMap<Engine, GpuBackend>();

/** The engine's GPU backend (one per engine). */
export function gpuBackend(engine: Engine): GpuBackend {
  let backend = backends.get(engine);
  if (!backend) backends.set(engine, (backend = new GpuBackend(engine)));
  return backend;
}
