// A whole model's gradients, checked two ways: on the GPU, the autoencoder's loss against its
// input and every parameter's gradient; on the float64 reference, against central finite
// differences.
import type { Engine } from '../../src/backend/engine.ts';
import type { Tensor } from '../../src/backend/tensor.ts';
import { backward } from '../../src/nn/autograd.ts';
import * as F from '../../src/nn/functional.ts';
import type { Module } from '../../src/nn/modules.ts';
import type { ReferenceTensor } from '../../src/nn/reference-backend.ts';
import { Random } from '../../src/random.ts';
import { finiteDifferenceError } from '../../src/checks/check.ts';

/** The loss (binary cross-entropy unless given) of `model`'s reconstruction of `images` and every parameter's gradient, read back; the parameters are disposed. */
export async function gpuLossAndGradients(
  engine: Engine,
  model: Module<Tensor>,
  images: ArrayLike<number>,
  shape: readonly number[],
  lossFunction: (prediction: Tensor, target: Tensor) => Tensor = F.binaryCrossEntropy,
): Promise<{ loss: Float32Array; gradients: Float32Array[] }> {
  const loss = await engine.scopeAsync(async () => {
    const input = engine.tensor(images, shape);
    const value = lossFunction(model.forward(input), input);
    backward(value);
    return value.read();
  });
  const parameters = model.parameters();
  const gradients = await Promise.all(parameters.map((parameter) => parameter.grad!.read()));
  parameters.forEach((parameter) => parameter.dispose());
  return { loss, gradients };
}

/**
 * A single weight moves a mean over thousands of pixels too little to stand out of float64
 * rounding, so each parameter tensor is perturbed along random +-1 directions only (the shared
 * finiteDifferenceError, without sampled coordinates). Returns, per parameter, the relative error.
 */
export function directionalGradientErrors(
  parameters: readonly ReferenceTensor[],
  gradients: readonly Float64Array[],
  loss: () => number,
  seed: number,
  directions: number,
): number[] {
  const random = new Random(seed);
  return parameters.map((parameter, i) =>
    finiteDifferenceError(parameter.data, gradients[i]!, loss, random, { coordinates: 0, directions }),
  );
}
