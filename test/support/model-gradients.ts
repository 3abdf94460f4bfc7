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
import { relativeError } from '../../src/checks/check.ts';

/** The binary cross-entropy of `model`'s reconstruction of `images` and every parameter's gradient, read back; the parameters are disposed. */
export async function gpuLossAndGradients(engine: Engine, model: Module<Tensor>, images: ArrayLike<number>, shape: readonly number[]): Promise<{ loss: Float32Array; gradients: Float32Array[] }> {
  const loss = await engine.scopeAsync(async () => {
    const input = engine.tensor(images, shape);
    const value = F.binaryCrossEntropy(model.forward(input), input);
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
 * rounding, so each parameter tensor is perturbed along random +-1 directions v:
 * (L(w + e v) - L(w - e v)) / 2e must equal g . v. Returns, per parameter, the relative error.
 */
export function directionalGradientErrors(parameters: readonly ReferenceTensor[], gradients: readonly Float64Array[], loss: () => number, seed: number, directions: number): number[] {
  const random = new Random(seed);
  const step = 1e-6;
  return parameters.map((parameter, i) => {
    const original = Float64Array.from(parameter.data);
    const numeric: number[] = [];
    const analytic: number[] = [];
    for (let direction = 0; direction < directions; direction++) {
      const v = Array.from(original, () => (random.next() < 0.5 ? -1 : 1));
      const lossAt = (epsilon: number): number => {
        parameter.data.forEach((_, j) => (parameter.data[j] = original[j]! + epsilon * v[j]!));
        return loss();
      };
      numeric.push((lossAt(step) - lossAt(-step)) / (2 * step));
      analytic.push(v.reduce((total, vj, j) => total + vj * gradients[i]![j]!, 0));
      parameter.data.set(original);
    }
    return relativeError(numeric, analytic);
  });
}
