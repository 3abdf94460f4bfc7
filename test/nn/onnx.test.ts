// ONNX out (nn/onnx.ts): each exported model is run by ONNX Runtime (onnxruntime-web's wasm
// backend, in Node) and must give the engine's own predictions, fusions and all, to 1e-5.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-web';
import { onnxModel, ONNX_OPSET } from '../../src/nn/onnx.ts';
import { layerModelAutoencoder, type LayerModel } from '../../src/nn/layer-model.ts';
import { notebookAutoencoder } from '../../src/experiments/notebook-autoencoder.ts';
import { architectureAutoencoder } from '../../src/experiments/configurable-autoencoder.ts';
import { PART1_SHAPE } from '../../src/experiments/colourise/methods.ts';
import { noGrad } from '../../src/nn/autograd.ts';
import type { Module } from '../../src/nn/modules.ts';
import type { Tensor } from '../../src/backend/tensor.ts';
import { Random } from '../../src/random.ts';
import { testEngine } from '../support/engine.ts';

const engine = await testEngine();
ort.env.wasm.numThreads = 1;

/** The engine's output and ONNX Runtime's on the same images; the largest difference. */
async function compare(model: Module<Tensor>, shape: [number, number, number], count = 3) {
  const file = await onnxModel(engine!, model, shape, { name: 'test' });
  const random = new Random(7);
  const images = Float32Array.from({ length: count * shape[0] * shape[1] * shape[2] }, () => random.next());
  const ours = await noGrad(() => model.forward(engine!.tensor(images, [count, ...shape]))).read();
  const session = await ort.InferenceSession.create(file);
  const result = await session.run({ image: new ort.Tensor('float32', images, [count, ...shape]) });
  const theirs = result['output']!.data as Float32Array;
  expect(theirs.length).toBe(ours.length);
  return { worst: ours.reduce((most, value, i) => Math.max(most, Math.abs(value - theirs[i]!)), 0), file };
}

describe.skipIf(!engine)('ONNX export, run by ONNX Runtime', () => {
  it("Part 1's autoencoder (fused relu into pool and upsample into conv), at the opset it names", async () => {
    const { worst, file } = await compare(notebookAutoencoder(engine!, 1, 3), [3, 32, 32]);
    expect(worst).toBeLessThan(1e-5);
    const session = await ort.InferenceSession.create(file);
    expect(session.inputNames).toEqual(['image']);
    expect(ONNX_OPSET).toBeGreaterThanOrEqual(17);
  });

  it('a colouriser: a wider first conv, a tanh output scaled to its range, on odd sides', async () => {
    const model = architectureAutoencoder(
      engine!,
      { ...PART1_SHAPE, outputLayers: 2, output: 'tanh', outputRange: 0.5 },
      3,
    );
    const { worst } = await compare(model, [1, 20, 12]);
    expect(worst).toBeLessThan(1e-5);
  });

  it("lab-classes' classifier: 1 x 1 logits at half resolution", async () => {
    const model = architectureAutoencoder(
      engine!,
      { ...PART1_SHAPE, outputLayers: 5, output: 'logits', classifier: true },
      4,
    );
    const { worst } = await compare(model, [1, 16, 16]);
    expect(worst).toBeLessThan(1e-5);
  });

  it("strides, 'valid' and odd 'same' padding, an even kernel, no bias, sigmoid", async () => {
    const layers: LayerModel = {
      input: [2, 15, 13],
      encoder: [
        {
          kind: 'conv2d',
          inChannels: 2,
          outChannels: 4,
          kernelSize: 4,
          stride: 2,
          padding: 'same',
          bias: false,
          activation: 'relu',
        },
        { kind: 'maxPool2d', poolSize: 2, padding: 'same' },
        {
          kind: 'conv2d',
          inChannels: 4,
          outChannels: 3,
          kernelSize: 3,
          stride: 1,
          padding: 'valid',
          bias: true,
          activation: 'linear',
        },
      ],
      decoder: [
        { kind: 'tanh' },
        { kind: 'upsample2d', factor: 3 },
        {
          kind: 'conv2d',
          inChannels: 3,
          outChannels: 2,
          kernelSize: 5,
          stride: 1,
          padding: 'same',
          bias: true,
          activation: 'linear',
        },
        { kind: 'scale', factor: 1.5 },
        { kind: 'maxPool2d', poolSize: 2, padding: 'valid' },
        { kind: 'sigmoid' },
      ],
    };
    const { worst } = await compare(layerModelAutoencoder(engine!, layers, 5), [2, 15, 13]);
    expect(worst).toBeLessThan(1e-5);
  });
});
