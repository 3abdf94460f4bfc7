// The configurable autoencoder with U-Net skip connections (--skip): its shapes (each decoder
// conv after an upsampling takes the encoder's map of its resolution too), its GPU gradients
// against the float64 reference run of the same model, and those against finite differences.
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/nn/autograd.ts';
import * as F from '../../src/nn/functional.ts';
import { ReferenceEngine } from '../../src/nn/reference-backend.ts';
import { summary } from '../../src/nn/sequential.ts';
import {
  architectureAutoencoder,
  architectureName,
  type ArchitectureConfig,
} from '../../src/experiments/configurable-autoencoder.ts';
import { SkipAutoencoder } from '../../src/experiments/skip-autoencoder.ts';
import { Random } from '../../src/random.ts';
import { FLOAT32_TOLERANCE, GRADIENT_CHECK_TOLERANCE, relativeError } from '../../src/checks/check.ts';
import { testEngine } from '../support/engine.ts';
import { directionalGradientErrors, gpuLossAndGradients } from '../support/model-gradients.ts';

const engine = await testEngine();
const CONFIG: ArchitectureConfig = {
  fewerLayers: false,
  channelFactor: 2,
  kernelSize: 3,
  compression: 2,
  inputLayers: 1,
  firstFilters: 4,
  outputLayers: 2,
  output: 'sigmoid',
  skip: true,
};
const SHAPE = [2, 1, 12, 12];

describe('skip connections', () => {
  it('join the encoder map of each resolution to the decoder conv after each upsampling', () => {
    const reference = new ReferenceEngine();
    const model = architectureAutoencoder(reference, CONFIG, 3);
    expect(model).toBeInstanceOf(SkipAutoencoder);
    expect(architectureName(CONFIG)).toBe('full-c2-k3-x2-f4-skip');
    // Decoder conv 1 takes the latent (8) and the encoder's second conv (6); the output conv the decoder's 6 and the first conv's 4.
    expect(model.parameters().map((parameter) => parameter.shape.join('x'))).toEqual([
      '4x1x3x3',
      '4',
      '6x4x3x3',
      '6',
      '8x6x3x3',
      '8',
      '6x14x3x3',
      '6',
      '2x10x3x3',
      '2',
    ]);
    expect(model.outputShape(SHAPE)).toEqual([2, 2, 12, 12]);
    expect(model.forward(reference.tensor(new Float64Array(2 * 144), SHAPE)).shape).toEqual([2, 2, 12, 12]);
    // 762 = 6 x (8 + 6) x 3 x 3 + 6: the joined channels counted; no fusion listed (the layers run as written).
    const table = summary(model, [1, 12, 12]);
    expect(table).toMatch(/decoder: conv2d 3x3, 6, relu\s+\[6, 6, 6\]\s+762/);
    expect(table).not.toMatch(/reluIntoPool|upsampleIntoConv\)/);
    // The fewer-layers model has one skip, into its output conv; a classifier's 1 x 1 head takes none.
    const fewer = architectureAutoencoder(reference, { ...CONFIG, fewerLayers: true }, 3) as SkipAutoencoder<any>;
    expect([...fewer.skips]).toEqual([[1, 0]]);
    const classifier = architectureAutoencoder(
      reference,
      { ...CONFIG, classifier: true, output: 'logits' },
      3,
    ) as SkipAutoencoder<any>;
    expect([...classifier.skips]).toEqual([[1, 2]]);
  });

  describe.skipIf(!engine)('gradients', () => {
    const images = new Random(5).values(2 * 144, 0.02, 0.98);
    const reference = new ReferenceEngine();
    const referenceModel = architectureAutoencoder(reference, CONFIG, 7);
    const targets = new Random(6).values(2 * 2 * 144, 0.02, 0.98);
    const referenceLoss = () =>
      F.binaryCrossEntropy(
        referenceModel.forward(reference.tensor(images, SHAPE)),
        reference.tensor(targets, [2, 2, 12, 12]),
      );
    backward(referenceLoss());
    const referenceGradients = referenceModel.parameters().map((parameter) => Float64Array.from(parameter.grad!.data));

    it('on the GPU match the float64 reference for every parameter', async () => {
      const { loss, gradients } = await gpuLossAndGradients(
        engine!,
        architectureAutoencoder(engine!, CONFIG, 7),
        images,
        SHAPE,
        (prediction, input) => F.binaryCrossEntropy(prediction, engine!.tensor(targets, [2, 2, 12, 12])) ?? input,
      );
      expect(relativeError(loss, referenceLoss().data)).toBeLessThan(FLOAT32_TOLERANCE);
      gradients.forEach((gradient, i) =>
        expect(relativeError(gradient, referenceGradients[i]!), `parameter ${i}`).toBeLessThan(FLOAT32_TOLERANCE),
      );
    });

    it('of the reference match central finite differences', () => {
      const errors = directionalGradientErrors(
        referenceModel.parameters(),
        referenceGradients,
        () => referenceLoss().data[0]!,
        11,
        3,
      );
      errors.forEach((error, i) => expect(error, `parameter ${i}`).toBeLessThan(GRADIENT_CHECK_TOLERANCE));
    });
  });
});
