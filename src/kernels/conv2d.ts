// conv2d: input [N, Cin, H, W], weight [Cout, Cin, KH, KW], optional bias [Cout].
// Kernels in conv2d.wgsl; the float64 reference below is the specification they are tested against.
import { defineOp } from './op.ts';
import { ShapeError } from '../errors.ts';
import { formatShape, requirePositiveInteger, requireRank4, sizeOf, windowGeometry, type Padding, type Shape } from './shapes.ts';
import { encodeSumRows } from './sum.ts';
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';

export interface Conv2dAttributes {
  /** Default 1. */
  readonly stride?: number;
  /** Default 'valid' (as Keras). */
  readonly padding?: Padding;
}

export interface Conv2dGeometry {
  batch: number; inChannels: number; inHeight: number; inWidth: number;
  outChannels: number; outHeight: number; outWidth: number;
  kernelHeight: number; kernelWidth: number; stride: number; padTop: number; padLeft: number;
}

export function conv2dGeometry(inputShape: Shape, weightShape: Shape, biasShape: Shape | undefined, attributes: Conv2dAttributes): Conv2dGeometry {
  const [batch, inChannels, inHeight, inWidth] = requireRank4(inputShape, 'conv2d input');
  if (weightShape.length !== 4) {
    throw new ShapeError(`conv2d weight: expected [outChannels, inChannels, kernelHeight, kernelWidth], got ${formatShape(weightShape)}`);
  }
  const [outChannels, weightInChannels, kernelHeight, kernelWidth] = requireRank4(weightShape, 'conv2d weight');
  if (weightInChannels !== inChannels) {
    throw new ShapeError(`conv2d: input has ${inChannels} channels but the weight expects ${weightInChannels} (input ${formatShape(inputShape)}, weight ${formatShape(weightShape)})`);
  }
  if (biasShape && (biasShape.length !== 1 || biasShape[0] !== outChannels)) {
    throw new ShapeError(`conv2d bias: expected [${outChannels}], got ${formatShape(biasShape)}`);
  }
  const stride = requirePositiveInteger(attributes.stride ?? 1, 'conv2d stride');
  const { height, width } = windowGeometry(inHeight, inWidth, kernelHeight, kernelWidth, stride, attributes.padding ?? 'valid', 'conv2d');
  return {
    batch, inChannels, inHeight, inWidth, outChannels,
    outHeight: height.output, outWidth: width.output,
    kernelHeight, kernelWidth, stride, padTop: height.padBefore, padLeft: width.padBefore,
  };
}

/** conv2d.wgsl: adjacent invocations (lanes) take adjacent columns. */
const LANES = 8;
/** Register budget per invocation, and the widest channel tile. */
const MAX_ACCUMULATORS = 64;
const MAX_TILE_CHANNELS = 16;
/** Weight gradients: at most 8 channels x 9 taps of accumulators per invocation. */
const MAX_GRADIENT_CHANNELS = 8;
const MAX_TAPS = 9;
/** Aim for at least this many invocations in the split weight-gradient sums. */
const TARGET_SPLIT_INVOCATIONS = 4096;

/** The tile size <= max that splits `count` into equal-as-possible tiles (12 -> 6 + 6, not 8 + 4). */
const evenTile = (count: number, max: number) => Math.ceil(count / Math.ceil(count / max));

/**
 * Register tiling of output rows (forward) or input rows (input gradient): TILE_X columns
 * per lane (enough for 8 lanes to cover the row, at most 4), as many channels as the
 * register budget allows, then up to 4 rows (TILE_Y) with what budget is left.
 */
function rowTiling(width: number, channels: number, height: number, batch: number) {
  const tileX = Math.min(4, Math.ceil(width / LANES));
  const tileChannels = evenTile(channels, Math.min(MAX_TILE_CHANNELS, Math.floor(MAX_ACCUMULATORS / tileX)));
  // TILE_Y rows fill what is left of the register budget.
  const tileY = Math.max(1, Math.min(4, height, Math.floor(MAX_ACCUMULATORS / (tileX * tileChannels))));
  const invocations = batch * Math.ceil(height / tileY) * LANES * Math.ceil(width / (LANES * tileX)) * Math.ceil(channels / tileChannels);
  return { specialization: { TILE_X: tileX, TILE_Y: tileY, TILE_CHANNELS: tileChannels }, invocations };
}

