// aelab: a WebGPU compute engine and a lab for convolutional autoencoders.
// The entry point for Node and Deno. The data loaders read files with node:fs; in a browser,
// import the engine, kernels and nn modules from their own files.
export { Engine, type EngineOptions } from './backend/engine.ts';
export { Tensor } from './backend/tensor.ts';
export { acquireDevice, createEngine, runtimeName } from './runtime/device.ts';
export { ReferenceEngine, ReferenceTensor } from './reference/reference-engine.ts';
export { apply, backward, noGrad } from './nn/autograd.ts';
export * as F from './nn/functional.ts';
export { ops, updateRules } from './kernels/registry.ts';
export { Module, Conv2d, MaxPool2d, Upsample2d, ReLU, Sigmoid, Tanh, Sequential, Autoencoder, summary } from './nn/modules.ts';
export { Optimizer, RMSprop, Adam, SGD } from './nn/optimisers.ts';
export { fit, evaluate, predict, type TrainingData, type EpochLog, type Metrics } from './nn/training.ts';
export { loadCifar10 } from './data/cifar10.ts';
export { ensureCifar10 } from './data/download.ts';
export { loadFashionMnist } from './data/fashion-mnist.ts';
export { loadPngFolder } from './data/png-folder.ts';
export { notebookSplit } from './data/split.ts';
export { autoencoderData, type ImageSet } from './data/image-set.ts';
export { notebookAutoencoder } from './experiments/notebook-autoencoder.ts';
export * from './errors.ts';
