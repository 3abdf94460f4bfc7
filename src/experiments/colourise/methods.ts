// The three ways to colourise a gray image, and the notebook's two as it wrote them. Each says
// what its model sees (a gray plane), what it learns to output, with which loss, and how a
// colour image is made from the gray plane and the output.
//   ycbcr        Y in; Cb, Cr out (on [0, 1] with their offset): sigmoid, binary cross-entropy
//   difference   mean(R, G, B) in; R, G, B minus it out (signed, within +-2/3): 2/3 tanh, MSE
//   lab-classes  L* in; a distribution over Q ab bins out, at half resolution (ab-bins.ts):
//                class-rebalanced soft cross-entropy; decoded by the annealed mean
// The notebook's ('notebook-ycbcr', 'notebook-difference'): its conversion (colour.ts), a first
// conv of 1 filter, a ReLU output and binary cross-entropy, whatever the targets' range.
import type { Engine } from '../../backend/engine.ts';
import type { Tensor } from '../../backend/tensor.ts';
import { AelabError } from '../../errors.ts';
import * as F from '../../nn/functional.ts';
import { noGrad } from '../../nn/autograd.ts';
import type { LossFunction } from '../../nn/training.ts';
import {
  clip01,
  labToRgb,
  notebookRgbToYcbcr,
  notebookYcbcrToRgb,
  rgbToLab,
  rgbToYcbcr,
  ycbcrToRgb,
  type PixelConversion,
} from '../../data/colour.ts';
import type { ArchitectureConfig, ModelDescription } from '../configurable-autoencoder.ts';
import { BinSearch, centreWeights, TEMPERATURE, type AbBins } from './ab-bins.ts';

/** The colour methods: what a colouriser predicts from the gray image. */
export const METHODS = ['ycbcr', 'difference', 'lab-classes'] as const;
/** One of METHODS. */
export type MethodName = (typeof METHODS)[number];
/** The runs `aelab colourise --method all` trains: the three methods and the notebook's two, as it wrote them. */
export const RUN_NAMES = ['ycbcr', 'difference', 'lab-classes', 'notebook-ycbcr', 'notebook-difference'] as const;
/** One of RUN_NAMES. */
export type RunName = (typeof RUN_NAMES)[number];

/** Part 1's shape (8-12-16 | 12-out, 3 x 3, pools of 2) for one gray channel in. */
export const PART1_SHAPE: Omit<ArchitectureConfig, 'outputLayers' | 'output'> = {
  fewerLayers: false,
  channelFactor: 4,
  kernelSize: 3,
  compression: 2,
  inputLayers: 1,
  firstFilters: 8,
};

/** Images of `count` x `channels` planes of `plane` pixels (NCHW, float32). */
export interface Planes {
  readonly data: Float32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
}

/** A colour method: its model's architecture, loss, the gray plane it sees, its targets, and how its output becomes RGB. */
export interface ColourMethod {
  readonly name: RunName;
  readonly description: string;
  readonly lossName: string;
  readonly loss: LossFunction;
  /** Its model: one of Part 2's configurations, or an imported chain of layers. */
  readonly architecture: ModelDescription;
  /** The gray plane the model sees, from RGB images. */
  gray(rgb: Planes): Float32Array;
  /** The training targets, from RGB images. */
  targets(rgb: Planes): Float32Array;
  /** The model's output turned into what reconstruct takes (the annealed mean's ab), on the GPU. */
  decode?(output: Tensor): Tensor;
  /** RGB images on [0, 1] from the gray planes and the (decoded) output. */
  reconstruct(gray: Float32Array, output: Float32Array, count: number, height: number, width: number): Float32Array;
  /** What its gray plane is, in words: its gray baseline's name. */
  readonly grayName: string;
  /** The (decoded) output that says "no colour", per channel: its gray baseline predicts it everywhere. */
  readonly neutral: readonly number[];
  /** The (decoded) output's side over the input's: 1, or 1/2 for lab-classes. */
  readonly outputScale: number;
  /** RGB images from the gray planes and the (decoded) output brought to their size: reconstruct's last step. */
  combine(gray: Float32Array, output: Float32Array, count: number, height: number, width: number): Float32Array;
}

/** Applies `conversion` to each pixel of RGB planes and keeps channels `keep` of its result. */
function convertedPlanes(rgb: Planes, conversion: PixelConversion, keep: readonly number[]): Float32Array {
  const plane = rgb.height * rgb.width;
  const result = new Float32Array(rgb.count * keep.length * plane);
  for (let n = 0; n < rgb.count; n++)
    for (let p = 0; p < plane; p++) {
      const i = n * 3 * plane + p;
      const converted = conversion(rgb.data[i]!, rgb.data[i + plane]!, rgb.data[i + 2 * plane]!);
      keep.forEach((channel, k) => (result[(n * keep.length + k) * plane + p] = converted[channel]!));
    }
  return result;
}

