// Every op, one line each, and createEngine: an engine with all their kernels compiled. Tests iterate this registry, and the test-case table is typed
// against it, so an op without test cases does not compile.
import type { Op } from './op.ts';
import { Engine, type EngineOptions } from '../backend/engine.ts';
import { acquireDevice } from '../backend/device.ts';
import { defaultWaitPolicy, driverUnrollsLoops } from '../tuning/adapter-kind.ts';
import { wgsl } from '#wgsl/kernels';
import { add } from './add.ts';
import { subtract } from './subtract.ts';
import { multiply } from './multiply.ts';
import { scale } from './scale.ts';
import { sum, mean } from './sum.ts';
import { relu } from './relu.ts';
import { sigmoid } from './sigmoid.ts';
import { tanh } from './tanh.ts';
import { softmax } from './softmax.ts';
import { softmaxCrossEntropy } from './softmax-cross-entropy.ts';
import { conv2d } from './conv2d/conv2d.ts';
import { maxPool2d } from './max-pool2d.ts';
import { upsample2d } from './upsample2d.ts';
import { concat } from './concat.ts';
import { binaryCrossEntropy } from './binary-cross-entropy.ts';
import { binaryCrossEntropyFromLogits } from './binary-cross-entropy-from-logits.ts';
import { meanSquaredError } from './mean-squared-error.ts';
import { meanAbsoluteError } from './mean-absolute-error.ts';
import { binaryAccuracy } from './binary-accuracy.ts';
import { sgd } from './sgd.ts';
import { rmsprop } from './rmsprop.ts';
import { adam } from './adam.ts';

/** Every op, by name: the table the tape, the checks and the lab look ops up in. */
export const ops = {
  add,
  subtract,
  multiply,
  scale,
  sum,
  mean,
  relu,
  sigmoid,
  tanh,
  softmax,
  conv2d,
  maxPool2d,
  upsample2d,
  concat,
  binaryCrossEntropy,
  binaryCrossEntropyFromLogits,
  softmaxCrossEntropy,
  meanSquaredError,
  meanAbsoluteError,
  binaryAccuracy,
};

/** The name of a registered op. */
export type OpName = keyof typeof ops;
/** The attribute type of an op, e.g. AttributesOf<'conv2d'> = Conv2dAttributes. */
export type AttributesOf<K extends OpName> = (typeof ops)[K] extends Op<infer A> ? A : never;

/** The optimisers' update rules, each one kernel over every parameter. */
export const updateRules = { sgd, rmsprop, adam };
export type UpdateRuleName = keyof typeof updateRules;

/**
 * Acquires a device (backend/device.ts) and wraps it in an Engine with every op's kernels
 * compiled, so that a WGSL error surfaces at start-up with its file, line and column.
 */
export async function createEngine(options: EngineOptions = {}): Promise<Engine> {
  const { device, adapterDescription, traits } = await acquireDevice();
  return Engine.create(device, {
    adapterDescription,
    traits,
    unrollLoops: !driverUnrollsLoops(traits),
    waits: defaultWaitPolicy(traits),
    kernels: Object.values(wgsl),
    ...options,
  });
}
