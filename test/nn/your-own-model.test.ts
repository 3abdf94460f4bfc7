// A user's own model and op through the public entry point only: layers with default seeds,
// shape errors at build time naming the layer, fit refusing a model whose output is not its
// targets' shape, weights saved and loaded by name on both backends, and gradcheck passing a
// correct model and op and failing an op whose backward is wrong only where it is nonzero.
import { describe, expect, it } from 'vitest';
import {
  Conv2d,
  MaxPool2d,
  ReLU,
  ReferenceEngine,
  Sequential,
  Sigmoid,
  Upsample2d,
  Autoencoder,
  F,
  RMSprop,
  fit,
  evaluate,
  predict,
  gradcheck,
  saveWeights,
  loadWeights,
  setDefaultSeed,
  defineOp,
  kernelSource,
  summary,
  ShapeError,
  IndexError,
  CheckpointError,
  ops,
  autoencoderData,
  subset,
  type ModuleBackend,
  type TapeTensor,
  type TrainingData,
} from '../../src/index.ts';
import { testEngine } from '../support/engine.ts';

const engine = await testEngine();

function twoPoolAutoencoder<T extends TapeTensor<T>>(backend: ModuleBackend<T>, pools = 2) {
  const encoder = [
    new Conv2d(backend, { inChannels: 1, outChannels: 4, kernelSize: 3, activation: 'relu' }),
    new MaxPool2d(2),
  ];
  const decoder = [
    new Upsample2d(2),
    new Conv2d(backend, { inChannels: 4, outChannels: 1, kernelSize: 3 }),
    new Sigmoid(),
  ];
  for (let i = 1; i < pools; i++) {
    encoder.push(
      new Conv2d(backend, { inChannels: 4, outChannels: 4, kernelSize: 3, activation: 'relu' }),
      new MaxPool2d(2),
    );
    decoder.unshift(
      new Upsample2d(2),
      new Conv2d(backend, { inChannels: 4, outChannels: 4, kernelSize: 3, activation: 'relu' }),
    );
  }
  return new Autoencoder(new Sequential(encoder), new Sequential(decoder));
}

function images(count: number, size: number): TrainingData {
  const pixels = Float32Array.from({ length: count * size * size }, (_, i) => 0.5 + 0.4 * Math.sin(i * 0.37));
  return {
    count,
    inputShape: [1, size, size],
    targetShape: [1, size, size],
    batch: (indices) => ({
      inputs: Float32Array.from(
        Array.from(indices).flatMap((j) => Array.from(pixels.subarray(j * size * size, (j + 1) * size * size))),
      ),
      targets: null,
    }),
  };
}

