// Shape arithmetic shared by the GPU kernels and the float64 reference, so that both
// agree on every output size and padding by construction.
import { ShapeError } from './errors.ts';

/** A tensor's shape: its sizes, outermost first (NCHW for images). */
export type Shape = readonly number[];

export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const dimension of shape) size *= dimension;
  return size;
}

export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

export function checkShape(shape: Shape, what: string): void {
  for (const dimension of shape) {
    if (!Number.isInteger(dimension) || dimension <= 0) {
      throw new ShapeError(`${what}: every dimension must be a positive integer, got ${formatShape(shape)}`);
    }
  }
}

export function sameShape(a: Shape, b: Shape): boolean {
  return a.length === b.length && a.every((dimension, i) => dimension === b[i]);
}

export function requireSameShape(a: Shape, b: Shape, what: string): void {
  if (!sameShape(a, b)) {
    throw new ShapeError(`${what}: shapes must match, got ${formatShape(a)} and ${formatShape(b)}`);
  }
}

export function requireRank4(shape: Shape, what: string): [number, number, number, number] {
  if (shape.length !== 4) {
    throw new ShapeError(
      `${what}: expected a rank-4 NCHW tensor [batch, channels, height, width], got ${formatShape(shape)}`,
    );
  }
  checkShape(shape, what);
  return [shape[0]!, shape[1]!, shape[2]!, shape[3]!];
}

export function requirePositiveInteger(value: number, what: string): number {
  if (!Number.isInteger(value) || value < 1) throw new ShapeError(`${what} must be an integer >= 1, got ${value}`);
  return value;
}

/** An activation an op applies inside its own kernels: none ('linear', Keras' default) or a ReLU. */
export type FusedActivation = 'linear' | 'relu';

/** The activation attribute (default 'linear'), or a ShapeError naming `what`. */
export function requireFusedActivation(activation: FusedActivation | undefined, what: string): FusedActivation {
  const value = activation ?? 'linear';
  if (value !== 'linear' && value !== 'relu')
    throw new ShapeError(`${what}: expected 'linear' or 'relu', got '${String(value)}'`);
  return value;
}

/**
 * `same`: Keras/TensorFlow semantics. The output has ceil(in / stride) positions and the
 * total padding max((out - 1) * stride + window - in, 0) is split with the smaller half
 * before and the larger half after (so an even kernel or a stride > 1 pads asymmetrically).
 * `valid`: no padding, out = floor((in - window) / stride) + 1.
 * Explicit: [before, after] zeros on the axis.
 */
export type Padding = 'same' | 'valid' | number | readonly [number, number, number, number];

export interface AxisGeometry {
  readonly input: number;
  readonly output: number;
  readonly padBefore: number;
  readonly padAfter: number;
}

export function axisGeometry(
  input: number,
  window: number,
  stride: number,
  padBefore: number | 'same',
  padAfter: number,
  what: string,
): AxisGeometry {
  if (padBefore === 'same') {
    const output = Math.ceil(input / stride);
    const total = Math.max((output - 1) * stride + window - input, 0);
    return { input, output, padBefore: Math.floor(total / 2), padAfter: total - Math.floor(total / 2) };
  }
  const padded = input + padBefore + padAfter;
  if (window > padded) {
    throw new ShapeError(
      `${what}: window ${window} is larger than the padded input ${padded} (input ${input} + padding ${padBefore}+${padAfter})`,
    );
  }
  return { input, output: Math.floor((padded - window) / stride) + 1, padBefore, padAfter };
}

/** Height and width geometry of a 2-D window op (convolution or pooling). */
export interface WindowGeometry {
  readonly height: AxisGeometry;
  readonly width: AxisGeometry;
}

export function windowGeometry(
  inputHeight: number,
  inputWidth: number,
  windowHeight: number,
  windowWidth: number,
  stride: number,
  padding: Padding,
  what: string,
): WindowGeometry {
  requirePositiveInteger(stride, `${what}: stride`);
  if (padding === 'same') {
    return {
      height: axisGeometry(inputHeight, windowHeight, stride, 'same', 0, what),
      width: axisGeometry(inputWidth, windowWidth, stride, 'same', 0, what),
    };
  }
  let top = 0,
    bottom = 0,
    left = 0,
    right = 0;
  if (typeof padding === 'number') {
    top = bottom = left = right = padding;
  } else if (Array.isArray(padding)) {
    [top, bottom, left, right] = padding as [number, number, number, number];
  } else if (padding !== 'valid') {
    throw new ShapeError(
      `${what}: padding must be 'same', 'valid', a number or [top, bottom, left, right], got ${String(padding)}`,
    );
  }
  for (const value of [top, bottom, left, right]) {
    if (!Number.isInteger(value) || value < 0)
      throw new ShapeError(`${what}: explicit padding must be integers >= 0, got ${String(padding)}`);
  }
  return {
    height: axisGeometry(inputHeight, windowHeight, stride, top, bottom, what),
    width: axisGeometry(inputWidth, windowWidth, stride, left, right, what),
  };
}

/** The output shape rule of the elementwise binary ops (add, subtract, multiply): both inputs have one shape, no broadcasting. */
export function sameShapeOutput(name: string): (inputs: readonly Shape[]) => Shape {
  return ([left, right]: readonly Shape[]): Shape => {
    requireSameShape(left!, right!, name);
    return left!;
  };
}
