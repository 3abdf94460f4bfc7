// Written by scripts/embed-wgsl.mjs from src/kernels's .wgsl files: the names of its kernels, as TypeScript
// sees them without the generated module (wgsl.generated.ts, built). Do not edit: add the .wgsl file.
import type { KernelSource } from '../backend/kernel-library.ts';

export declare const wgsl: {
  readonly adam: KernelSource;
  readonly add: KernelSource;
  readonly binaryAccuracy: KernelSource;
  readonly binaryCrossEntropyFromLogits: KernelSource;
  readonly binaryCrossEntropy: KernelSource;
  readonly conv2dForward: KernelSource;
  readonly conv2dInputGradient: KernelSource;
  readonly conv2dUpsampled: KernelSource;
  readonly conv2dWeightGradient: KernelSource;
  readonly maxPool2d: KernelSource;
  readonly meanAbsoluteError: KernelSource;
  readonly meanSquaredError: KernelSource;
  readonly multiply: KernelSource;
  readonly relu: KernelSource;
  readonly rmsprop: KernelSource;
  readonly scale: KernelSource;
  readonly sgd: KernelSource;
  readonly sigmoid: KernelSource;
  readonly softmaxCrossEntropy: KernelSource;
  readonly softmax: KernelSource;
  readonly subtract: KernelSource;
  readonly sum: KernelSource;
  readonly tanh: KernelSource;
  readonly upsample2d: KernelSource;
};
