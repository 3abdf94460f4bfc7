// concat: two tensors [N, Ca, ...] and [N, Cb, ...] joined over the channel axis into
// [N, Ca + Cb, ...] (the skip connections of a U-Net). Kernels in concat.wgsl.
import { defineOp } from './op.ts';
import { ShapeError } from '../errors.ts';
import { formatShape, sizeOf, type Shape } from '../shapes.ts';
import { channelGeometry } from './softmax.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

function geometry(left: Shape, right: Shape) {
  const a = channelGeometry(left, 'concat', 'left ');
  const b = channelGeometry(right, 'concat', 'right ');
  if (a.batch !== b.batch || left.length !== right.length || left.slice(2).some((size, i) => size !== right[i + 2]))
    throw new ShapeError(
      `concat: ${formatShape(left)} and ${formatShape(right)} differ in more than their channels (axis 1)`,
    );
  return { batch: a.batch, left: a.channels, right: b.channels, channels: a.channels + b.channels, plane: a.plane };
}
type Geometry = ReturnType<typeof geometry>;

/** The block of the left (first 0) or right input's channels within the whole. */
const block = (g: Geometry, side: 'left' | 'right') => ({
  batch: g.batch,
  channels: g.channels,
  first: side === 'left' ? 0 : g.left,
  count: g[side],
  plane: g.plane,
});

/** Visits each element of the left (0) or right (1) input with its index in the whole. */
function forEachElement(g: Geometry, visit: (side: 0 | 1, index: number, whole: number) => void): void {
  for (let n = 0; n < g.batch; n++)
    for (let c = 0; c < g.channels; c++)
      for (let p = 0; p < g.plane; p++) {
        const whole = (n * g.channels + c) * g.plane + p;
        if (c < g.left) visit(0, (n * g.left + c) * g.plane + p, whole);
        else visit(1, (n * g.right + c - g.left) * g.plane + p, whole);
      }
}

export const concat: Op<Record<string, never>> = defineOp<Record<string, never>>({
  name: 'concat',
  inputNames: ['left', 'right'],
  differentiable: [true, true],
  outputShape([left, right]) {
    const g = geometry(left!, right!);
    return [g.batch, g.channels, ...left!.slice(2)];
  },
  forward(engine, [left, right], _attributes, output) {
    const g = geometry(left!.shape, right!.shape);
    for (const [side, input] of [['left', left!] as const, ['right', right!] as const])
      engine.dispatch(wgsl.concat, 'place', {
        bindings: { input, output },
        params: block(g, side),
        invocations: input.size,
      });
  },
  // z = concat(a, b)  =>  dL/da = dL/dz[:, :Ca],  dL/db = dL/dz[:, Ca:]: each a copy of its block.
  backward(engine, { inputs: [left, right], gradOutput, needsGradient }) {
    const g = geometry(left!.shape, right!.shape);
    return (['left', 'right'] as const).map((side, i) => {
      if (!needsGradient[i]) return null;
      const input = i === 0 ? left! : right!;
      const gradInput = engine.empty(input.shape, `concat ${side} gradient`);
      engine.dispatch(wgsl.concat, 'take', {
        bindings: { gradOutput, gradInput },
        params: block(g, side),
        invocations: input.size,
      });
      return gradInput;
    });
  },
  reference: {
    forward([left, right], _attributes, outputShape) {
      const output = new Float64Array(sizeOf(outputShape));
      const inputs = [left!, right!];
      forEachElement(geometry(left!.shape, right!.shape), (side, i, whole) => (output[whole] = inputs[side]!.data[i]!));
      return output;
    },
    backward({ inputs: [left, right], gradOutput }) {
      const grads = [new Float64Array(left!.data.length), new Float64Array(right!.data.length)];
      forEachElement(
        geometry(left!.shape, right!.shape),
        (side, i, whole) => (grads[side]![i] = gradOutput.data[whole]!),
      );
      return grads;
    },
  },
});
