// The whole notebook autoencoder (Conv8-Pool-Conv12-Pool-Conv16-Up-Conv12-Up-Conv3, sigmoid,
// binary cross-entropy against its input) through the tape: GPU gradients of every
// parameter against the float64 reference run of the same model, and the reference
// gradients against central finite differences. Sequential runs each upsample-then-conv pair
// as one conv2d with `upsample`, and moves the ReLU of each conv followed by a max-pool into
// the pool: checked here against the layers run one by one.
import { describe, expect, it } from 'vitest';
import { backward } from '../../src/nn/autograd.ts';
import * as F from '../../src/nn/functional.ts';
import { ReferenceEngine, type ReferenceTensor } from '../../src/nn/reference-backend.ts';
import type { Op } from '../../src/kernels/op.ts';
import { notebookAutoencoder } from '../../src/experiments/notebook-autoencoder.ts';
import type { Fusions } from '../../src/nn/sequential.ts';
import { Random } from '../../src/random.ts';
import { FLOAT32_TOLERANCE, GRADIENT_CHECK_TOLERANCE, relativeError } from '../../src/checks/check.ts';
import { testEngine } from '../support/engine.ts';
import { directionalGradientErrors, gpuLossAndGradients } from '../support/model-gradients.ts';

const engine = await testEngine();
const SEED = 12;
const SHAPE = [2, 3, 32, 32];

describe.skipIf(!engine)('notebook autoencoder gradients', () => {
  const images = new Random(5).values(2 * 3 * 32 * 32, 0.02, 0.98);
  const reference = new ReferenceEngine();
  const referenceModel = notebookAutoencoder(reference, SEED);
  const referenceLoss = (): ReferenceTensor => {
    const input = reference.tensor(images, SHAPE);
    return F.binaryCrossEntropy(referenceModel.forward(input), input);
  };
  backward(referenceLoss());
  const referenceGradients = referenceModel.parameters().map((parameter) => Float64Array.from(parameter.grad!.data));

  it('has the notebook shapes: 10 parameter tensors, the latent 16 x 8 x 8', () => {
    expect(referenceModel.parameters().map((parameter) => parameter.shape.join('x'))).toEqual([
      '8x3x3x3',
      '8',
      '12x8x3x3',
      '12',
      '16x12x3x3',
      '16',
      '12x16x3x3',
      '12',
      '3x12x3x3',
      '3',
    ]);
    const latent = referenceModel.encoder.forward(reference.tensor(images, SHAPE));
    expect(latent.shape).toEqual([2, 16, 8, 8]);
    expect(referenceModel.latentShape([3, 32, 32])).toEqual([16, 8, 8]);
  });

  it('GPU gradients of every parameter match the float64 reference', async () => {
    const { loss, gradients } = await gpuLossAndGradients(engine!, notebookAutoencoder(engine!, SEED), images, SHAPE);
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
      99,
      3,
    );
    errors.forEach((error, i) => expect(error, `parameter ${i}`).toBeLessThan(GRADIENT_CHECK_TOLERANCE));
  });
});

describe('Sequential fusions', () => {
  /** A reference backend that records each op it runs, with its attributes. */
  class RecordingEngine extends ReferenceEngine {
    readonly ran: string[] = [];
    override forward<A>(op: Op<A>, inputs: readonly ReferenceTensor[], attributes: A): ReferenceTensor {
      this.ran.push(`${op.name} ${JSON.stringify(attributes)}`);
      return super.forward(op, inputs, attributes);
    }
  }
  const images = new Random(6).values(2 * 3 * 32 * 32, 0.02, 0.98);

  /** The loss, every gradient and the ops run, with the model's Sequential fusions as given or its layers one by one (null). */
  function run(fusions: Fusions | null) {
    const backend = new RecordingEngine();
    const model = notebookAutoencoder(backend, SEED);
    const input = backend.tensor(images, SHAPE);
    let output: ReferenceTensor;
    if (fusions) {
      model.encoder.fusions = { ...fusions };
      model.decoder.fusions = { ...fusions };
      output = model.forward(input);
    } else {
      output = [...model.encoder.layers, ...model.decoder.layers].reduce((value, layer) => layer.forward(value), input);
    }
    const loss = F.binaryCrossEntropy(output, input);
    backward(loss);
    return {
      ran: backend.ran,
      loss: loss.data,
      gradients: model.parameters().map((parameter) => parameter.grad!.data),
    };
  }
  const oneByOne = run(null);
  const named = (ran: string[], op: string, attribute: string) =>
    ran.filter((name) => name.startsWith(op) && name.includes(attribute));

  it('the layers one by one run 2 upsample2d, 5 conv2d with a ReLU or none, and 2 plain max-pools', () => {
    expect(named(oneByOne.ran, 'upsample2d', '')).toHaveLength(2);
    expect(named(oneByOne.ran, 'conv2d', '"activation":"relu"')).toHaveLength(4);
    expect(named(oneByOne.ran, 'maxPool2d', '"activation"')).toEqual([]);
  });

  for (const fusions of [
    { upsampleIntoConv: true, reluIntoPool: true },
    { upsampleIntoConv: true, reluIntoPool: false },
    { upsampleIntoConv: false, reluIntoPool: true },
  ]) {
    it(`fusions ${JSON.stringify(fusions)}: the ops they promise, the loss and every gradient as the layers one by one`, () => {
      const fused = run(fusions);
      expect(named(fused.ran, 'upsample2d', '')).toHaveLength(fusions.upsampleIntoConv ? 0 : 2);
      expect(named(fused.ran, 'conv2d', '"upsample":2')).toHaveLength(fusions.upsampleIntoConv ? 2 : 0);
      // The encoder's first two convs hand their ReLU to the pool after them; the other two keep theirs.
      expect(named(fused.ran, 'maxPool2d', '"activation":"relu"')).toHaveLength(fusions.reluIntoPool ? 2 : 0);
      expect(named(fused.ran, 'conv2d', '"activation":"relu"')).toHaveLength(fusions.reluIntoPool ? 2 : 4);
      expect(relativeError(fused.loss, oneByOne.loss)).toBeLessThan(1e-12);
      for (const [i, gradient] of fused.gradients.entries()) {
        expect(relativeError(gradient, oneByOne.gradients[i]!), `parameter ${i}`).toBeLessThan(1e-12);
      }
    });
  }
});
