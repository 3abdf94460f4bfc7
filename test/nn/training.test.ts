// fit/evaluate: the GPU-side metric sums, weighted by batch size with a partial last batch,
// equal a float64 pass of the reference engine over the same images with the same weights;
// training lowers the loss; memory does not grow from one epoch to the next.
import { describe, expect, it } from 'vitest';
import { loadCifar10 } from '../../src/data/cifar10.ts';
import { autoencoderData, subset } from '../../src/data/image-set.ts';
import * as F from '../../src/nn/functional.ts';
import { RMSprop } from '../../src/nn/optimisers.ts';
import { evaluate, fit } from '../../src/nn/training.ts';
import { notebookAutoencoder } from '../../src/experiments/notebook-autoencoder.ts';
import { ReferenceEngine } from '../../src/nn/reference-backend.ts';
import { relativeError } from '../../src/checks/check.ts';
import { testEngine } from '../support/engine.ts';
import { CIFAR10_DIRECTORY } from '../../scripts/data-location.mjs';

const engine = await testEngine();

describe.skipIf(!engine)('fit and evaluate', () => {
  const { train } = loadCifar10(CIFAR10_DIRECTORY);
  const images = subset(
    train,
    Array.from({ length: 70 }, (_, i) => i),
  ); // 32 + 32 + 6
  const data = autoencoderData(images);

  it('evaluate matches the float64 reference over all images; fit lowers the loss; memory stays flat', async () => {
    const model = notebookAutoencoder(engine!, 3);
    const optimizer = RMSprop(engine!, model.parameters());
    const memory: number[] = [];
    const logs = await fit(engine!, model, optimizer, F.binaryCrossEntropy, data, {
      epochs: 3,
      seed: 1,
      onEpochEnd: async () => {
        await engine!.synchronize();
        memory.push(engine!.memory().liveBytes);
      },
    });
    expect(logs.map((log) => log.epoch)).toEqual([1, 2, 3]);
    expect(logs[2]!.train.loss).toBeLessThan(logs[0]!.train.loss);
    expect(memory[2]).toBe(memory[1]);

    const gpu = await evaluate(engine!, model, F.binaryCrossEntropy, data, 32);
    const reference = new ReferenceEngine();
    const referenceModel = notebookAutoencoder(reference, 3);
    const weights = await engine!.readAll(model.parameters());
    referenceModel.parameters().forEach((parameter, i) => parameter.data.set(weights[i]!));
    const input = reference.tensor(data.batch(Array.from({ length: 70 }, (_, i) => i)).inputs, [70, 3, 32, 32]);
    const output = referenceModel.forward(input);
    expect(relativeError([gpu.loss], F.binaryCrossEntropy(output, input).data)).toBeLessThan(1e-4);
    expect(relativeError([gpu.meanSquaredError], F.meanSquaredError(output, input).data)).toBeLessThan(1e-4);
    expect(gpu.psnr).toBeCloseTo(10 * Math.log10(1 / F.meanSquaredError(output, input).data[0]!), 3);
    model.parameters().forEach((parameter) => parameter.dispose());
    optimizer.dispose();
  }, 60_000);

  it("fit's training metrics cover every step, chunk by chunk: with a learning rate of 0 they equal evaluate's", async () => {
    // 300 images: 10 steps (the last of 12), which fit cuts into chunks that it waits for one
    // behind the other; the metrics it reports are the last chunk's snapshot.
    const many = autoencoderData(
      subset(
        train,
        Array.from({ length: 300 }, (_, i) => i),
      ),
    );
    const model = notebookAutoencoder(engine!, 4);
    const optimizer = RMSprop(engine!, model.parameters(), { learningRate: 0 });
    const losses: (number | null)[] = [];
    const [log] = await fit(engine!, model, optimizer, F.binaryCrossEntropy, many, {
      epochs: 1,
      seed: 2,
      onProgress: (progress) => losses.push(progress.loss),
    });
    const evaluated = await evaluate(engine!, model, F.binaryCrossEntropy, many, 32);
    expect(losses).toHaveLength(10);
    expect(relativeError([log!.train.loss], [evaluated.loss])).toBeLessThan(1e-5);
    expect(relativeError([log!.train.binaryAccuracy], [evaluated.binaryAccuracy])).toBeLessThan(1e-5);
    expect(relativeError([log!.train.meanSquaredError], [evaluated.meanSquaredError])).toBeLessThan(1e-5);
    model.parameters().forEach((parameter) => parameter.dispose());
    optimizer.dispose();
  }, 60_000);

  it('fit awaits beforeStep before each step, and an error thrown there stops it without leaking the metric sums', async () => {
    const model = notebookAutoencoder(engine!, 5);
    const optimizer = RMSprop(engine!, model.parameters());
    await engine!.synchronize();
    const live = engine!.memory().liveTensors;
    let calls = 0;
    const stopped = fit(engine!, model, optimizer, F.binaryCrossEntropy, data, {
      epochs: 2,
      seed: 1,
      beforeStep: async () => {
        calls += 1;
        await new Promise((resolve) => setTimeout(resolve, 0));
        if (calls === 5) throw new Error('reset');
      },
    });
    await expect(stopped).rejects.toThrow('reset');
    expect(calls).toBe(5); // 3 steps of epoch 1, then the second of epoch 2
    await engine!.synchronize();
    expect(engine!.memory().liveTensors).toBe(live);
    model.parameters().forEach((parameter) => parameter.dispose());
    optimizer.dispose();
  }, 60_000);
});
