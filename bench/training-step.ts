// One training step of an autoencoder on the next of `batches` (images are their own targets),
// encoded with no readback, as fit() runs it: what bench:train and bench:sweep time.
import type { Engine } from '../src/backend/engine.ts';
import type { Tensor } from '../src/backend/tensor.ts';
import type { TrainingData } from '../src/nn/training.ts';
import type { Module } from '../src/nn/modules.ts';
import type { Optimizer } from '../src/nn/optimisers.ts';
import { backward } from '../src/nn/autograd.ts';
import * as F from '../src/nn/functional.ts';

export function trainingStep(engine: Engine, model: Module<Tensor>, optimizer: Optimizer, data: TrainingData, batches: readonly Uint32Array[]): () => void {
  let next = 0;
  return () => {
    const indices = batches[next++ % batches.length]!;
    const inputs = engine.tensor(data.batch(indices).inputs, [indices.length, ...data.inputShape]);
    backward(F.binaryCrossEntropy(model.forward(inputs), inputs));
    optimizer.update();
    model.zeroGrad();
  };
}