describe('your own model: defaults and shapes (no GPU)', () => {
  const reference = new ReferenceEngine();

  it('draws different weights for each layer from the shared seed, the same after setDefaultSeed', () => {
    setDefaultSeed(7);
    const [a, b] = [0, 1].map(() => new Conv2d(reference, { inChannels: 1, outChannels: 2, kernelSize: 3 }));
    setDefaultSeed(7);
    const again = new Conv2d(reference, { inChannels: 1, outChannels: 2, kernelSize: 3 });
    expect(Array.from(a!.weight.data)).not.toEqual(Array.from(b!.weight.data));
    expect(Array.from(again.weight.data)).toEqual(Array.from(a!.weight.data));
    expect(
      Array.from(new Conv2d(reference, { inChannels: 1, outChannels: 2, kernelSize: 3, seed: 3 }).weight.data),
    ).toEqual(Array.from(new Conv2d(reference, { inChannels: 1, outChannels: 2, kernelSize: 3, seed: 3 }).weight.data));
  });

  it('build names the layer that cannot take its input', () => {
    const model = new Sequential([new Conv2d(reference, { inChannels: 3, outChannels: 4, kernelSize: 3 }), new ReLU()]);
    expect(() => model.build([1, 28, 28])).toThrow(ShapeError);
    expect(() => model.build([1, 28, 28])).toThrow(/layer 0 \(conv2d 3x3, 4\) on \[1, 1, 28, 28\]/);
    expect(model.build([3, 28, 28])).toEqual([4, 28, 28]);
  });

  it('builds a model whose output differs from its input to the shape it gives', () => {
    const model = twoPoolAutoencoder(reference, 3); // 28 -> 14 -> 7 -> 4 -> 8 -> 16 -> 32
    expect(model.build([1, 28, 28])).toEqual([1, 32, 32]);
    expect(summary(model, [1, 28, 28])).toMatch(/latent: \[4, 4, 4\]/);
    expect(summary(model, [1, 28, 28])).toMatch(/rewrites \(run in place of the layers as written\):\n  encoder\.0-1/);
  });

  it('refuses an image index outside the set, naming it and the size', () => {
    const set = {
      pixels: new Uint8Array(3 * 4),
      labels: new Uint8Array(3),
      count: 3,
      channels: 1,
      height: 2,
      width: 2,
      classNames: ['a'],
    };
    expect(() => autoencoderData(set).batch([-1])).toThrow(IndexError);
    expect(() => autoencoderData(set).batch([0, 3])).toThrow(/index 3 is out of range for a set of 3/);
    expect(() => subset(set, [1.5])).toThrow(/index 1\.5 is out of range/);
    expect(subset(set, [2, 0]).count).toBe(2);
  });

  it('loads weights by name and names a missing or misshapen one', async () => {
    const saved = await saveWeights(twoPoolAutoencoder(reference));
    const model = twoPoolAutoencoder(reference);
    expect(Array.from(model.encoder.parameters()[0]!.data)).not.toEqual(
      Array.from(twoPoolAutoencoder(reference).encoder.parameters()[0]!.data),
    );
    loadWeights(model, saved);
    const again = twoPoolAutoencoder(reference);
    loadWeights(again, saved);
    expect(Array.from(model.parameters()[0]!.data)).toEqual(Array.from(again.parameters()[0]!.data));
    expect(() => loadWeights(twoPoolAutoencoder(reference, 3), saved, 'small.safetensors')).toThrow(CheckpointError);
    expect(() => loadWeights(twoPoolAutoencoder(reference, 3), saved, 'small.safetensors')).toThrow(
      /small\.safetensors: no tensor 'encoder\.4\.weight'/,
    );
    const wide = new Autoencoder(
      new Sequential([new Conv2d(reference, { inChannels: 1, outChannels: 5, kernelSize: 3 })]),
      new Sequential([]),
    );
    expect(() => loadWeights(wide, saved)).toThrow(
      /'encoder\.0\.weight' has shape \[4, 1, 3, 3\], the model expects \[5, 1, 3, 3\]/,
    );
  });
});

// y = x^3; dy/dx = 3x^2. `wrongWhereNonzero` returns 2x^2 instead: wrong at every nonzero x.
function cube(wrong: boolean) {
  const kernel = kernelSource(
    'cube',
    `
struct Params { count: u32 }
@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@compute @workgroup_size(64)
fn cube(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.x + id.y * groups.x * 64u;
  if (i < params.count) { output[i] = input[i] * input[i] * input[i]; }
}
@compute @workgroup_size(64)
fn cubeBackward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let i = id.x + id.y * groups.x * 64u;
  if (i < params.count) { output[i] = ${wrong ? '2.0' : '3.0'} * input[i] * input[i]; }
}`,
  );
  return defineOp<Record<string, never>>({
    name: 'cube',
    inputNames: ['x'],
    differentiable: [true],
    outputShape: ([shape]) => shape!,
    forward(gpu, [x], _, output) {
      gpu.dispatch(kernel, 'cube', {
        bindings: { input: x!, output },
        params: { count: output.size },
        invocations: output.size,
      });
    },
    backward(gpu, { inputs: [x], gradOutput }) {
      const slope = gpu.empty(x!.shape, 'cube slope');
      gpu.dispatch(kernel, 'cubeBackward', {
        bindings: { input: x!, output: slope },
        params: { count: slope.size },
        invocations: slope.size,
      });
      return [F.multiply(slope, gradOutput)];
    },
    reference: {
      forward: ([x]) => x!.data.map((v) => v ** 3),
      backward: ({ inputs: [x], gradOutput }) => [x!.data.map((v, i) => (wrong ? 2 : 3) * v * v * gradOutput.data[i]!)],
    },
  });
}

