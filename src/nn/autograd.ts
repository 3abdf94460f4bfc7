// A tape-based reverse-mode autograd, written once for any backend: ops run on the GPU
// (gpu-backend.ts) or as their float64 reference (reference-backend.ts), so the same model
// code trains on the GPU and runs as a CPU specification.
import type { BackwardContext, Op } from '../kernels/op.ts';
import type { Shape } from '../shapes.ts';
import { AelabError } from '../errors.ts';
import { Tensor } from '../backend/tensor.ts';
import { gpuBackend } from './gpu-backend.ts';
import { ReferenceTensor } from './reference-backend.ts';

export type { BackwardContext } from '../kernels/op.ts';

export interface TapeNode<T> {
  readonly op: Op<any>;
  readonly inputs: readonly T[];
  readonly attributes: unknown;
  readonly output: T;
}

/** What the tape needs of a tensor, on any backend: its shape, gradient and the node that made it. */
export interface TapeTensor<T> {
  readonly shape: Shape;
  requiresGrad: boolean;
  grad: T | null;
  node: TapeNode<T> | null;
  readonly isDisposed: boolean;
  /** Frees its storage. */
  dispose(): void;
}

/** What the tape needs of a backend (the GPU's, the float64 reference's): forward and backward passes of ops, and gradients. */
export interface TapeBackend<T> {
  /** Validates shapes and runs an op's forward pass. */
  forward<A>(op: Op<A>, inputs: readonly T[], attributes: A): T;
  /** Runs an op's backward pass: one fresh gradient tensor (or null) per input. */
  backward<A>(op: Op<A>, context: BackwardContext<T, A>): (T | null)[];
  /** A new tensor of `shape`, every element `value` (the loss's seed gradient of 1). */
  full(shape: Shape, value: number): T;
  /** into += addend, in place. */
  accumulate(into: T, addend: T): void;
  /** Marks a tensor as long-lived: no scope disposes it (parameter gradients). */
  keep(tensor: T): void;
}

/** The backend that runs ops on `tensor`: the GPU engine it lives on, or the float64 reference. */
export function backendOf<T>(tensor: T): TapeBackend<T> {
  if (tensor instanceof Tensor) return gpuBackend(tensor.engine) as unknown as TapeBackend<T>;
  if (tensor instanceof ReferenceTensor) return tensor.backend as unknown as TapeBackend<T>;
  throw new AelabError(`autograd: ${String(tensor)} is neither a GPU tensor nor a reference tensor`);
}

/** Where a leaf's gradient should be written, if somewhere particular (see reserveGradientHome). */
const gradientHomes = new WeakMap<object, () => unknown>();

/**
 * Reserves a home for `leaf`'s gradient (or, with null, drops it): the tape offers it to the op
 * that writes the leaf's first gradient contribution (BackwardContext.reservedGradient). An
 * optimiser that keeps every gradient in one buffer reserves these, to update all at once.
 */
export function reserveGradientHome<T extends object>(leaf: T, home: (() => T) | null): void {
  if (home) gradientHomes.set(leaf, home);
  else gradientHomes.delete(leaf);
}

export function gradientHome<T extends object>(leaf: T): (() => T) | null {
  return (gradientHomes.get(leaf) as (() => T) | undefined) ?? null;
}

let gradientEnabled = true;

/** Runs `body` without recording: evaluation and optimiser updates build no tape. */
export function noGrad<R>(body: () => R): R {
  const previous = gradientEnabled;
  gradientEnabled = false;
  try {
    return body();
  } finally {
    gradientEnabled = previous;
  }
}

/** Applies an op and, when any input requires a gradient, records it on the tape. */
export function apply<T extends TapeTensor<T>, A>(op: Op<A>, inputs: readonly T[], attributes: A): T {
  const backend = backendOf(inputs[0]!);
  for (const input of inputs) {
    if (backendOf(input) !== backend) throw new AelabError(`${op.name}: inputs live on different backends`);
  }
  const output = backend.forward(op, inputs, attributes);
  if (gradientEnabled && inputs.some((input, i) => input.requiresGrad && op.differentiable[i])) {
    output.requiresGrad = true;
    output.node = { op, inputs, attributes, output };
  }
  return output;
}

/** Every recorded tensor that `root` depends on, inputs before the ops that use them. */
function topologicalOrder<T extends TapeTensor<T>>(root: T): T[] {
  const order: T[] = [];
  const visited = new Set<T>();
  // Iterative depth-first search: deep models must not overflow the call stack.
  const stack: [T, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [tensor, expanded] = stack.pop()!;
    if (expanded) {
      order.push(tensor);
      continue;
    }
    if (visited.has(tensor)) continue;
    visited.add(tensor);
    stack.push([tensor, true]);
    for (const input of tensor.node?.inputs ?? []) if (input.node && !visited.has(input)) stack.push([input, false]);
  }
  return order;
}

/**
 * Reverse-mode sweep from `root` (a scalar loss unless `gradient` is given). Each op's
 * backward returns the gradient of its inputs; gradients accumulate (+=) into `grad` so a
 * tensor feeding several ops gets the sum of their contributions. Leaves (parameters) keep
 * their `grad` across calls until zeroGrad; intermediate gradients and the tape itself are
 * released as the sweep passes them.
 */
export function backward<T extends TapeTensor<T>>(root: T, gradient?: T): void {
  if (!root.requiresGrad)
    throw new AelabError('backward: the tensor does not require a gradient (no input of it has requiresGrad)');
  const backend = backendOf(root);
  if (!gradient && root.shape.reduce((a, b) => a * b, 1) !== 1) {
    throw new AelabError(
      `backward: implicit gradient only for a scalar, got shape [${root.shape.join(', ')}]; pass the output gradient`,
    );
  }
  const seed = gradient ?? backend.full(root.shape, 1);
  accumulateGradient(root, seed);
  if (!root.node) return; // a leaf: its gradient is the seed itself

  const order = topologicalOrder(root);
  for (let i = order.length - 1; i >= 0; i--) {
    const tensor = order[i]!;
    const node = tensor.node!;
    const gradOutput = tensor.grad;
    if (gradOutput) {
      const needsGradient = node.inputs.map((input, j) => input.requiresGrad && node.op.differentiable[j] === true);
      // Offered only for an input's first position: the same leaf twice must not get one home twice.
      const reservedGradient = (j: number): T | null => {
        const input = node.inputs[j]!;
        const offered = needsGradient[j] && !input.node && input.grad === null && node.inputs.indexOf(input) === j;
        return offered ? (gradientHome(input)?.() ?? null) : null;
      };
      const gradients = backend.backward(node.op, {
        inputs: node.inputs,
        output: tensor,
        attributes: node.attributes,
        gradOutput,
        needsGradient,
        reservedGradient,
      });
      node.inputs.forEach((input, j) => {
        const inputGradient = gradients[j];
        if (inputGradient && needsGradient[j]) accumulateGradient(input, inputGradient);
        else inputGradient?.dispose();
      });
      // An intermediate's gradient is only needed to reach its inputs.
      if (tensor !== root || !gradient) gradOutput.dispose();
      tensor.grad = null;
    }
    tensor.node = null;
  }
}

function accumulateGradient<T extends TapeTensor<T>>(tensor: T, gradient: T): void {
  if (tensor.grad === null) {
    // A zero gradient plus this contribution: the contribution itself.
    tensor.grad = gradient;
    if (!tensor.node) backendOf(tensor).keep(gradient);
  } else {
    backendOf(tensor).accumulate(tensor.grad, gradient);
    gradient.dispose();
  }
}
