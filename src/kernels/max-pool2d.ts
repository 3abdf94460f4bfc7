// maxPool2d: input [N, C, H, W]. Kernels in max-pool2d.wgsl.
// Tie rule (kernel and reference alike): the first maximum in row-major window order is the
// arg-max and alone receives the gradient; padded positions never win.
// With activation 'relu' the output is max(window max, 0), the pool of a ReLU'd input: a
// conv's ReLU moved here (Sequential does it) spares that conv's backward pass its mask,
// since the pool's backward knows each arg-max's value. The gradient at exactly 0 is 0, as relu.
import { defineOp } from './op.ts';
import {
  requireFusedActivation,
  requirePositiveInteger,
  requireRank4,
  windowGeometry,
  type FusedActivation,
  type Shape,
} from '../shapes.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

export interface MaxPool2dAttributes {
  readonly poolSize: number;
  /** Default: poolSize. */
  readonly stride?: number;
  /** Default 'valid' (as Keras). `same` pads so that the output has ceil(size / stride) positions. */
  readonly padding?: 'valid' | 'same';
  /** Default 'linear': none. 'relu': max(window max, 0). */
  readonly activation?: FusedActivation;
}

function geometry(shape: Shape, attributes: MaxPool2dAttributes) {
  const [batch, channels, inHeight, inWidth] = requireRank4(shape, 'maxPool2d input');
  const poolSize = requirePositiveInteger(attributes.poolSize, 'maxPool2d poolSize');
  const stride = requirePositiveInteger(attributes.stride ?? poolSize, 'maxPool2d stride');
  const { height, width } = windowGeometry(
    inHeight,
    inWidth,
    poolSize,
    poolSize,
    stride,
    attributes.padding ?? 'valid',
    'maxPool2d',
  );
  const activation = requireFusedActivation(attributes.activation, 'maxPool2d activation');
  return {
    batch,
    channels,
    inHeight,
    inWidth,
    outHeight: height.output,
    outWidth: width.output,
    poolSize,
    stride,
    padTop: height.padBefore,
    padLeft: width.padBefore,
    relu: activation === 'relu' ? 1 : 0,
  };
}

type Geometry = ReturnType<typeof geometry>;

/** max-pool2d.wgsl: LANES invocations per row. */
const LANES = 8;

/** A dispatch's uniform params, and the window's size and stride as specialised constants (its loops unroll). */
function kernelArguments({ poolSize, stride, ...params }: Geometry) {
  return { params, specialization: { POOL_SIZE: poolSize, STRIDE: stride } };
}

/** max-pool2d.wgsl: window pairs per invocation of the quad kernels. */
const PAIRS = 2;

/**
 * The quad kernels' dispatch (max-pool2d.wgsl: forward_quads, backward_quads), where they
 * take the pool: 2x2 windows of stride 2 without padding, on rows a whole number of quads
 * wide and an even number of rows. Null elsewhere.
 */
function quadDispatch(g: Geometry) {
  if (
    g.poolSize !== 2 ||
    g.stride !== 2 ||
    g.padTop !== 0 ||
    g.padLeft !== 0 ||
    g.inWidth % 4 !== 0 ||
    g.inHeight % 2 !== 0
  )
    return null;
  const pairs = g.batch * g.channels * g.outHeight * (g.inWidth / 4);
  return {
    params: kernelArguments(g).params,
    invocations: Math.ceil(pairs / PAIRS),
    specialization: { QUADS_PER_ROW: g.inWidth / 4 },
  };
}

/** Reference arg-max of one window: flat index within the plane. */
function argMax(g: Geometry, plane: Float64Array | Float32Array, planeOffset: number, oy: number, ox: number): number {
  let best = -1;
  for (let dy = 0; dy < g.poolSize; dy++) {
    const iy = oy * g.stride - g.padTop + dy;
    if (iy < 0 || iy >= g.inHeight) continue;
    for (let dx = 0; dx < g.poolSize; dx++) {
      const ix = ox * g.stride - g.padLeft + dx;
      if (ix < 0 || ix >= g.inWidth) continue;
      const position = iy * g.inWidth + ix;
      if (best < 0 || plane[planeOffset + position]! > plane[planeOffset + best]!) best = position;
    }
  }
  return best;
}

