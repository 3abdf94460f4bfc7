// The parity cases of every op: one line each, with shapes and attributes. The table is typed
// against the op registry, so an op without cases is a compile error. Inputs are drawn fresh
// from a seeded generator (never zeros) in the range each input spec gives.
import type { AttributesOf, OpName } from '../kernels/registry.ts';
import type { Shape } from '../shapes.ts';
import { Random } from '../random.ts';

export interface InputSpec {
  readonly shape: Shape;
  /** Value range; default [-1, 1]. */
  readonly low?: number;
  readonly high?: number;
  /** Round the drawn values to integers (0/1 targets). */
  readonly round?: boolean;
}

export interface ParityCase<A> {
  readonly inputs: readonly InputSpec[];
  readonly attributes: A;
  /** The gradient is zero everywhere by design here; without this, a zero gradient fails the case. */
  readonly zeroGradient?: boolean;
}

const none = {} as Record<string, never>;
const plain = (...shapes: Shape[]): InputSpec[] => shapes.map((shape) => ({ shape }));
/** A probability and a target in (0, 1), for the cross-entropy on probabilities. */
const probabilities = (shape: Shape): InputSpec[] => [
  { shape, low: 0.05, high: 0.95 },
  { shape, low: 0.05, high: 0.95 },
];

const CHANNELS = [1, 2, 3, 5, 12, 17];
const SIZES: [number, number][] = [
  [7, 9],
  [9, 7],
  [8, 8],
  [5, 6],
  [11, 5],
];

/** 16 seeded conv2d cases: every kernel size x stride x padding, with drawn batch, channels and size. */
function conv2dCases(): ParityCase<AttributesOf<'conv2d'>>[] {
  const random = new Random(2020);
  const cases: ParityCase<AttributesOf<'conv2d'>>[] = [];
  for (const kernel of [1, 2, 3, 5])
    for (const stride of [1, 2])
      for (const padding of ['same', 'valid'] as const) {
        const [height, width] = random.pick(SIZES);
        const batch = random.integer(1, 4);
        const inChannels = random.pick(CHANNELS);
        const outChannels = random.pick(CHANNELS);
        cases.push({
          inputs: plain([batch, inChannels, height, width], [outChannels, inChannels, kernel, kernel], [outChannels]),
          attributes: { stride, padding },
        });
      }
  return cases;
}

/** Seeded maxPool2d cases: pool sizes 1-4 (some not dividing the size), strides, both paddings. */
function maxPool2dCases(): ParityCase<AttributesOf<'maxPool2d'>>[] {
  const random = new Random(2021);
  const cases: ParityCase<AttributesOf<'maxPool2d'>>[] = [];
  for (const poolSize of [1, 2, 3, 4])
    for (const stride of [undefined, 1, 2])
      for (const padding of ['same', 'valid'] as const) {
        const [height, width] = random.pick(SIZES);
        cases.push({
          inputs: plain([random.integer(1, 4), random.pick(CHANNELS), height, width]),
          attributes: { poolSize, stride, padding },
        });
      }
  return cases;
}

