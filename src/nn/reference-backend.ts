// The float64 CPU backend: runs each op's reference implementation through the same tape,
// so any model written with nn/functional runs on the CPU as the specification of its GPU run.
import { AelabError } from '../errors.ts';
import { checkShape, formatShape, sizeOf, type Shape } from '../shapes.ts';
import type { HostTensor, Op } from '../kernels/op.ts';
import type { BackwardContext, TapeBackend, TapeNode, TapeTensor } from './autograd.ts';

export class ReferenceTensor implements TapeTensor<ReferenceTensor>, HostTensor {
  requiresGrad = false;
  grad: ReferenceTensor | null = null;
  node: TapeNode<ReferenceTensor> | null = null;
  readonly isDisposed = false;

  constructor(
    readonly backend: ReferenceEngine,
    readonly shape: Shape,
    readonly data: Float64Array,
  ) {}

  /** Host memory is garbage-collected; kept for interface parity with GPU tensors. */
  dispose(): void {}
}

/** The float64 CPU backend: each op's reference through the same tape, the specification a GPU run is checked against. */
export class ReferenceEngine implements TapeBackend<ReferenceTensor> {
  /** A new float64 tensor of `data` in `shape`. */
  tensor(data: ArrayLike<number>, shape: Shape): ReferenceTensor {
    checkShape(shape, 'reference tensor');
    if (data.length !== sizeOf(shape))
      throw new AelabError(`reference tensor: ${data.length} values do not fill ${formatShape(shape)}`);
    return new ReferenceTensor(this, [...shape], Float64Array.from(data));
  }

  /** A new float64 tensor of `shape`, every element `value`. */
  full(shape: Shape, value: number): ReferenceTensor {
    return new ReferenceTensor(this, [...shape], new Float64Array(sizeOf(shape)).fill(value));
  }

  forward<A>(op: Op<A>, inputs: readonly ReferenceTensor[], attributes: A): ReferenceTensor {
    const shape = op.outputShape(
      inputs.map((input) => input.shape),
      attributes,
    );
    const data = op.reference.forward(inputs, attributes, shape);
    if (data.length !== sizeOf(shape))
      throw new AelabError(`${op.name} reference returned ${data.length} values for shape ${formatShape(shape)}`);
    return new ReferenceTensor(this, shape, data);
  }

  backward<A>(op: Op<A>, context: BackwardContext<ReferenceTensor, A>): (ReferenceTensor | null)[] {
    return op.reference
      .backward(context)
      .map((data, i) => (data ? new ReferenceTensor(this, context.inputs[i]!.shape, data) : null));
  }

  accumulate(into: ReferenceTensor, addend: ReferenceTensor): void {
    addend.data.forEach((value, i) => (into.data[i] += value));
  }

  keep(): void {}
}
