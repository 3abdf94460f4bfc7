// What the kernel benchmark times: each op application of the notebook autoencoder's training
// step at its real shapes, and the work (FLOPs or bytes) each pass does.
import type { OpName } from '../kernels/registry.ts';
import { sizeOf, type Shape } from '../shapes.ts';
import { upsampledMultiplyAddShare } from '../kernels/conv2d/conv2d.ts';

/** One op application at the model's shapes: inputs, attributes, and the work it does. */
export interface Workload {
  readonly name: OpName;
  readonly label: string;
  readonly inputs: readonly { shape: Shape; low?: number; high?: number }[];
  readonly attributes: unknown;
  /**
   * Which of its passes the training step runs (default all): none (the unfused
   * upsample-then-conv pair, shown for comparison), or not the input gradient (the first conv,
   * whose input is the data).
   */
  readonly inTrainingStep?: 'none' | 'not the input gradient';
}

export function notebookWorkloads(batch: number): Workload[] {
  // Each pass as the model's training step runs it (Sequential's fusions, modules.ts): the
  // hidden convs carry their fused ReLU, except the two before a max-pool, which hand it to the
  // pool; the decoder's upsample-then-conv pairs run as conv2d with upsample ('upsample+conv'),
  // and the plain upsample and conv rows at those shapes are the unfused pair, for comparison.
  const conv = (
    label: string,
    inChannels: number,
    outChannels: number,
    size: number,
    activation: 'relu' | 'linear',
    upsample = 1,
    inTrainingStep?: Workload['inTrainingStep'],
  ): Workload => ({
    name: 'conv2d',
    label,
    ...(inTrainingStep ? { inTrainingStep } : {}),
    inputs: [
      { shape: [batch, inChannels, size / upsample, size / upsample] },
      { shape: [outChannels, inChannels, 3, 3] },
      { shape: [outChannels] },
    ],
    attributes: { padding: 'same', activation, ...(upsample > 1 ? { upsample } : {}) },
  });
  const image = (channels: number, size: number) => [batch, channels, size, size];
  return [
    conv('conv 3->8 @32', 3, 8, 32, 'linear', 1, 'not the input gradient'),
    {
      name: 'maxPool2d',
      label: 'pool+relu 8@32',
      inputs: [{ shape: image(8, 32) }],
      attributes: { poolSize: 2, padding: 'same', activation: 'relu' },
    },
    conv('conv 8->12 @16', 8, 12, 16, 'linear'),
    {
      name: 'maxPool2d',
      label: 'pool+relu 12@16',
      inputs: [{ shape: image(12, 16) }],
      attributes: { poolSize: 2, padding: 'same', activation: 'relu' },
    },
    conv('conv 12->16 @8', 12, 16, 8, 'relu'),
    {
      name: 'upsample2d',
      label: 'upsample 16@8',
      inputs: [{ shape: image(16, 8) }],
      attributes: { factor: 2 },
      inTrainingStep: 'none',
    },
    conv('conv 16->12 @16', 16, 12, 16, 'relu', 1, 'none'),
    conv('upsample+conv 16->12 @16', 16, 12, 16, 'relu', 2),
    {
      name: 'upsample2d',
      label: 'upsample 12@16',
      inputs: [{ shape: image(12, 16) }],
      attributes: { factor: 2 },
      inTrainingStep: 'none',
    },
    conv('conv 12->3 @32', 12, 3, 32, 'linear', 1, 'none'),
    conv('upsample+conv 12->3 @32', 12, 3, 32, 'linear', 2),
    { name: 'sigmoid', label: 'sigmoid 3@32', inputs: [{ shape: image(3, 32) }], attributes: {} },
    {
      name: 'binaryCrossEntropy',
      label: 'bce 3@32',
      inputs: [
        { shape: image(3, 32), low: 0.05, high: 0.95 },
        { shape: image(3, 32), low: 0.05, high: 0.95 },
      ],
      attributes: {},
    },
  ];
}

/**
 * FLOPs of a conv pass (2 per multiply-add) as its kernels execute them and as the direct
 * convolution counts them, or bytes moved by a memory-bound pass.
 */
export function work(
  workload: Workload,
  pass: string,
  outputSize: number,
): { flops?: number; directFlops?: number; bytes?: number } {
  const inputSize = sizeOf(workload.inputs[0]!.shape);
  if (workload.name === 'conv2d') {
    const [, inChannels, kernel] = workload.inputs[1]!.shape as [number, number, number];
    // The whole backward computes the input and the weight gradients: twice the forward.
    const passes = pass === 'backward input+weight+bias' ? 2 : 1;
    const directFlops = 2 * passes * outputSize * inChannels * kernel * kernel;
    const upsample = (workload.attributes as { upsample?: number }).upsample ?? 1;
    return {
      flops: directFlops * (upsample === 1 ? 1 : upsampledMultiplyAddShare(kernel, kernel, upsample)),
      directFlops,
    };
  }
  const floats =
    pass === 'forward'
      ? inputSize * workload.inputs.length + outputSize
      : inputSize * (workload.inputs.length + 1) + outputSize;
  return { bytes: 4 * floats };
}
