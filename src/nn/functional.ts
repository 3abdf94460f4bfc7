// The user-facing op functions. Each records itself on the tape through `apply`, so it works
// on GPU tensors (Engine) and on float64 reference tensors (ReferenceEngine) alike.
import { apply, type TapeTensor } from './autograd.ts';
import { ops } from '../kernels/registry.ts';
import type { Conv2dAttributes } from '../kernels/conv2d.ts';
import type { MaxPool2dAttributes } from '../kernels/max-pool2d.ts';

const none = {} as Record<string, never>;

export function conv2d<T extends TapeTensor<T>>(input: T, weight: T, bias?: T | null, attributes: Conv2dAttributes = {}): T {
  return apply(ops.conv2d, bias ? [input, weight, bias] : [input, weight], attributes);
}
export const maxPool2d = <T extends TapeTensor<T>>(input: T, attributes: MaxPool2dAttributes): T => apply(ops.maxPool2d, [input], attributes);
export const upsample2d = <T extends TapeTensor<T>>(input: T, factor: number): T => apply(ops.upsample2d, [input], { factor });
export const relu = <T extends TapeTensor<T>>(input: T): T => apply(ops.relu, [input], none);
export const sigmoid = <T extends TapeTensor<T>>(input: T): T => apply(ops.sigmoid, [input], none);
export const tanh = <T extends TapeTensor<T>>(input: T): T => apply(ops.tanh, [input], none);
export const add = <T extends TapeTensor<T>>(left: T, right: T): T => apply(ops.add, [left, right], none);
export const subtract = <T extends TapeTensor<T>>(left: T, right: T): T => apply(ops.subtract, [left, right], none);
export const multiply = <T extends TapeTensor<T>>(left: T, right: T): T => apply(ops.multiply, [left, right], none);
export const scale = <T extends TapeTensor<T>>(input: T, factor: number): T => apply(ops.scale, [input], { factor });
export const sum = <T extends TapeTensor<T>>(input: T): T => apply(ops.sum, [input], none);
export const mean = <T extends TapeTensor<T>>(input: T): T => apply(ops.mean, [input], none);
export const binaryCrossEntropy = <T extends TapeTensor<T>>(prediction: T, target: T): T => apply(ops.binaryCrossEntropy, [prediction, target], none);
export const binaryCrossEntropyFromLogits = <T extends TapeTensor<T>>(logits: T, target: T): T =>
  apply(ops.binaryCrossEntropyFromLogits, [logits, target], none);
export const meanSquaredError = <T extends TapeTensor<T>>(prediction: T, target: T): T => apply(ops.meanSquaredError, [prediction, target], none);
export const meanAbsoluteError = <T extends TapeTensor<T>>(prediction: T, target: T): T => apply(ops.meanAbsoluteError, [prediction, target], none);
export const binaryAccuracy = <T extends TapeTensor<T>>(prediction: T, target: T): T => apply(ops.binaryAccuracy, [prediction, target], none);
