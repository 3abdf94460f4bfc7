// The rewrites of a user's model that run in its place are shown and can be switched off:
// summary() lists Sequential's fusions and the loss taken from the logits, and with each
// switched off (setFusions, F.binaryCrossEntropyOfProbabilities) the GPU gives the same loss
// and gradients within float32 rounding.
import { describe, expect, it } from 'vitest';
import * as F from '../../src/nn/functional.ts';
import { notebookAutoencoder } from '../../src/experiments/notebook-autoencoder.ts';
import { rewrites, Sequential, setFusions, summary } from '../../src/nn/sequential.ts';
import { Conv2d, MaxPool2d, ReLU } from '../../src/nn/modules.ts';
import { ReferenceEngine } from '../../src/nn/reference-backend.ts';
import { Random } from '../../src/random.ts';
import { FLOAT32_TOLERANCE, relativeError } from '../../src/checks/check.ts';
import { testEngine } from '../support/engine.ts';
import { gpuLossAndGradients } from '../support/model-gradients.ts';

const engine = await testEngine();
const SEED = 4;
const SHAPE = [2, 3, 32, 32];
const images = new Random(9).values(2 * 3 * 32 * 32, 0.05, 0.95);

describe('rewrites shown', () => {
  it("summary() lists the notebook model's four fusions, the loss from the logits, and the switches", () => {
    const model = notebookAutoencoder(new ReferenceEngine(), SEED);
    expect(rewrites(model)).toEqual([
      'encoder.0-1 (conv2d 3x3, 8, relu + maxPool2d 2): the conv without its ReLU, the pool applies it (reluIntoPool)',
      'encoder.2-3 (conv2d 3x3, 12, relu + maxPool2d 2): the conv without its ReLU, the pool applies it (reluIntoPool)',
      'decoder.0-1 (upsample2d 2 + conv2d 3x3, 12, relu): one conv2d that reads its input upsampled (upsampleIntoConv)',
      'decoder.2-3 (upsample2d 2 + conv2d 3x3, 3): one conv2d that reads its input upsampled (upsampleIntoConv)',
      'fusions: setFusions(model, { upsampleIntoConv: false, reluIntoPool: false }) runs the layers as written',
      expect.stringMatching(/^loss: F\.binaryCrossEntropy of the final sigmoid is taken from its input, the logits/),
    ]);
    expect(summary(model, [3, 32, 32])).toContain('rewrites (run in place of the layers as written):\n  encoder.0-1');
    setFusions(model, { reluIntoPool: false });
    expect(rewrites(model).filter((line) => line.includes('reluIntoPool)'))).toEqual([]);
    expect(rewrites(model).filter((line) => line.includes('upsampleIntoConv)'))).toHaveLength(2);
  });

  it('a model with nothing to rewrite says so', () => {
    const reference = new ReferenceEngine();
    const model = new Sequential([
      new Conv2d(reference, { inChannels: 1, outChannels: 2, kernelSize: 3, seed: 1 }),
      new ReLU(),
      new MaxPool2d(2),
    ]);
    expect(rewrites(model)).toEqual([]);
    expect(summary(model, [1, 8, 8])).toMatch(/\nrewrites: none \(every layer runs as written\)$/);
  });
});

describe.skipIf(!engine)('rewrites switched off give the same numbers on the GPU', () => {
  const run = async (fusions: boolean, loss = F.binaryCrossEntropy) => {
    const model = notebookAutoencoder(engine!, SEED);
    if (!fusions) setFusions(model, { upsampleIntoConv: false, reluIntoPool: false });
    return gpuLossAndGradients(engine!, model, images, SHAPE, loss);
  };
  const close = (a: { loss: Float32Array; gradients: Float32Array[] }, b: typeof a) => {
    expect(relativeError(a.loss, b.loss)).toBeLessThan(FLOAT32_TOLERANCE);
    a.gradients.forEach((gradient, i) =>
      expect(relativeError(gradient, b.gradients[i]!), `parameter ${i}`).toBeLessThan(FLOAT32_TOLERANCE),
    );
  };

  it('the fusions: the layers as written give the fused loss and gradients', async () => {
    const fused = await run(true);
    const asWritten = await run(false);
    close(asWritten, fused);
    // Not the same dispatches, so not bit for bit: the comparison is of two real runs.
    expect(asWritten.gradients.some((gradient, i) => gradient.some((v, j) => v !== fused.gradients[i]![j]))).toBe(true);
  });

  it('the loss from the logits: the probabilities give the same loss and gradients where nothing saturates', async () => {
    close(await run(true, F.binaryCrossEntropyOfProbabilities), await run(true));
  });
});
