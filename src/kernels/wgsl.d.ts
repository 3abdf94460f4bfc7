// Written by scripts/embed-wgsl.mjs from src/kernels's .wgsl files: its kernels, each entry point with the
// names of its bindings and uniform fields, as TypeScript sees them without the generated module
// (wgsl.generated.ts, built): engine.dispatch is checked against them. Do not edit: edit the .wgsl file.
import type { KernelSource } from '../backend/kernel-library.ts';

export declare const wgsl: {
  readonly adam: KernelSource<{
    readonly update: { readonly bindings: 'firstMoment' | 'gradient' | 'secondMoment' | 'weight'; readonly params: 'beta1' | 'beta2' | 'count' | 'epsilon' | 'stepSize' };
  }>;
  readonly add: KernelSource<{
    readonly add: { readonly bindings: 'left' | 'output' | 'right'; readonly params: 'count' };
    readonly accumulate: { readonly bindings: 'accumulator' | 'addend'; readonly params: 'count' };
  }>;
  readonly binaryAccuracy: KernelSource<{
    readonly forward: { readonly bindings: 'expected' | 'matches' | 'prediction'; readonly params: 'count' | 'invocations' };
  }>;
  readonly binaryCrossEntropyFromLogits: KernelSource<{
    readonly loss: { readonly bindings: 'expected' | 'losses' | 'prediction'; readonly params: 'count' | 'invocations' | 'scale' };
    readonly gradient: { readonly bindings: 'expected' | 'gradOutput' | 'gradPrediction' | 'prediction'; readonly params: 'count' | 'invocations' | 'scale' };
  }>;
  readonly binaryCrossEntropy: KernelSource<{
    readonly loss: { readonly bindings: 'expected' | 'losses' | 'prediction'; readonly params: 'count' | 'invocations' | 'scale' };
    readonly gradient: { readonly bindings: 'expected' | 'gradOutput' | 'gradPrediction' | 'prediction'; readonly params: 'count' | 'invocations' | 'scale' };
  }>;
  readonly concat: KernelSource<{
    readonly place: { readonly bindings: 'input' | 'output'; readonly params: 'batch' | 'channels' | 'count' | 'first' | 'plane' };
    readonly take: { readonly bindings: 'gradInput' | 'gradOutput'; readonly params: 'batch' | 'channels' | 'count' | 'first' | 'plane' };
  }>;
  readonly conv2dForward: KernelSource<{
    readonly forward: { readonly bindings: 'bias' | 'input' | 'output' | 'weight'; readonly params: 'batch' | 'hasBias' | 'inChannels' | 'inHeight' | 'inWidth' | 'kernelHeight' | 'kernelWidth' | 'outChannels' | 'outHeight' | 'outWidth' | 'padLeft' | 'padTop' | 'relu' | 'rowsPerSplit' | 'splits' | 'stride' | 'upsample' };
  }>;
  readonly conv2dInputGradient: KernelSource<{
    readonly backward_input: { readonly bindings: 'bias' | 'gradInput' | 'gradOutput' | 'weight'; readonly params: 'batch' | 'hasBias' | 'inChannels' | 'inHeight' | 'inWidth' | 'kernelHeight' | 'kernelWidth' | 'outChannels' | 'outHeight' | 'outWidth' | 'padLeft' | 'padTop' | 'relu' | 'rowsPerSplit' | 'splits' | 'stride' | 'upsample' };
    readonly backward_input_all_phases: { readonly bindings: 'bias' | 'gradInput' | 'gradOutput' | 'weight'; readonly params: 'batch' | 'hasBias' | 'inChannels' | 'inHeight' | 'inWidth' | 'kernelHeight' | 'kernelWidth' | 'outChannels' | 'outHeight' | 'outWidth' | 'padLeft' | 'padTop' | 'relu' | 'rowsPerSplit' | 'splits' | 'stride' | 'upsample' };
  }>;
  readonly conv2dPlain: KernelSource<{
    readonly forward_plain: { readonly bindings: 'bias' | 'input' | 'output' | 'weight'; readonly params: 'batch' | 'hasBias' | 'inChannels' | 'inHeight' | 'inWidth' | 'kernelHeight' | 'kernelWidth' | 'outChannels' | 'outHeight' | 'outWidth' | 'padLeft' | 'padTop' | 'relu' | 'stride' };
  }>;
  readonly conv2dUpsampled: KernelSource<{
    readonly upsampled_weights: { readonly bindings: 'output' | 'weight'; readonly params: 'batch' | 'hasBias' | 'inChannels' | 'inHeight' | 'inWidth' | 'kernelHeight' | 'kernelWidth' | 'outChannels' | 'outHeight' | 'outWidth' | 'padLeft' | 'padTop' | 'relu' | 'rowsPerSplit' | 'splits' | 'stride' | 'upsample' };
    readonly upsampled_weight_gradient: { readonly bindings: 'input' | 'output'; readonly params: 'batch' | 'hasBias' | 'inChannels' | 'inHeight' | 'inWidth' | 'kernelHeight' | 'kernelWidth' | 'outChannels' | 'outHeight' | 'outWidth' | 'padLeft' | 'padTop' | 'relu' | 'rowsPerSplit' | 'splits' | 'stride' | 'upsample' };
    readonly bias_gradient_partial: { readonly bindings: 'gradOutput' | 'partialSums'; readonly params: 'batch' | 'hasBias' | 'inChannels' | 'inHeight' | 'inWidth' | 'kernelHeight' | 'kernelWidth' | 'outChannels' | 'outHeight' | 'outWidth' | 'padLeft' | 'padTop' | 'relu' | 'rowsPerSplit' | 'splits' | 'stride' | 'upsample' };
    readonly bias_gradient_partial_quads: { readonly bindings: 'gradOutputQuads' | 'partialSums'; readonly params: 'batch' | 'hasBias' | 'inChannels' | 'inHeight' | 'inWidth' | 'kernelHeight' | 'kernelWidth' | 'outChannels' | 'outHeight' | 'outWidth' | 'padLeft' | 'padTop' | 'relu' | 'rowsPerSplit' | 'splits' | 'stride' | 'upsample' };
  }>;
  readonly conv2dWeightGradient: KernelSource<{
    readonly weight_gradient_partial: { readonly bindings: 'gradOutput' | 'input' | 'partialSums'; readonly params: 'batch' | 'hasBias' | 'inChannels' | 'inHeight' | 'inWidth' | 'kernelHeight' | 'kernelWidth' | 'outChannels' | 'outHeight' | 'outWidth' | 'padLeft' | 'padTop' | 'relu' | 'rowsPerSplit' | 'splits' | 'stride' | 'upsample' };
  }>;
  readonly maxPool2d: KernelSource<{
    readonly forward: { readonly bindings: 'input' | 'output'; readonly params: 'batch' | 'channels' | 'inHeight' | 'inWidth' | 'outHeight' | 'outWidth' | 'padLeft' | 'padTop' | 'relu' };
    readonly backward_windows: { readonly bindings: 'gradInput' | 'gradOutput' | 'input'; readonly params: 'batch' | 'channels' | 'inHeight' | 'inWidth' | 'outHeight' | 'outWidth' | 'padLeft' | 'padTop' | 'relu' };
    readonly backward: { readonly bindings: 'gradInput' | 'gradOutput' | 'input'; readonly params: 'batch' | 'channels' | 'inHeight' | 'inWidth' | 'outHeight' | 'outWidth' | 'padLeft' | 'padTop' | 'relu' };
    readonly forward_quads: { readonly bindings: 'inputQuads' | 'outputPairs'; readonly params: 'batch' | 'channels' | 'inHeight' | 'inWidth' | 'outHeight' | 'outWidth' | 'padLeft' | 'padTop' | 'relu' };
    readonly backward_quads: { readonly bindings: 'gradInputQuads' | 'gradOutputPairs' | 'inputQuads'; readonly params: 'batch' | 'channels' | 'inHeight' | 'inWidth' | 'outHeight' | 'outWidth' | 'padLeft' | 'padTop' | 'relu' };
  }>;
  readonly meanAbsoluteError: KernelSource<{
    readonly loss: { readonly bindings: 'expected' | 'losses' | 'prediction'; readonly params: 'count' | 'invocations' | 'scale' };
    readonly gradient: { readonly bindings: 'expected' | 'gradOutput' | 'gradPrediction' | 'prediction'; readonly params: 'count' | 'invocations' | 'scale' };
  }>;
  readonly meanSquaredError: KernelSource<{
    readonly loss: { readonly bindings: 'expected' | 'losses' | 'prediction'; readonly params: 'count' | 'invocations' | 'scale' };
    readonly gradient: { readonly bindings: 'expected' | 'gradOutput' | 'gradPrediction' | 'prediction'; readonly params: 'count' | 'invocations' | 'scale' };
  }>;
  readonly multiply: KernelSource<{
    readonly multiply: { readonly bindings: 'left' | 'output' | 'right'; readonly params: 'count' };
  }>;
  readonly relu: KernelSource<{
    readonly forward: { readonly bindings: 'input' | 'output'; readonly params: 'count' };
    readonly backward: { readonly bindings: 'gradInput' | 'gradOutput' | 'input'; readonly params: 'count' };
  }>;
  readonly rmsprop: KernelSource<{
    readonly update: { readonly bindings: 'gradient' | 'meanSquare' | 'weight'; readonly params: 'count' | 'epsilon' | 'learningRate' | 'rho' };
  }>;
  readonly scale: KernelSource<{
    readonly scale: { readonly bindings: 'input' | 'output'; readonly params: 'count' | 'factor' };
  }>;
  readonly sgd: KernelSource<{
    readonly update: { readonly bindings: 'gradient' | 'velocity' | 'weight'; readonly params: 'count' | 'learningRate' | 'momentum' };
  }>;
  readonly sigmoid: KernelSource<{
    readonly forward: { readonly bindings: 'input' | 'output'; readonly params: 'count' };
    readonly backward: { readonly bindings: 'gradInput' | 'gradOutput' | 'output'; readonly params: 'count' };
  }>;
  readonly softmaxCrossEntropy: KernelSource<{
    readonly loss: { readonly bindings: 'logits' | 'losses' | 'targets'; readonly params: 'batch' | 'channels' | 'plane' | 'scale' };
    readonly gradient: { readonly bindings: 'gradLogits' | 'gradOutput' | 'logits' | 'targets'; readonly params: 'batch' | 'channels' | 'plane' | 'scale' };
  }>;
  readonly softmax: KernelSource<{
    readonly forward: { readonly bindings: 'input' | 'output'; readonly params: 'batch' | 'channels' | 'plane' };
    readonly backward: { readonly bindings: 'gradInput' | 'gradOutput' | 'output'; readonly params: 'batch' | 'channels' | 'plane' };
  }>;
  readonly subtract: KernelSource<{
    readonly subtract: { readonly bindings: 'left' | 'output' | 'right'; readonly params: 'count' };
  }>;
  readonly sum: KernelSource<{
    readonly sum_partial: { readonly bindings: 'input' | 'output'; readonly params: 'columns' | 'count' | 'firstColumn' | 'rowLength' | 'scale' | 'splitColumn' };
    readonly sum_rows: { readonly bindings: 'input' | 'output'; readonly params: 'columns' | 'count' | 'firstColumn' | 'rowLength' | 'scale' | 'splitColumn' };
    readonly sum_rows_pair: { readonly bindings: 'input' | 'output' | 'outputTail'; readonly params: 'columns' | 'count' | 'firstColumn' | 'rowLength' | 'scale' | 'splitColumn' };
    readonly broadcast: { readonly bindings: 'input' | 'output'; readonly params: 'columns' | 'count' | 'firstColumn' | 'rowLength' | 'scale' | 'splitColumn' };
  }>;
  readonly tanh: KernelSource<{
    readonly forward: { readonly bindings: 'input' | 'output'; readonly params: 'count' };
    readonly backward: { readonly bindings: 'gradInput' | 'gradOutput' | 'output'; readonly params: 'count' };
  }>;
  readonly upsample2d: KernelSource<{
    readonly forward: { readonly bindings: 'input' | 'output'; readonly params: 'batch' | 'channels' | 'factor' | 'inHeight' | 'inWidth' };
    readonly backward: { readonly bindings: 'gradInput' | 'gradOutput'; readonly params: 'batch' | 'channels' | 'factor' | 'inHeight' | 'inWidth' };
  }>;
};
