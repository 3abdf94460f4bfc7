// Part 2's configurable model: every layer's shape in all 36 configurations against a table
// written from Keras' shape rules, and a 5x5-kernel model's gradients through the whole model
// against the float64 reference (GPU) and central finite differences (the reference).
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/nn/autograd.ts';
import * as F from '../../src/nn/functional.ts';
import { ReferenceEngine, type ReferenceTensor } from '../../src/nn/reference-backend.ts';
import { architectureAutoencoder, type ArchitectureConfig } from '../../src/experiments/configurable-autoencoder.ts';
import { gridTrials, NOTEBOOK_GRID } from '../../src/experiments/sweep-grid.ts';
import { Random } from '../../src/random.ts';
import { FLOAT32_TOLERANCE, GRADIENT_CHECK_TOLERANCE, relativeError } from '../../src/checks/check.ts';
import { testEngine } from '../support/engine.ts';
import { directionalGradientErrors, gpuLossAndGradients } from '../support/model-gradients.ts';

/**
 * Keras: Conv2D 'same' keeps H x W; MaxPooling2D(c, 'same') gives ceil(n / c) (pool 4 on 8: 2);
 * UpSampling2D(c) multiplies by c. Compression 1 leaves the identities out. Each layer's
 * output side, encoder then decoder (the sigmoid after it keeps it), by (fewer_layers, compression).
 */
const SIDES: Record<string, number[]> = {
  'fewer 1': [32, 32, 32],
  'fewer 2': [32, 16, 16, 32, 32],
  'fewer 4': [32, 8, 8, 32, 32],
  'full 1': [32, 32, 32, 32, 32],
  'full 2': [32, 16, 16, 8, 8, 16, 16, 32, 32],
  'full 4': [32, 8, 8, 2, 2, 8, 8, 32, 32],
};
/** Each layer's output channels, with channel factor f: conv(3), [pool, conv(3f)], pool, conv(4f) | [up, conv(3f)], up, conv(3), sigmoid. */
function channels(fewer: boolean, compression: number, f: number): number[] {
  const pooled = compression > 1;
  const encoder = fewer
    ? [3, ...(pooled ? [3] : []), 4 * f]
    : [3, ...(pooled ? [3] : []), 3 * f, ...(pooled ? [3 * f] : []), 4 * f];
  const decoder = fewer
    ? [...(pooled ? [4 * f] : []), 3, 3]
    : [...(pooled ? [4 * f] : []), 3 * f, ...(pooled ? [3 * f] : []), 3, 3];
  return [...encoder, ...decoder];
}

describe('the configurable autoencoder (Part 2)', () => {
  const reference = new ReferenceEngine();
  const trials = gridTrials(NOTEBOOK_GRID);

  it("has the notebook's 36 trials, numbered in its order", () => {
    expect(trials).toHaveLength(36);
    expect(trials[0]!.name).toBe('01-fewer-c2-k3-x1');
    expect(trials[5]!.name).toBe('06-fewer-c2-k5-x4');
    expect(trials[17]!.name).toBe('18-fewer-c8-k5-x4');
    expect(trials[18]!.name).toBe('19-full-c2-k3-x1');
    expect(trials[35]!.name).toBe('36-full-c8-k5-x4');
  });

  it.each(trials.map((trial) => [trial.name, trial] as const))(
    "%s: every layer's shape and the latent size follow Keras' rules",
    (_, trial) => {
      const { fewerLayers, compression, channelFactor } = trial.architecture;
      const model = architectureAutoencoder(reference, trial.architecture, 1);
      let shape: readonly number[] = [1, 3, 32, 32];
      const layers = [...model.encoder.layers, ...model.decoder.layers];
      const sides = SIDES[`${fewerLayers ? 'fewer' : 'full'} ${compression}`]!;
      const expectedChannels = channels(fewerLayers, compression, channelFactor);
      const seen = layers.map((layer) => (shape = layer.outputShape(shape)));
      expect(seen.map((s) => s[2])).toEqual(sides.concat(32));
      expect(seen.map((s) => s[1])).toEqual(expectedChannels);
      const latentSide = sides[model.encoder.layers.length - 1]!;
      expect(trial.latentSize).toBe(4 * channelFactor * latentSide * latentSide);
      expect(model.latentShape([3, 32, 32])).toEqual([4 * channelFactor, latentSide, latentSide]);
    },
  );

  it("the notebook's latent formula differs where the pools were miscounted", () => {
    const byName = new Map(trials.map((trial) => [trial.name.slice(3), trial]));
    expect([byName.get('fewer-c2-k3-x4')!.latentSize, byName.get('fewer-c2-k3-x4')!.notebookLatentSize]).toEqual([
      512, 32,
    ]);
    expect([byName.get('full-c2-k3-x4')!.latentSize, byName.get('full-c2-k3-x4')!.notebookLatentSize]).toEqual([
      32, 512,
    ]);
    expect(byName.get('full-c8-k5-x1')!.latentSize).toBe(byName.get('full-c8-k5-x1')!.notebookLatentSize);
  });
});

const engine = await testEngine();

describe.skipIf(!engine).each([
  { fewerLayers: false, channelFactor: 2, kernelSize: 5, compression: 2 },
  { fewerLayers: true, channelFactor: 2, kernelSize: 5, compression: 4 },
])('a 5x5 configuration through the whole model: %o', (config) => {
  const architecture: ArchitectureConfig = { ...config, inputLayers: 3, outputLayers: 3, output: 'sigmoid' };
  const SHAPE = [2, 3, 32, 32];
  const images = new Random(8).values(2 * 3 * 32 * 32, 0.02, 0.98);
  const reference = new ReferenceEngine();
  const referenceModel = architectureAutoencoder(reference, architecture, 3);
  const referenceLoss = (): ReferenceTensor => {
    const input = reference.tensor(images, SHAPE);
    return F.binaryCrossEntropy(referenceModel.forward(input), input);
  };
  backward(referenceLoss());
  const referenceGradients = referenceModel.parameters().map((parameter) => Float64Array.from(parameter.grad!.data));

  it('GPU loss and gradients match the float64 reference', async () => {
    const { loss, gradients } = await gpuLossAndGradients(
      engine!,
      architectureAutoencoder(engine!, architecture, 3),
      images,
      SHAPE,
    );
    expect(relativeError(loss, referenceLoss().data)).toBeLessThan(FLOAT32_TOLERANCE);
    gradients.forEach((gradient, i) =>
      expect(relativeError(gradient, referenceGradients[i]!), `parameter ${i}`).toBeLessThan(FLOAT32_TOLERANCE),
    );
  });

  it('reference gradients match central finite differences along random directions', () => {
    const errors = directionalGradientErrors(
      referenceModel.parameters(),
      referenceGradients,
      () => referenceLoss().data[0]!,
      17,
      2,
    );
    errors.forEach((error, i) => expect(error, `parameter ${i}`).toBeLessThan(GRADIENT_CHECK_TOLERANCE));
  });
});