export const opCases: { readonly [K in OpName]: readonly ParityCase<AttributesOf<K>>[] } = {
  add: [
    { inputs: plain([2, 3, 7, 9], [2, 3, 7, 9]), attributes: none },
    { inputs: plain([17], [17]), attributes: none },
  ],
  subtract: [
    { inputs: plain([2, 3, 7, 9], [2, 3, 7, 9]), attributes: none },
    { inputs: plain([5, 12], [5, 12]), attributes: none },
  ],
  multiply: [
    { inputs: plain([2, 3, 7, 9], [2, 3, 7, 9]), attributes: none },
    { inputs: plain([1, 1, 1, 3], [1, 1, 1, 3]), attributes: none },
  ],
  scale: [
    { inputs: plain([3, 5, 7, 9]), attributes: { factor: -2.5 } },
    { inputs: plain([4]), attributes: { factor: 0.125 } },
  ],
  sum: [
    { inputs: plain([4, 17, 9, 7]), attributes: none },
    { inputs: plain([3]), attributes: none },
    { inputs: plain([2, 3, 32, 32]), attributes: none },
  ],
  mean: [
    { inputs: plain([4, 17, 9, 7]), attributes: none },
    { inputs: plain([1]), attributes: none },
    { inputs: plain([32, 3, 32, 32]), attributes: none },
  ],
  relu: [
    { inputs: plain([2, 5, 7, 9]), attributes: none },
    { inputs: plain([3, 12, 8, 8]), attributes: none },
  ],
  sigmoid: [{ inputs: [{ shape: [2, 5, 7, 9], low: -6, high: 6 }], attributes: none }],
  softmax: [
    { inputs: plain([2, 5, 7, 9]), attributes: none }, // over the channels of NCHW images
    { inputs: [{ shape: [3, 17, 4, 5], low: -8, high: 8 }], attributes: none }, // wide logits: the largest is subtracted first
    { inputs: plain([2, 313, 2, 3]), attributes: none }, // 313 channels, as Zhang et al.'s ab bins
    { inputs: plain([6, 10]), attributes: none }, // [batch, classes]
    { inputs: plain([4, 1, 3, 3]), attributes: none, zeroGradient: true }, // one channel: y = 1, no gradient by design
  ],
  tanh: [{ inputs: [{ shape: [2, 5, 7, 9], low: -3, high: 3 }], attributes: none }],
  conv2d: [
    ...conv2dCases(),
    { inputs: plain([2, 3, 32, 32], [8, 3, 3, 3], [8]), attributes: { padding: 'same' } }, // the notebook's first layer
    // The plain kernel (conv2d/plain.wgsl): padding, stride 2, no bias, a non-square kernel, ReLU.
    { inputs: plain([2, 3, 32, 32], [8, 3, 3, 3], [8]), attributes: { padding: 'same', plain: true } },
    { inputs: plain([1, 5, 9, 7], [3, 5, 3, 2]), attributes: { stride: 2, padding: 'same', plain: true } },
    {
      inputs: plain([2, 8, 16, 16], [12, 8, 3, 3], [12]),
      attributes: { padding: 'same', activation: 'relu', plain: true },
    },
    { inputs: plain([2, 3, 9, 7], [5, 3, 5, 5], [5]), attributes: { padding: [2, 0, 1, 1], plain: true } },
    { inputs: plain([1, 5, 7, 9], [3, 5, 3, 2]), attributes: { padding: 'same' } }, // no bias, non-square kernel
    { inputs: plain([2, 2, 7, 9], [3, 2, 3, 3], [3]), attributes: { padding: [1, 0, 2, 1] } }, // explicit padding
    { inputs: plain([1, 2, 9, 7], [5, 2, 4, 4], [5]), attributes: { stride: 2, padding: 'same' } }, // even kernel, stride 2
    { inputs: plain([2, 3, 3, 2], [2, 3, 5, 5], [2]), attributes: { padding: 'same' } }, // kernel larger than the input
    { inputs: plain([2, 8, 16, 16], [12, 8, 3, 3], [12]), attributes: { padding: 'same', activation: 'relu' } }, // the notebook's second layer, ReLU fused
    { inputs: plain([1, 5, 7, 9], [3, 5, 3, 3]), attributes: { stride: 2, padding: 'same', activation: 'relu' } }, // ReLU fused, no bias
    { inputs: plain([2, 3, 9, 7], [17, 3, 5, 5], [17]), attributes: { padding: 'valid', activation: 'relu' } }, // ReLU fused, a channel tail
    {
      inputs: plain([2, 16, 8, 8], [12, 16, 3, 3], [12]),
      attributes: { padding: 'same', activation: 'relu', upsample: 2 },
    }, // the notebook's decoder: UpSampling2D then Conv2D
    { inputs: plain([1, 5, 3, 4], [3, 5, 5, 5], [3]), attributes: { padding: 'same', upsample: 2 } }, // upsampled, 5x5 kernel
    { inputs: plain([2, 3, 4, 5], [2, 3, 3, 2]), attributes: { padding: 'valid', upsample: 3 } }, // upsampled by 3, no bias, non-square kernel
    {
      inputs: plain([1, 2, 5, 3], [3, 2, 3, 3], [3]),
      attributes: { padding: [2, 0, 1, 1], upsample: 2, activation: 'relu' },
    }, // upsampled, explicit padding
    { inputs: plain([1, 2, 3, 3], [2, 2, 3, 3], [2]), attributes: { padding: 'valid', upsample: 3 } }, // upsampled by 3 with a bias: 7 x 7 planes, no whole number of quads (the bias gradient's scalar kernel)
  ],
  maxPool2d: [
    ...maxPool2dCases(),
    { inputs: plain([2, 3, 32, 32]), attributes: { poolSize: 3, padding: 'same' } },
    { inputs: plain([2, 8, 32, 32]), attributes: { poolSize: 2, padding: 'same', activation: 'relu' } }, // the notebook's first pool, with its conv's ReLU
    { inputs: plain([2, 5, 9, 7]), attributes: { poolSize: 3, stride: 1, padding: 'same', activation: 'relu' } }, // ReLU, overlapping windows
    { inputs: plain([1, 3, 7, 9]), attributes: { poolSize: 2, padding: 'valid', activation: 'relu' } }, // ReLU, a row and a column no window covers
  ],
  upsample2d: [
    { inputs: plain([2, 3, 7, 9]), attributes: { factor: 2 } },
    { inputs: plain([1, 5, 3, 4]), attributes: { factor: 3 } },
    { inputs: plain([3, 2, 5, 5]), attributes: { factor: 1 } },
  ],
  concat: [
    { inputs: plain([2, 3, 7, 9], [2, 5, 7, 9]), attributes: none },
    { inputs: plain([1, 1, 4, 4], [1, 1, 4, 4]), attributes: none },
    { inputs: plain([3, 16, 8, 8], [3, 12, 8, 8]), attributes: none }, // a U-Net's skip at the bottleneck's side
  ],
  binaryCrossEntropy: [
    { inputs: probabilities([2, 3, 7, 9]), attributes: none },
    { inputs: probabilities([32, 3, 32, 32]), attributes: none },
  ],
  binaryCrossEntropyFromLogits: [
    {
      inputs: [
        { shape: [2, 3, 7, 9], low: -8, high: 8 },
        { shape: [2, 3, 7, 9], low: 0, high: 1 },
      ],
      attributes: none,
    },
    {
      inputs: [
        { shape: [32, 3, 32, 32], low: -8, high: 8 },
        { shape: [32, 3, 32, 32], low: 0, high: 1 },
      ],
      attributes: none,
    }, // the notebook's batch: 48 workgroups, sums of two passes
  ],
  softmaxCrossEntropy: [
    {
      inputs: [
        { shape: [2, 5, 7, 9], low: -3, high: 3 },
        { shape: [2, 5, 7, 9], low: 0, high: 1 },
      ],
      attributes: none,
    }, // targets of any mass: weighted
    {
      inputs: [
        { shape: [3, 17, 4, 5], low: -20, high: 20 },
        { shape: [3, 17, 4, 5], low: 0, high: 2 },
      ],
      attributes: none,
    }, // wide logits: the largest is subtracted first
    {
      inputs: [
        { shape: [1, 313, 2, 1], low: -4, high: 4 },
        { shape: [1, 313, 2, 1], low: 0, high: 0.1 },
      ],
      attributes: none,
    }, // 313 ab bins (two pixels: a mass of about 16 each leaves the finite differences enough signal)
    { inputs: [{ shape: [6, 10] }, { shape: [6, 10], low: 0, high: 1 }], attributes: none }, // [batch, classes]
    {
      inputs: [
        { shape: [32, 64, 16, 16], low: -4, high: 4 },
        { shape: [32, 64, 16, 16], low: 0, high: 0.1 },
      ],
      attributes: none,
    }, // a training batch: sums of two passes
  ],
  meanSquaredError: [{ inputs: plain([2, 3, 7, 9], [2, 3, 7, 9]), attributes: none }],
  meanAbsoluteError: [{ inputs: plain([2, 3, 7, 9], [2, 3, 7, 9]), attributes: none }],
  binaryAccuracy: [
    {
      inputs: [
        { shape: [2, 3, 7, 9], low: 0, high: 1 },
        { shape: [2, 3, 7, 9], low: 0, high: 1, round: true },
      ],
      attributes: none,
    },
    {
      inputs: [
        { shape: [32, 3, 32, 32], low: 0, high: 1 },
        { shape: [32, 3, 32, 32], low: 0, high: 1, round: true },
      ],
      attributes: none,
    },
  ],
};

export function describeCase(spec: ParityCase<unknown>): string {
  const shapes = spec.inputs.map((input) => `[${input.shape.join('x')}]`).join(' ');
  const attributes = JSON.stringify(spec.attributes);
  return attributes === '{}' ? shapes : `${shapes} ${attributes}`;
}
