// softmax over the channel axis (axis 1) of [N, C, ...]: a distribution over the C channels at
// every pixel. Kernels in softmax.wgsl; the float64 reference below is their specification.
import { defineOp } from './op.ts';
import { ShapeError } from '../errors.ts';
import { formatShape, type Shape } from '../shapes.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

/** [N, C, ...] as the ops over the channel axis see it (softmaxCrossEntropy too): batch, channels, pixels per plane. */
export function channelGeometry(shape: Shape, op = 'softmax', input = '') {
  if (shape.length < 2)
    throw new ShapeError(`${op}: expected ${input}[batch, channels, ...], got ${formatShape(shape)}`);
  const [batch, channels, ...rest] = shape as [number, number, ...number[]];
  return { batch, channels, plane: rest.reduce((product, size) => product * size, 1) };
}
const geometry = (shape: Shape) => channelGeometry(shape);
export type ChannelGeometry = ReturnType<typeof channelGeometry>;

/** Visits each pixel with the index of its channel 0 (its channels lie `plane` apart). */
export function forEachPixel(g: ChannelGeometry, visit: (base: number) => void): void {
  for (let n = 0; n < g.batch; n++) for (let p = 0; p < g.plane; p++) visit(n * g.channels * g.plane + p);
}

export const softmax: Op<Record<string, never>> = defineOp<Record<string, never>>({
  name: 'softmax',
  inputNames: ['input'],
  differentiable: [true],
  outputShape([input]) {
    geometry(input!);
    return input!;
  },
  forward(engine, [input], _attributes, output) {
    const g = geometry(input!.shape);
    engine.dispatch(wgsl.softmax, 'forward', {
      bindings: { input: input!, output },
      params: g,
      invocations: g.batch * g.plane,
    });
  },
  // dL/dx[k] = y[k] (g[k] - sum over c of g[c] y[c]), from the saved output y (softmax.wgsl).
  backward(engine, { inputs: [input], output, gradOutput }) {
    const g = geometry(input!.shape);
    const gradInput = engine.empty(input!.shape, 'softmax gradient');
    engine.dispatch(wgsl.softmax, 'backward', {
      bindings: { output, gradOutput, gradInput },
      params: g,
      invocations: g.batch * g.plane,
    });
    return [gradInput];
  },
  reference: {
    forward([input]) {
      const g = geometry(input!.shape);
      const x = input!.data;
      const y = new Float64Array(x.length);
      forEachPixel(g, (base) => {
        let largest = -Infinity;
        for (let c = 0; c < g.channels; c++) largest = Math.max(largest, x[base + c * g.plane]!);
        let total = 0;
        for (let c = 0; c < g.channels; c++)
          total += y[base + c * g.plane] = Math.exp(x[base + c * g.plane]! - largest);
        for (let c = 0; c < g.channels; c++) y[base + c * g.plane]! /= total;
      });
      return y;
    },
    backward({ inputs: [input], output, gradOutput }) {
      const g = geometry(input!.shape);
      const y = output.data;
      const upstream = gradOutput.data;
      const gradInput = new Float64Array(y.length);
      forEachPixel(g, (base) => {
        let weighted = 0;
        for (let c = 0; c < g.channels; c++) weighted += upstream[base + c * g.plane]! * y[base + c * g.plane]!;
        for (let c = 0; c < g.channels; c++) {
          const i = base + c * g.plane;
          gradInput[i] = y[i]! * (upstream[i]! - weighted);
        }
      });
      return [gradInput];
    },
  },
});
