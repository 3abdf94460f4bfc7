// aelab: a WebGPU compute engine and a lab for convolutional autoencoders. The library entry,
// safe for browsers, Deno and Node alike (nothing here touches node:*). Node's file loaders,
// the download and the tuning cache are in 'aelab/node' (src/node.ts).
export { Engine, Snapshot, type EngineOptions } from './backend/engine.ts';
export { Tensor } from './backend/tensor.ts';
export { acquireDevice, runtimeName } from './backend/device.ts';
export { kernelSource, type KernelSource } from './backend/kernel-library.ts';
export { createEngine, ops, updateRules, type OpName, type AttributesOf } from './kernels/registry.ts';
export { defineOp, type Op, type HostTensor, type BackwardContext } from './kernels/op.ts';
export { ReferenceEngine, ReferenceTensor } from './nn/reference-backend.ts';
export { gpuBackend, GpuBackend } from './nn/gpu-backend.ts';
export { apply, backward, noGrad, type TapeTensor, type TapeBackend } from './nn/autograd.ts';
export * as F from './nn/functional.ts';
export {
  Module,
  StatelessModule,
  Conv2d,
  MaxPool2d,
  Upsample2d,
  ReLU,
  Sigmoid,
  Tanh,
  Scale,
  glorotUniform,
  type Layer,
  type ModuleBackend,
  type Conv2dOptions,
  type ShapeStep,
} from './nn/modules.ts';
export {
  Sequential,
  Autoencoder,
  summary,
  rewrites,
  setFusions,
  requireOutputShape,
  type Fusions,
} from './nn/sequential.ts';
export { saveWeights, loadWeights } from './nn/weights.ts';
export {
  layerModelAutoencoder,
  layerModelSummary,
  splitAtBottleneck,
  isLayerModel,
  sideMultiple,
  type LayerModel,
  type LayerSpec,
} from './nn/layer-model.ts';
export { onnxModel, ONNX_OPSET, OnnxExportError, type OnnxOptions } from './nn/onnx.ts';
export { CheckpointError } from './nn/safetensors.ts';
export {
  gradcheck,
  formatGradcheck,
  type GradcheckInput,
  type GradcheckOptions,
  type GradcheckReport,
  type GradcheckRow,
} from './checks/gradcheck.ts';
export { Random, setDefaultSeed } from './random.ts';
export type { Shape, Padding } from './shapes.ts';
export { Optimizer, RMSprop, Adam, SGD } from './nn/optimisers.ts';
export {
  fit,
  evaluate,
  predict,
  type TrainingData,
  type EpochLog,
  type Metrics,
  type FitOptions,
  type Progress,
  type LossFunction,
} from './nn/training.ts';
export { tune, type TunedKey, type TuneOptions } from './tuning/tuner.ts';
export { notebookSplit } from './data/split.ts';
export { autoencoderData, subset, DataError, type ImageSet, type ImageBatches } from './data/image-set.ts';
export { notebookAutoencoder } from './experiments/notebook-autoencoder.ts';
export {
  architectureAutoencoder,
  describedAutoencoder,
  type ArchitectureConfig,
  type ModelDescription,
} from './experiments/configurable-autoencoder.ts';
export * as colour from './data/colour.ts';
export {
  colourMethod,
  METHODS,
  RUN_NAMES,
  PART1_SHAPE,
  type ColourMethod,
  type MethodName,
  type RunName,
} from './experiments/colourise/methods.ts';
export { findBins, BinSearch, type AbBins } from './experiments/colourise/ab-bins.ts';
export {
  colourMetrics,
  describeTruth,
  psnrs,
  ssim,
  colourfulness,
  abAccuracy,
  type ColourMetrics,
  type Truth,
} from './experiments/colourise/metrics.ts';
export * from './errors.ts';
