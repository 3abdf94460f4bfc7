// aelab: a WebGPU compute engine and a lab for convolutional autoencoders.
export { Engine, type EngineOptions } from './backend/engine.ts';
export { Tensor } from './backend/tensor.ts';
export { acquireDevice, createEngine, runtimeName } from './runtime/device.ts';
export { ReferenceEngine, ReferenceTensor } from './reference/reference-engine.ts';
export { apply, backward, noGrad } from './nn/autograd.ts';
export * as F from './nn/functional.ts';
export { ops, updateRules } from './kernels/registry.ts';
export * from './errors.ts';