describe.skipIf(!engine)('your own model: training, weights and gradcheck on the GPU', () => {
  const gpu = engine!;

  it('fit refuses an autoencoder whose output differs from its input, naming the pool that rounds', async () => {
    const model = twoPoolAutoencoder(gpu, 3);
    const run = fit(gpu, model, RMSprop(gpu, model.parameters()), F.binaryCrossEntropy, images(4, 28), { epochs: 1 });
    await expect(run).rejects.toThrow(
      /output \[1, 32, 32\] differs from the targets' shape \[1, 28, 28\].*layer encoder\.5 \(maxPool2d 2\) takes \[4, 7, 7\] to \[4, 4, 4\]/,
    );
  });

  it('trains, saves, reloads to the same loss, and predicts nothing for no indices', async () => {
    setDefaultSeed(1);
    const model = twoPoolAutoencoder(gpu);
    const data = images(16, 12);
    await fit(gpu, model, RMSprop(gpu, model.parameters()), F.binaryCrossEntropy, data, { epochs: 1, batchSize: 8 });
    const before = await evaluate(gpu, model, F.binaryCrossEntropy, data);
    const reloaded = twoPoolAutoencoder(gpu);
    loadWeights(reloaded, await saveWeights(model));
    const after = await evaluate(gpu, reloaded, F.binaryCrossEntropy, data);
    expect(after.loss).toBe(before.loss);
    expect((await predict(gpu, model, data, [])).length).toBe(0);
    await expect(predict(gpu, model, data, [16])).rejects.toThrow(IndexError);
    await expect(predict(gpu, model, data, [16])).rejects.toThrow(/index 16 is out of range for a set of 16/);
  });

  it('passes a correct model: every parameter and the input, both comparisons', async () => {
    const model = twoPoolAutoencoder(gpu);
    const report = await gradcheck(model, [2, 1, 8, 8]);
    expect(report.failures).toEqual([]);
    expect(report.rows.map((row) => row.name)).toEqual(['input', ...model.namedParameters().map(([name]) => name)]);
    expect(report.passed).toBe(true);
  });

  it("passes a user's op with a correct backward and fails one whose backward is wrong", async () => {
    const right = await gradcheck(cube(false), [[3, 5]], { engine: gpu });
    expect(right.failures).toEqual([]);
    const wrong = await gradcheck(cube(true), [[3, 5]], { engine: gpu });
    expect(wrong.passed).toBe(false);
    expect(wrong.failures.join('\n')).toMatch(/x: reference gradient against finite differences/);
  });

  it('fails a max-pool 4 whose gradient is wrong only at the window maxima (1 element in 16)', async () => {
    const attributes = { poolSize: 4 };
    const pool = ops.maxPool2d;
    const pool4 = (factor: number) =>
      defineOp<Record<string, never>>({
        name: 'pool4',
        inputNames: ['x'],
        differentiable: [true],
        outputShape: (shapes) => pool.outputShape(shapes, attributes),
        forward: (gpuEngine, inputs, _, output) => pool.forward(gpuEngine, inputs, attributes, output),
        backward: (gpuEngine, context) => pool.backward(gpuEngine, { ...context, attributes }),
        reference: {
          forward: (inputs, _, shape) => pool.reference.forward(inputs, attributes, shape),
          backward: (context) =>
            pool.reference
              .backward({ ...context, attributes })
              .map((gradient) => gradient && gradient.map((value) => factor * value)),
        },
      });
    expect((await gradcheck(pool4(1), [[1, 2, 8, 8]], { engine: gpu })).failures).toEqual([]);
    const wrong = await gradcheck(pool4(2), [[1, 2, 8, 8]], { engine: gpu });
    expect(wrong.failures.join('\n')).toMatch(
      /x: reference gradient against finite differences, relative error 0\.[3-9]/,
    );
  });
});