/** RGB from a gray plane and `channels` output planes through a per-pixel conversion, clipped to [0, 1]. */
function reconstructed(
  gray: Float32Array,
  output: Float32Array,
  count: number,
  plane: number,
  channels: number,
  conversion: (gray: number, values: number[]) => number[],
): Float32Array {
  const rgb = new Float32Array(count * 3 * plane);
  const values = new Array<number>(channels);
  for (let n = 0; n < count; n++)
    for (let p = 0; p < plane; p++) {
      for (let c = 0; c < channels; c++) values[c] = output[(n * channels + c) * plane + p]!;
      conversion(gray[n * plane + p]!, values).forEach((value, c) => (rgb[(n * 3 + c) * plane + p] = clip01(value)));
    }
  return rgb;
}

const mean3: PixelConversion = (r, g, b) => [(r + g + b) / 3, 0, 0];
const differences: PixelConversion = (r, g, b) => {
  const gray = (r + g + b) / 3;
  return [r - gray, g - gray, b - gray];
};

function ycbcrMethod(notebook: boolean, shape: typeof PART1_SHAPE): ColourMethod {
  const [forward, inverse] = notebook ? [notebookRgbToYcbcr, notebookYcbcrToRgb] : [rgbToYcbcr, ycbcrToRgb];
  const combined: ColourMethod['combine'] = (gray, output, count, height, width) =>
    reconstructed(gray, output, count, height * width, 2, (y, [cb, cr]) => inverse(y, cb!, cr!));
  return {
    name: notebook ? 'notebook-ycbcr' : 'ycbcr',
    description: notebook
      ? "the notebook's YCbCr: its coefficients, 1-filter first conv, ReLU output, BCE"
      : 'Y in, Cb and Cr out (BT.601 full range), sigmoid output, BCE',
    lossName: 'binary cross-entropy',
    loss: F.binaryCrossEntropy,
    architecture: notebook
      ? { ...shape, firstFilters: 1, outputLayers: 2, output: 'relu' }
      : { ...shape, outputLayers: 2, output: 'sigmoid' },
    gray: (rgb) => convertedPlanes(rgb, forward, [0]),
    targets: (rgb) => convertedPlanes(rgb, forward, [1, 2]),
    grayName: notebook ? "the notebook's luma" : 'BT.601 luma',
    // The notebook's Cb and Cr have no offset: its "no colour" is 0.
    neutral: notebook ? [0, 0] : [0.5, 0.5],
    outputScale: 1,
    combine: combined,
    reconstruct: combined,
  };
}

function differenceMethod(notebook: boolean, shape: typeof PART1_SHAPE): ColourMethod {
  const combined: ColourMethod['combine'] = (gray, output, count, height, width) =>
    reconstructed(gray, output, count, height * width, 3, (g, d) => d.map((value) => g + value));
  return {
    name: notebook ? 'notebook-difference' : 'difference',
    description: notebook
      ? "the notebook's colour minus gray: 1-filter first conv, ReLU output, BCE on signed targets"
      : 'mean of R, G, B in; R, G, B minus it out, 2/3 tanh output, MSE',
    lossName: notebook ? 'binary cross-entropy' : 'mean squared error',
    loss: notebook ? F.binaryCrossEntropy : F.meanSquaredError,
    architecture: notebook
      ? { ...shape, firstFilters: 1, outputLayers: 3, output: 'relu' }
      : { ...shape, outputLayers: 3, output: 'tanh', outputRange: 2 / 3 },
    gray: (rgb) => convertedPlanes(rgb, mean3, [0]),
    targets: (rgb) => convertedPlanes(rgb, differences, [0, 1, 2]),
    grayName: 'channel mean',
    neutral: [0, 0, 0],
    outputScale: 1,
    combine: combined,
    reconstruct: combined,
  };
}

/** a* and b* of RGB images averaged over 2 x 2 blocks: [count, 2, height / 2, width / 2] planes. */
export function halfResolutionAb(rgb: Planes): Float32Array {
  const [height, width] = [rgb.height >> 1, rgb.width >> 1];
  const lab = convertedPlanes(rgb, rgbToLab, [1, 2]);
  const result = new Float32Array(rgb.count * 2 * height * width);
  for (let k = 0; k < rgb.count * 2; k++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++) {
        const source = k * rgb.height * rgb.width + 2 * y * rgb.width + 2 * x;
        result[k * height * width + y * width + x] =
          (lab[source]! + lab[source + 1]! + lab[source + rgb.width]! + lab[source + rgb.width + 1]!) / 4;
      }
  return result;
}

/**
 * Planes [channels, height, width] sampled bilinearly onto outHeight x outWidth: output pixel
 * (x, y) reads at ((x + 0.5) scaleX - 0.5, (y + 0.5) scaleY - 0.5), the edges clamped.
 */
