// aelab: a WebGPU compute engine and a lab for convolutional autoencoders. The library entry,
// safe for browsers, Deno and Node alike (nothing here touches node:*). Node's file loaders,
// the download and the tuning cache are in 'aelab/node' (src/node.ts).
export { Engine, Snapshot, type EngineOptions } from './backend/engine.ts';
export { Tensor } from './backend/tensor.ts';
export { acquireDevice, runtimeName } from './backend/device.ts';
export type { KernelSource } from './backend/kernel-library.ts';
export { createEngine, ops, updateRules, type OpName, type AttributesOf } from './kernels/registry.ts';
export type { Op, HostTensor, BackwardContext } from './kernels/op.ts';
export { ReferenceEngine, ReferenceTensor } from './nn/reference-backend.ts';
export { gpuBackend, GpuBackend } from './nn/gpu-backend.ts';
export { apply, backward, noGrad, type TapeTensor, type TapeBackend } from './nn/autograd.ts';
export * as F from './nn/functional.ts';
export { Module, Conv2d, MaxPool2d, Upsample2d, ReLU, Sigmoid, Tanh, Scale, Sequential, Autoencoder, summary } from './nn/modules.ts';
export { Optimizer, RMSprop, Adam, SGD } from './nn/optimisers.ts';
export { fit, evaluate, predict, type TrainingData, type EpochLog, type Metrics } from './nn/training.ts';
export { tune, type TunedKey, type TuneOptions } from './tuning/tuner.ts';
export { notebookSplit } from './data/split.ts';
export { autoencoderData, type ImageSet } from './data/image-set.ts';
export { notebookAutoencoder } from './experiments/notebook-autoencoder.ts';
export { configurableAutoencoder, type ArchitectureConfig } from './experiments/configurable-autoencoder.ts';
export * as colour from './data/colour.ts';
export { colourMethod, METHODS, RUN_NAMES, PART1_SHAPE, type ColourMethod, type MethodName, type RunName } from './experiments/colourise/methods.ts';
export { findBins, BinSearch, type AbBins } from './experiments/colourise/ab-bins.ts';
export { colourMetrics, describeTruth, psnrs, ssim, colourfulness, abAccuracy, type ColourMetrics, type Truth } from './experiments/colourise/metrics.ts';
export * from './errors.ts';