function withStride<T extends { specialization: Record<string, number> }>(tiling: T, stride: number): T {
  return { ...tiling, specialization: { ...tiling.specialization, STRIDE: stride } };
}

function params(geometry: Conv2dGeometry, hasBias: boolean, split = { splits: 1, rowsPerSplit: 1 }): Record<string, number> {
  return { ...geometry, hasBias: hasBias ? 1 : 0, ...split };
}

function rowSplit(geometry: Conv2dGeometry, invocationsPerSplit: number): { splits: number; rowsPerSplit: number } {
  const rows = geometry.batch * geometry.outHeight;
  const wanted = Math.min(rows, Math.max(1, Math.ceil(TARGET_SPLIT_INVOCATIONS / invocationsPerSplit)));
  const rowsPerSplit = Math.ceil(rows / wanted);
  return { splits: Math.ceil(rows / rowsPerSplit), rowsPerSplit };
}

/** Encodes a split reduction (weight or bias gradient) into a new tensor of `shape`. */
function splitGradient(
  engine: Engine, entryPoint: string, geometry: Conv2dGeometry, hasBias: boolean, bindings: Record<string, Tensor>,
  shape: Shape, invocationsPerSplit: number, specialization: Record<string, number> = {},
): Tensor {
  const split = rowSplit(geometry, invocationsPerSplit);
  const columns = sizeOf(shape);
  const partialSums = engine.empty([split.splits * LANES, columns], `conv2d ${entryPoint}`);
  engine.dispatch('conv2d', entryPoint, {
    bindings: { ...bindings, partialSums },
    params: params(geometry, hasBias, split),
    invocations: split.splits * invocationsPerSplit,
    specialization,
  });
  const gradient = engine.empty(shape, 'conv2d gradient');
  encodeSumRows(engine, partialSums, columns, gradient);
  partialSums.dispose();
  return gradient;
}

