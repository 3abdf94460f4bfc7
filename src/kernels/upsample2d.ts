// upsample2d: nearest-neighbour, integer factor. Kernels in upsample2d.wgsl.
import { defineOp } from './op.ts';
import { requirePositiveInteger, requireRank4, type Shape } from '../shapes.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

export interface Upsample2dAttributes {
  readonly factor: number;
}

function geometry(shape: Shape, attributes: Upsample2dAttributes) {
  const [batch, channels, inHeight, inWidth] = requireRank4(shape, 'upsample2d input');
  return { batch, channels, inHeight, inWidth, factor: requirePositiveInteger(attributes.factor, 'upsample2d factor') };
}

/** upsample2d.wgsl: LANES invocations per input row. */
const rowInvocations = (g: ReturnType<typeof geometry>) => 8 * g.batch * g.channels * g.inHeight;

/** Visits each output index with the input index it copies. */
function forEachCopy(g: ReturnType<typeof geometry>, visit: (outputIndex: number, inputIndex: number) => void): void {
  const outHeight = g.inHeight * g.factor;
  const outWidth = g.inWidth * g.factor;
  let outputIndex = 0;
  for (let plane = 0; plane < g.batch * g.channels; plane++)
    for (let y = 0; y < outHeight; y++)
      for (let x = 0; x < outWidth; x++) {
        visit(outputIndex++, (plane * g.inHeight + Math.floor(y / g.factor)) * g.inWidth + Math.floor(x / g.factor));
      }
}

export const upsample2d: Op<Upsample2dAttributes> = defineOp<Upsample2dAttributes>({
  name: 'upsample2d',
  inputNames: ['input'],
  differentiable: [true],
  outputShape([input], attributes) {
    const g = geometry(input!, attributes);
    return [g.batch, g.channels, g.inHeight * g.factor, g.inWidth * g.factor];
  },
  forward(engine, [input], attributes, output) {
    const g = geometry(input!.shape, attributes);
    engine.dispatch(wgsl.upsample2d, 'forward', {
      bindings: { input: input!, output },
      params: g,
      invocations: rowInvocations(g),
    });
  },
  backward(engine, { inputs: [input], attributes, gradOutput }) {
    const g = geometry(input!.shape, attributes);
    const gradInput = engine.empty(input!.shape, 'upsample2d gradient');
    engine.dispatch(wgsl.upsample2d, 'backward', {
      bindings: { gradOutput, gradInput },
      params: g,
      invocations: rowInvocations(g),
    });
    return [gradInput];
  },
  reference: {
    forward([input], attributes, outputShape) {
      const output = new Float64Array(outputShape.reduce((a, b) => a * b, 1));
      forEachCopy(geometry(input!.shape, attributes), (o, i) => (output[o] = input!.data[i]!));
      return output;
    },
    // y[o] = x[i(o)]  =>  dL/dx[i] = sum of dL/dy[o] over the f x f block copying i.
    backward({ inputs: [input], attributes, gradOutput }) {
      const gradInput = new Float64Array(input!.data.length);
      forEachCopy(geometry(input!.shape, attributes), (o, i) => (gradInput[i] += gradOutput.data[o]!));
      return [gradInput];
    },
  },
});