/** Visits each output window with its arg-max input index. */
function forEachWindow(
  g: Geometry,
  input: Float64Array,
  visit: (outputIndex: number, inputIndex: number) => void,
): void {
  const inPlane = g.inHeight * g.inWidth;
  let outputIndex = 0;
  for (let plane = 0; plane < g.batch * g.channels; plane++)
    for (let oy = 0; oy < g.outHeight; oy++)
      for (let ox = 0; ox < g.outWidth; ox++)
        visit(outputIndex++, plane * inPlane + argMax(g, input, plane * inPlane, oy, ox));
}

export const maxPool2d: Op<MaxPool2dAttributes> = defineOp<MaxPool2dAttributes>({
  name: 'maxPool2d',
  inputNames: ['input'],
  differentiable: [true],
  outputShape([input], attributes) {
    const g = geometry(input!, attributes);
    return [g.batch, g.channels, g.outHeight, g.outWidth];
  },
  forward(engine, [input], attributes, output) {
    const g = geometry(input!.shape, attributes);
    const quads = quadDispatch(g);
    if (quads) {
      engine.dispatch(wgsl.maxPool2d, 'forward_quads', {
        bindings: { inputQuads: input!, outputPairs: output },
        ...quads,
      });
      return;
    }
    engine.dispatch(wgsl.maxPool2d, 'forward', {
      bindings: { input: input!, output },
      ...kernelArguments(g),
      invocations: LANES * g.batch * g.channels * g.outHeight,
    });
  },
  backward(engine, { inputs: [input], attributes, gradOutput }) {
    const g = geometry(input!.shape, attributes);
    const gradInput = engine.empty(input!.shape, 'maxPool2d gradient');
    const bindings = { input: input!, gradOutput, gradInput };
    const quads = quadDispatch(g);
    if (quads) {
      // Every input position lies in one window, which writes it.
      engine.dispatch(wgsl.maxPool2d, 'backward_quads', {
        bindings: { inputQuads: input!, gradOutputPairs: gradOutput, gradInputQuads: gradInput },
        ...quads,
      });
    } else if (g.stride >= g.poolSize) {
      // Each window writes its own footprint; positions no window covers stay zero.
      const covered =
        g.outHeight * g.stride - g.padTop >= g.inHeight &&
        g.outWidth * g.stride - g.padLeft >= g.inWidth &&
        g.stride === g.poolSize;
      if (!covered) engine.fillBuffer(gradInput, 0);
      engine.dispatch(wgsl.maxPool2d, 'backward_windows', {
        bindings,
        ...kernelArguments(g),
        invocations: LANES * g.batch * g.channels * g.outHeight,
      });
    } else {
      engine.dispatch(wgsl.maxPool2d, 'backward', {
        bindings,
        ...kernelArguments(g),
        invocations: LANES * g.batch * g.channels * g.inHeight,
      });
    }
    return [gradInput];
  },
  reference: {
    forward([input], attributes) {
      const g = geometry(input!.shape, attributes);
      const output = new Float64Array(g.batch * g.channels * g.outHeight * g.outWidth);
      forEachWindow(g, input!.data, (outputIndex, inputIndex) => {
        const value = input!.data[inputIndex]!;
        output[outputIndex] = g.relu ? Math.max(value, 0) : value;
      });
      return output;
    },
    // y[w] = x[argmax(w)]  =>  dL/dx[i] = sum of dL/dy[w] over windows w whose arg-max is i.
    // y[w] = relu(x[argmax(w)])  =>  the same sum over those windows, where x[i] > 0.
    backward({ inputs: [input], attributes, gradOutput }) {
      const g = geometry(input!.shape, attributes);
      const gradInput = new Float64Array(input!.data.length);
      forEachWindow(g, input!.data, (outputIndex, inputIndex) => {
        if (!g.relu || input!.data[inputIndex]! > 0) gradInput[inputIndex] += gradOutput.data[outputIndex]!;
      });
      return [gradInput];
    },
  },
});
