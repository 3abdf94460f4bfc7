// One training step of an autoencoder on the next of `batches` (images are their own targets),
// encoded with no readback, as fit() runs it: what bench:train, bench:sweep, bench:runtimes and
// bench:browser time; the batches they draw, and the FLOPs a step does per image.
import type { Engine } from '../src/backend/engine.ts';
import type { Tensor } from '../src/backend/tensor.ts';
import type { TrainingData } from '../src/nn/training.ts';
import type { Module } from '../src/nn/modules.ts';
import { convRunAt, type Autoencoder } from '../src/nn/sequential.ts';
import { batchesOf, epochOrder } from '../src/nn/batches.ts';
import { upsampledMultiplyAddShare } from '../src/kernels/conv2d/conv2d.ts';
import type { Optimizer } from '../src/nn/optimisers.ts';
import { backward } from '../src/nn/autograd.ts';
import * as F from '../src/nn/functional.ts';
import { QUEUED_MILLISECONDS } from '../src/nn/training.ts';
import { measure } from '../src/tuning/measure.ts';

export function trainingStep(
  engine: Engine,
  model: Module<Tensor>,
  optimizer: Optimizer,
  data: TrainingData,
  batches: readonly Uint32Array[],
): () => void {
  let next = 0;
  return () => {
    const indices = batches[next++ % batches.length]!;
    const inputs = engine.tensor(data.batch(indices).inputs, [indices.length, ...data.inputShape]);
    backward(F.binaryCrossEntropy(model.forward(inputs), inputs));
    optimizer.update();
    model.zeroGrad();
  };
}

/**
 * A turn of fastestInAlternatingRounds that times `step` as fit() queues it: each sample holds
 * as much work before its wait as fit() lets the CPU queue (under Deno a wait costs about 11 ms).
 */
export const timeStep = (engine: Engine, step: () => void) => () =>
  measure(engine, step, { samples: 3, targetSampleMilliseconds: QUEUED_MILLISECONDS });

/** Epoch 1's shuffled batches of `count` examples (seed 1), the last one dropped when it is short. */
export function fullBatches(count: number, batchSize: number): Uint32Array[] {
  return [...batchesOf(epochOrder(count, 1, 1, true), batchSize)].filter((batch) => batch.length === batchSize);
}

/**
 * A training step's FLOPs per 3 x 32 x 32 image: the forward pass, and the backward pass of each
 * conv to its weights and (except the first, whose input is the data) to its input, i.e. 3x the
 * forward less one first-layer input gradient, counted as direct convolutions; and as the
 * kernels execute them: the decoder runs each upsample-then-conv pair as a transposed
 * convolution (conv2d.ts), whose three passes each execute a share of the direct multiply-adds.
 */
export function trainingFlops(model: Autoencoder<Tensor>): { flopsPerImage: number; executedFlopsPerImage: number } {
  const image = [1, 3, 32, 32];
  const flopsPerImage = 3 * model.flops(image) - model.encoder.layers[0]!.flops(image);
  let executedFlopsPerImage = flopsPerImage;
  let shape = model.encoder.outputShape(image);
  model.decoder.layers.forEach((layer, i) => {
    const run = convRunAt(model.decoder.layers, i, model.decoder.fusions);
    if (run && run.upsample > 1) {
      const { kernelSize } = run.conv.options;
      executedFlopsPerImage -=
        3 *
        run.conv.flops(layer.outputShape(shape)) *
        (1 - upsampledMultiplyAddShare(kernelSize, kernelSize, run.upsample));
    }
    shape = layer.outputShape(shape);
  });
  return { flopsPerImage, executedFlopsPerImage };
}