export const conv2d = defineOp<Conv2dAttributes>({
  name: 'conv2d',
  inputNames: ['input', 'weight', 'bias?'],
  differentiable: [true, true, true],
  outputShape([input, weight, bias], attributes) {
    const g = conv2dGeometry(input!, weight!, bias, attributes);
    return [g.batch, g.outChannels, g.outHeight, g.outWidth];
  },
  forward(engine, [input, weight, bias], attributes, output) {
    const g = conv2dGeometry(input!.shape, weight!.shape, bias?.shape, attributes);
    engine.dispatch('conv2d', 'forward', {
      // Without a bias the weight is bound in its place (read-only, never read: hasBias = 0).
      bindings: { input: input!, weight: weight!, bias: bias ?? weight!, output },
      params: params(g, bias !== undefined),
      ...rowTiling(g.outWidth, g.outChannels, g.outHeight, g.batch),
    });
  },
  backward(engine, { inputs: [input, weight, bias], attributes, gradOutput, needsGradient }) {
    const g = conv2dGeometry(input!.shape, weight!.shape, bias?.shape, attributes);
    const hasBias = bias !== undefined;
    let gradInput: Tensor | null = null;
    if (needsGradient[0]) {
      gradInput = engine.empty(input!.shape, 'conv2d input gradient');
      engine.dispatch('conv2d', 'backward_input', {
        bindings: { weight: weight!, gradOutput, gradInput },
        params: params(g, hasBias),
        ...withStride(rowTiling(g.inWidth, g.inChannels, g.inHeight, g.batch), g.stride),
      });
    }
    let gradWeight: Tensor | null = null;
    if (needsGradient[1]) {
      const kernelArea = g.kernelHeight * g.kernelWidth;
      const tileChannels = evenTile(g.outChannels, MAX_GRADIENT_CHANNELS);
      const taps = evenTile(kernelArea, MAX_TAPS);
      const invocationsPerSplit = LANES * Math.ceil(kernelArea / taps) * g.inChannels * Math.ceil(g.outChannels / tileChannels);
      gradWeight = splitGradient(engine, 'weight_gradient_partial', g, hasBias, { input: input!, gradOutput }, weight!.shape, invocationsPerSplit, {
        TILE_CHANNELS: tileChannels,
        TAPS: taps,
      });
    }
    const gradBias = bias && needsGradient[2]
      ? splitGradient(engine, 'bias_gradient_partial', g, hasBias, { gradOutput }, bias.shape, LANES * g.outChannels)
      : null;
    return [gradInput, gradWeight, gradBias];
  },
  reference: {
    forward([input, weight, bias], attributes) {
      const g = conv2dGeometry(input!.shape, weight!.shape, bias?.shape, attributes);
      const output = new Float64Array(g.batch * g.outChannels * g.outHeight * g.outWidth);
      forEachTap(g, (outputIndex, inputIndex, weightIndex) => {
        output[outputIndex] += input!.data[inputIndex]! * weight!.data[weightIndex]!;
      });
      if (bias) {
        const plane = g.outHeight * g.outWidth;
        output.forEach((_, i) => (output[i] += bias.data[Math.floor(i / plane) % g.outChannels]!));
      }
      return output;
    },
    backward({ inputs: [input, weight, bias], attributes, gradOutput }) {
      const g = conv2dGeometry(input!.shape, weight!.shape, bias?.shape, attributes);
      const gradInput = new Float64Array(input!.data.length);
      const gradWeight = new Float64Array(weight!.data.length);
      // Each tap y[o] += x[i] w[k] contributes dL/dx[i] += w[k] dL/dy[o] and dL/dw[k] += x[i] dL/dy[o].
      forEachTap(g, (outputIndex, inputIndex, weightIndex) => {
        const upstream = gradOutput.data[outputIndex]!;
        gradInput[inputIndex] += weight!.data[weightIndex]! * upstream;
        gradWeight[weightIndex] += input!.data[inputIndex]! * upstream;
      });
      let gradBias: Float64Array | null = null;
      if (bias) {
        // y[n, co, ...] += b[co]  =>  dL/db[co] = sum of dL/dy over n, oy, ox.
        gradBias = new Float64Array(g.outChannels);
        const plane = g.outHeight * g.outWidth;
        gradOutput.data.forEach((upstream, i) => (gradBias![Math.floor(i / plane) % g.outChannels] += upstream));
      }
      return [gradInput, gradWeight, gradBias];
    },
  },
});

/** Visits every (output, input, weight) index triple of the convolution that lands inside the input. */
function forEachTap(g: Conv2dGeometry, visit: (outputIndex: number, inputIndex: number, weightIndex: number) => void): void {
  for (let n = 0; n < g.batch; n++)
    for (let co = 0; co < g.outChannels; co++)
      for (let oy = 0; oy < g.outHeight; oy++)
        for (let ox = 0; ox < g.outWidth; ox++) {
          const outputIndex = ((n * g.outChannels + co) * g.outHeight + oy) * g.outWidth + ox;
          for (let ci = 0; ci < g.inChannels; ci++)
            for (let ky = 0; ky < g.kernelHeight; ky++) {
              const iy = oy * g.stride + ky - g.padTop;
              if (iy < 0 || iy >= g.inHeight) continue;
              for (let kx = 0; kx < g.kernelWidth; kx++) {
                const ix = ox * g.stride + kx - g.padLeft;
                if (ix < 0 || ix >= g.inWidth) continue;
                visit(outputIndex, ((n * g.inChannels + ci) * g.inHeight + iy) * g.inWidth + ix, ((co * g.inChannels + ci) * g.kernelHeight + ky) * g.kernelWidth + kx);
              }
            }
        }
}

