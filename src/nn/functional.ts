/**
 * The op functions models call (`F.conv2d`, `F.relu`, ...). Each records itself on the tape
 * through `apply`, so it works on GPU tensors (Engine) and on float64 reference tensors
 * (ReferenceEngine) alike.
 * @module
 */
import { apply, type TapeTensor } from './autograd.ts';
import { ops } from '../kernels/registry.ts';
import type { Conv2dAttributes } from '../kernels/conv2d/conv2d.ts';
import type { MaxPool2dAttributes } from '../kernels/max-pool2d.ts';

const none = {} as Record<string, never>;

/**
 * A sigmoid's output -> its input (the logits), for binaryCrossEntropy: the fusion's own
 * bookkeeping, held here rather than on every tensor.
 */
const logitsOf = new WeakMap<object, object>();

/** A 2-D convolution of NCHW `input` with OIHW `weight` and an optional bias (attributes: stride, padding, activation, upsample). */
export function conv2d<T extends TapeTensor<T>>(
  input: T,
  weight: T,
  bias?: T | null,
  attributes: Conv2dAttributes = {},
): T {
  return apply(ops.conv2d, bias ? [input, weight, bias] : [input, weight], attributes);
}
/** Max-pooling of NCHW `input` (attributes: poolSize, padding, an optional ReLU after it). */
export const maxPool2d = <T extends TapeTensor<T>>(input: T, attributes: MaxPool2dAttributes): T =>
  apply(ops.maxPool2d, [input], attributes);
/** Nearest-neighbour upsampling of NCHW `input` by an integer `factor`. */
export const upsample2d = <T extends TapeTensor<T>>(input: T, factor: number): T =>
  apply(ops.upsample2d, [input], { factor });
/** [N, Ca, ...] and [N, Cb, ...] joined over channels: [N, Ca + Cb, ...]. */
export const concat = <T extends TapeTensor<T>>(left: T, right: T): T => apply(ops.concat, [left, right], {});
/** max(x, 0), elementwise. */
export const relu = <T extends TapeTensor<T>>(input: T): T => apply(ops.relu, [input], none);
/** sigmoid(input); the output remembers `input` as its logits, for binaryCrossEntropy. */
export function sigmoid<T extends TapeTensor<T>>(input: T): T {
  const output = apply(ops.sigmoid, [input], none);
  logitsOf.set(output, input);
  return output;
}
/** tanh(x), elementwise. */
export const tanh = <T extends TapeTensor<T>>(input: T): T => apply(ops.tanh, [input], none);
/** softmax over the channel axis (axis 1) of [N, C, ...]: a distribution over C at every pixel. */
export const softmax = <T extends TapeTensor<T>>(input: T): T => apply(ops.softmax, [input], none);
/** left + right, elementwise (one shape, no broadcasting). */
export const add = <T extends TapeTensor<T>>(left: T, right: T): T => apply(ops.add, [left, right], none);
/** left - right, elementwise (one shape, no broadcasting). */
export const subtract = <T extends TapeTensor<T>>(left: T, right: T): T => apply(ops.subtract, [left, right], none);
/** left * right, elementwise (one shape, no broadcasting). */
export const multiply = <T extends TapeTensor<T>>(left: T, right: T): T => apply(ops.multiply, [left, right], none);
/** input * factor, a constant. */
export const scale = <T extends TapeTensor<T>>(input: T, factor: number): T => apply(ops.scale, [input], { factor });
/** The sum of every element: a scalar. */
export const sum = <T extends TapeTensor<T>>(input: T): T => apply(ops.sum, [input], none);
/** The mean of every element: a scalar. */
export const mean = <T extends TapeTensor<T>>(input: T): T => apply(ops.mean, [input], none);
/**
 * Mean binary cross-entropy of probabilities. Where `prediction` is a sigmoid's output and
 * the sigmoid's input is still alive, the loss is taken from that input, the logits, as Keras
 * takes it for a sigmoid output in a compiled model (its binary_crossentropy looks through
 * the Sigmoid op to the op's input). The value is the same as from the probabilities except
 * where the sigmoid saturates. The gradient is not: clipped to [1e-7, 1 - 1e-7], the
 * probabilities' loss is flat beyond |x| > 16.1, so an output saturated on the wrong side
 * gets no gradient and cannot recover; from the logits it gets sigmoid(x) - t. The training
 * step also skips the sigmoid's backward pass, since the gradient goes straight to x.
 * summary() shows this rewrite; binaryCrossEntropyOfProbabilities turns it off.
 */
export function binaryCrossEntropy<T extends TapeTensor<T>>(prediction: T, target: T): T {
  const logits = logitsOf.get(prediction) as T | undefined;
  if (logits && !logits.isDisposed) return apply(ops.binaryCrossEntropyFromLogits, [logits, target], none);
  return apply(ops.binaryCrossEntropy, [prediction, target], none);
}
/**
 * Mean binary cross-entropy of the probabilities as given, clipped to [1e-7, 1 - 1e-7]: the
 * switch that turns binaryCrossEntropy's look through a sigmoid off (a loss to pass to fit).
 */
export const binaryCrossEntropyOfProbabilities = <T extends TapeTensor<T>>(prediction: T, target: T): T =>
  apply(ops.binaryCrossEntropy, [prediction, target], none);
/** Mean binary cross-entropy of sigmoid(logits) against `target`, computed from the logits: max(x, 0) - xt + log(1 + e^-|x|). */
export const binaryCrossEntropyFromLogits = <T extends TapeTensor<T>>(logits: T, target: T): T =>
  apply(ops.binaryCrossEntropyFromLogits, [logits, target], none);
/**
 * Mean over pixels of the cross-entropy between softmax(logits) over the channel axis and soft
 * targets, fused for stability. A pixel's targets may sum to its weight (class rebalancing).
 */
export const softmaxCrossEntropy = <T extends TapeTensor<T>>(logits: T, targets: T): T =>
  apply(ops.softmaxCrossEntropy, [logits, targets], none);
/** The mean of (prediction - target)². */
export const meanSquaredError = <T extends TapeTensor<T>>(prediction: T, target: T): T =>
  apply(ops.meanSquaredError, [prediction, target], none);
/** The mean of |prediction - target|. */
export const meanAbsoluteError = <T extends TapeTensor<T>>(prediction: T, target: T): T =>
  apply(ops.meanAbsoluteError, [prediction, target], none);
/** The share of elements where prediction and target fall on the same side of 0.5 (Keras' binary_accuracy); no gradient. */
export const binaryAccuracy = <T extends TapeTensor<T>>(prediction: T, target: T): T =>
  apply(ops.binaryAccuracy, [prediction, target], none);