export function resizeBilinear(
  planes: Float32Array,
  channels: number,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
  scaleY: number,
  scaleX: number,
): Float32Array {
  const result = new Float32Array(channels * outHeight * outWidth);
  const clamp = (value: number, limit: number) => Math.min(limit - 1, Math.max(0, value));
  for (let y = 0; y < outHeight; y++) {
    const sy = Math.min(height - 1, Math.max(0, (y + 0.5) * scaleY - 0.5));
    const y0 = Math.floor(sy);
    const y1 = clamp(y0 + 1, height);
    const fy = sy - y0;
    for (let x = 0; x < outWidth; x++) {
      const sx = Math.min(width - 1, Math.max(0, (x + 0.5) * scaleX - 0.5));
      const x0 = Math.floor(sx);
      const x1 = clamp(x0 + 1, width);
      const fx = sx - x0;
      for (let c = 0; c < channels; c++) {
        const at = (row: number, column: number) => planes[(c * height + row) * width + column]!;
        result[(c * outHeight + y) * outWidth + x] =
          (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x1)) + fy * ((1 - fx) * at(y1, x0) + fx * at(y1, x1));
      }
    }
  }
  return result;
}

/** Bilinear upsampling by 2 of [count, channels, height, width] planes (pixel centres aligned, edges clamped). */
export function upsampleBilinear(planes: Float32Array, count: number, height: number, width: number): Float32Array {
  return resizeBilinear(planes, count, height, width, 2 * height, 2 * width, 0.5, 0.5);
}

/**
 * `temperature`: the annealed mean's T (decoding only: 1 is the distribution's mean, towards 0
 * its mode, more saturated).
 */
export function labClassesMethod(
  engine: Engine | null,
  bins: AbBins,
  shape: typeof PART1_SHAPE,
  temperature = TEMPERATURE,
): ColourMethod {
  if (!(temperature > 0 && temperature <= 1))
    throw new AelabError(`the annealed mean's temperature must be in (0, 1], not ${temperature}`);
  if (shape.compression !== 2)
    throw new AelabError(
      `lab-classes predicts at half resolution: it needs an architecture with pools of 2, not ${shape.compression}`,
    );
  const search = new BinSearch(bins);
  const combined: ColourMethod['combine'] = (gray, ab, count, height, width) =>
    reconstructed(gray, ab, count, height * width, 2, (l, [a, b]) => labToRgb(100 * l, a!, b!));
  // The annealed mean on the GPU: softmax(logits / T), then a 1 x 1 conv whose weights are the bin centres.
  const centres = engine?.tensor(centreWeights(bins), [2, bins.count, 1, 1], 'ab bin centres').keep();
  return {
    name: 'lab-classes',
    description: `L* in; a distribution over Q = ${bins.count} ab bins out at half resolution, class-rebalanced soft cross-entropy, annealed mean (T = ${temperature})`,
    lossName: 'rebalanced soft cross-entropy',
    loss: F.softmaxCrossEntropy,
    architecture: { ...shape, outputLayers: bins.count, output: 'logits', classifier: true },
    gray: (rgb) => convertedPlanes(rgb, (r, g, b) => [rgbToLab(r, g, b)[0] / 100, 0, 0], [0]),
    targets(rgb) {
      const ab = halfResolutionAb(rgb);
      const plane = (rgb.height >> 1) * (rgb.width >> 1);
      const targets = new Float32Array(rgb.count * bins.count * plane);
      for (let n = 0; n < rgb.count; n++)
        for (let p = 0; p < plane; p++)
          search.softEncode(
            ab[2 * n * plane + p]!,
            ab[(2 * n + 1) * plane + p]!,
            targets,
            n * bins.count * plane + p,
            plane,
          );
      return targets;
    },
    decode: (output) =>
      noGrad(() => F.conv2d(F.softmax(F.scale(output, 1 / temperature)), centres!, null, { padding: 'valid' })),
    grayName: 'L*',
    neutral: [0, 0],
    outputScale: 1 / 2,
    combine: combined,
    reconstruct: (gray, ab, count, height, width) =>
      combined(gray, upsampleBilinear(ab, count * 2, height >> 1, width >> 1), count, height, width),
  };
}

/** The method a run name stands for, on `shape`'s architecture (lab-classes needs its bins). */
export function colourMethod(
  name: RunName,
  shape: typeof PART1_SHAPE,
  engine: Engine | null,
  bins: AbBins | null,
  temperature = TEMPERATURE,
): ColourMethod {
  if (name === 'ycbcr' || name === 'notebook-ycbcr') return ycbcrMethod(name !== 'ycbcr', shape);
  if (name === 'difference' || name === 'notebook-difference') return differenceMethod(name !== 'difference', shape);
  if (!bins) throw new AelabError('lab-classes needs the ab bins of its training images');
  return labClassesMethod(engine, bins, shape, temperature);
}

/** RGB images as `method`'s gray baseline makes them: its own gray plane, with no colour (its neutral output). */
export function grayBaseline(method: ColourMethod, rgb: Planes): Float32Array {
  const plane = rgb.height * rgb.width;
  const neutral = new Float32Array(rgb.count * method.neutral.length * plane);
  for (let n = 0; n < rgb.count; n++)
    method.neutral.forEach((value, c) =>
      neutral.fill(value, (n * method.neutral.length + c) * plane, (n * method.neutral.length + c + 1) * plane),
    );
  return method.combine(method.gray(rgb), neutral, rgb.count, rgb.height, rgb.width);
}
