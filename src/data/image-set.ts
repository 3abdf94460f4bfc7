// An in-memory set of images: bytes (0-255) in NCHW order, one label each. Kept as bytes
// (60,000 CIFAR images are 184 MB as bytes, 737 MB as float32); batches are converted to
// float32 in [0, 1] as they are drawn.
import { AelabError, requireIndices } from '../errors.ts';

/** Images as bytes (0-255) in NCHW order, one label each; converted to float32 on [0, 1] as batches are drawn. */
export interface ImageSet {
  readonly pixels: Uint8Array;
  readonly labels: Uint8Array;
  readonly count: number;
  readonly channels: number;
  readonly height: number;
  readonly width: number;
  readonly classNames: readonly string[];
  /** What loading decided that a user should hear (a PNG folder's channels, dropped alpha). */
  readonly notes?: readonly string[];
}

export class DataError extends AelabError {
  override name = 'DataError';
}

/** RGBA bytes (a canvas's, a decoder's; alpha dropped) as planar RGB: [3, height, width]. */
export function planarRgb(rgba: ArrayLike<number>, height: number, width: number): Uint8Array {
  const plane = height * width;
  const pixels = new Uint8Array(3 * plane);
  for (let p = 0; p < plane; p++) for (let c = 0; c < 3; c++) pixels[c * plane + p] = rgba[4 * p + c]!;
  return pixels;
}

export function imageBytes(set: Pick<ImageSet, 'channels' | 'height' | 'width'>): number {
  return set.channels * set.height * set.width;
}

/** The images at `indices`, in that order. */
export function subset(set: ImageSet, indices: ArrayLike<number>): ImageSet {
  requireIndices(indices, set.count, 'subset');
  const size = imageBytes(set);
  const pixels = new Uint8Array(indices.length * size);
  const labels = new Uint8Array(indices.length);
  for (let i = 0; i < indices.length; i++) {
    const source = indices[i]!;
    pixels.set(set.pixels.subarray(source * size, (source + 1) * size), i * size);
    labels[i] = set.labels[source]!;
  }
  return { ...set, pixels, labels, count: indices.length };
}

export function concatenate(sets: readonly ImageSet[]): ImageSet {
  const [first] = sets;
  if (!first) throw new DataError('concatenate: no image sets');
  for (const set of sets) {
    if (set.channels !== first.channels || set.height !== first.height || set.width !== first.width) {
      throw new DataError(
        `concatenate: image sizes differ (${first.channels}x${first.height}x${first.width} and ${set.channels}x${set.height}x${set.width})`,
      );
    }
  }
  const pixels = new Uint8Array(sets.reduce((total, set) => total + set.pixels.length, 0));
  const labels = new Uint8Array(sets.reduce((total, set) => total + set.count, 0));
  let offset = 0;
  let labelOffset = 0;
  for (const set of sets) {
    pixels.set(set.pixels, offset);
    labels.set(set.labels, labelOffset);
    offset += set.pixels.length;
    labelOffset += set.count;
  }
  return { ...first, pixels, labels, count: labels.length };
}

/** Images [start, start + count) of `set` as float32 in [0, 1], NCHW. */
export function toFloat(set: ImageSet, indices: ArrayLike<number>): Float32Array {
  requireIndices(indices, set.count, 'images');
  const size = imageBytes(set);
  const result = new Float32Array(indices.length * size);
  for (let i = 0; i < indices.length; i++) {
    const source = set.pixels.subarray(indices[i]! * size, (indices[i]! + 1) * size);
    for (let j = 0; j < size; j++) result[i * size + j] = source[j]! / 255;
  }
  return result;
}

/** Batches of an image set as the training loop draws them (nn/training.ts' TrainingData has this shape). */
export interface ImageBatches {
  readonly count: number;
  readonly inputShape: readonly number[];
  readonly targetShape: readonly number[];
  /** The images at `indices` as float32 NCHW inputs, and their targets (null: the inputs are the targets). */
  batch(indices: ArrayLike<number>): { inputs: Float32Array; targets: Float32Array | null };
}

/** Autoencoder training data: the images are both the inputs and the targets (targets: null). */
export function autoencoderData(set: ImageSet): ImageBatches {
  const shape = [set.channels, set.height, set.width];
  return {
    count: set.count,
    inputShape: shape,
    targetShape: shape,
    batch: (indices) => ({ inputs: toFloat(set, indices), targets: null }),
  };
}
