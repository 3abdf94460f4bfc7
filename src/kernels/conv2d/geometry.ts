// conv2d's shapes: its attributes, the geometry they give an input and a weight (Keras'
// padding rules), and the transposed convolution that conv2d with `upsample` runs.
import { ShapeError } from '../../errors.ts';
import {
  formatShape,
  requirePositiveInteger,
  requireRank4,
  windowGeometry,
  type FusedActivation,
  type Padding,
  type Shape,
} from '../../shapes.ts';

export interface Conv2dAttributes {
  /** Default 1. */
  readonly stride?: number;
  /** Default 'valid' (as Keras). */
  readonly padding?: Padding;
  /** Default 'linear' (as Keras): none. 'relu' is fused into the kernels. */
  readonly activation?: Conv2dActivation;
  /** Default 1. Nearest-neighbour upsampling of the input by this factor before the convolution (stride 1 only). */
  readonly upsample?: number;
  /**
   * Default false. True runs the forward pass with the plain kernel (conv2d/plain.wgsl: one
   * output per invocation), the same sums as the tiled one, slower; not with `upsample`.
   */
  readonly plain?: boolean;
}

export type Conv2dActivation = FusedActivation;

export interface Conv2dGeometry {
  batch: number;
  inChannels: number;
  inHeight: number;
  inWidth: number;
  outChannels: number;
  outHeight: number;
  outWidth: number;
  kernelHeight: number;
  kernelWidth: number;
  stride: number;
  padTop: number;
  padLeft: number;
  /** The input is read upsampled by this factor: inHeight x inWidth is its upsampled size. */
  upsample: number;
}

export function conv2dGeometry(
  inputShape: Shape,
  weightShape: Shape,
  biasShape: Shape | undefined,
  attributes: Conv2dAttributes,
): Conv2dGeometry {
  const [batch, inChannels, inHeight, inWidth] = requireRank4(inputShape, 'conv2d input');
  if (weightShape.length !== 4) {
    throw new ShapeError(
      `conv2d weight: expected [outChannels, inChannels, kernelHeight, kernelWidth], got ${formatShape(weightShape)}`,
    );
  }
  const [outChannels, weightInChannels, kernelHeight, kernelWidth] = requireRank4(weightShape, 'conv2d weight');
  if (weightInChannels !== inChannels) {
    throw new ShapeError(
      `conv2d: input has ${inChannels} channels but the weight expects ${weightInChannels} (input ${formatShape(inputShape)}, weight ${formatShape(weightShape)})`,
    );
  }
  if (biasShape && (biasShape.length !== 1 || biasShape[0] !== outChannels)) {
    throw new ShapeError(`conv2d bias: expected [${outChannels}], got ${formatShape(biasShape)}`);
  }
  const stride = requirePositiveInteger(attributes.stride ?? 1, 'conv2d stride');
  const upsample = requirePositiveInteger(attributes.upsample ?? 1, 'conv2d upsample');
  if (attributes.plain && upsample > 1)
    throw new ShapeError(`conv2d: the plain kernel has no upsample (got ${upsample})`);
  if (upsample > 1 && stride !== 1) {
    throw new ShapeError(`conv2d: upsample ${upsample} needs stride 1, got stride ${stride}`);
  }
  const { height, width } = windowGeometry(
    inHeight * upsample,
    inWidth * upsample,
    kernelHeight,
    kernelWidth,
    stride,
    attributes.padding ?? 'valid',
    'conv2d',
  );
  if (upsample > 1 && (height.padBefore >= kernelHeight || width.padBefore >= kernelWidth)) {
    // The transposed form pads by kernel - 1 - padding: it has no negative padding.
    throw new ShapeError(
      `conv2d: with upsample the padding before must be less than the kernel size, got ${height.padBefore},${width.padBefore} for a ${kernelHeight}x${kernelWidth} kernel`,
    );
  }
  return {
    batch,
    inChannels,
    inHeight: inHeight * upsample,
    inWidth: inWidth * upsample,
    outChannels,
    outHeight: height.output,
    outWidth: width.output,
    kernelHeight,
    kernelWidth,
    stride,
    padTop: height.padBefore,
    padLeft: width.padBefore,
    upsample,
  };
}

/**
 * conv2d with `upsample` f as the transposed convolution of the stored input (conv2d/upsampled.wgsl,
 * upsampled_weights): the geometry of the strided convolution whose input gradient it is.
 * Its input is conv2d's output (outHeight x outWidth), its output the stored input, its kernel
 * K + f - 1 taps with stride f and padding K - 1 - padding.
 */
export function transposedGeometry(g: Conv2dGeometry): Conv2dGeometry {
  return {
    batch: g.batch,
    inChannels: g.outChannels,
    inHeight: g.outHeight,
    inWidth: g.outWidth,
    outChannels: g.inChannels,
    outHeight: g.inHeight / g.upsample,
    outWidth: g.inWidth / g.upsample,
    kernelHeight: g.kernelHeight + g.upsample - 1,
    kernelWidth: g.kernelWidth + g.upsample - 1,
    stride: g.upsample,
    padTop: g.kernelHeight - 1 - g.padTop,
    padLeft: g.kernelWidth - 1 - g.padLeft,
    upsample: 1,
  };
}

/**
 * The share of the direct convolution's multiply-adds (over the upsampled image) that conv2d
 * with `upsample` f executes in each of its three passes: ((K + f - 1) / (f K)) per axis, 4/9
 * for f = 2 and 3 x 3 kernels (exact for 'same' padding; bench accounting only).
 */
export function upsampledMultiplyAddShare(kernelHeight: number, kernelWidth: number, factor: number): number {
  return ((kernelHeight + factor - 1) * (kernelWidth + factor - 1)) / (factor * factor * kernelHeight * kernelWidth);
}
