// The contract every differentiable op fulfils. One op lives in one place: its .wgsl file
// holds the kernels, its .ts file an Op object with the GPU forward, the GPU backward and
// the float64 reference of both, side by side.
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import type { Shape } from '../shapes.ts';

/** A float64 tensor on the host: the reference's data type. */
export interface HostTensor {
  readonly shape: Shape;
  readonly data: Float64Array;
}

/** What an op's backward pass receives: the forward pass's inputs, output and attributes, and dL/d(output). */
export interface BackwardContext<T, A> {
  readonly inputs: readonly T[];
  readonly output: T;
  readonly attributes: A;
  readonly gradOutput: T;
  /** Which inputs need a gradient; an op may skip (return null for) the others. */
  readonly needsGradient: readonly boolean[];
  /**
   * For an input that is a leaf with a reserved home for its gradient and no gradient yet: a
   * tensor there, for the op to write that input's whole gradient into and return (call it
   * once per input). Null otherwise, and the op allocates the gradient as usual. An optimiser
   * that updates every parameter in one dispatch reserves these (nn/optimisers.ts).
   */
  readonly reservedGradient?: (index: number) => T | null;
}

/** An op: its output shape, its GPU forward and backward passes, and a float64 reference of both. */
export interface Op<A> {
  readonly name: string;
  /** One name per input, in order; a trailing '?' marks an optional input (a conv's bias). */
  readonly inputNames: readonly string[];
  /** Whether each input gets a gradient (a loss's target does not). */
  readonly differentiable: readonly boolean[];
  /** Validates input shapes and attributes (throwing ShapeError) and returns the output shape. */
  outputShape(inputShapes: readonly Shape[], attributes: A): Shape;
  /** Encodes the forward kernels, writing every element of `output`. */
  forward(engine: Engine, inputs: readonly Tensor[], attributes: A, output: Tensor): void;
  /** Encodes the backward kernels and returns d(loss)/d(input) for each input that needs one. */
  backward(engine: Engine, context: BackwardContext<Tensor, A>): (Tensor | null)[];
  readonly reference: {
    /** The forward pass in float64 on the host: the output's values. */
    forward(inputs: readonly HostTensor[], attributes: A, outputShape: Shape): Float64Array;
    /** The backward pass in float64: d(loss)/d(input) for each input that needs one. */
    backward(context: BackwardContext<HostTensor, A>): (Float64Array | null)[];
  };
}

/** Identity helper that fixes an op's attribute type at its definition. */
export function defineOp<A>(op: Op<A>): Op<A> {
  return op;
}
