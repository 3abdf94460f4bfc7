// Keras models in (nn/keras.ts). The fixture test/fixtures/keras/small.keras was saved by Keras 3
// itself (make_fixture.py beside it), with the outputs Keras computed: the import must reproduce
// them to 1e-5. Other options (strides, 'valid', no bias, 5x5 and 1x1 kernels, tanh) are checked
// on models written here with h5wasm, against a direct NHWC / HWIO convolution in this file, so
// the layout conversion is checked against code that never converts.
import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import h5wasm from 'h5wasm';
import { zipSync, strToU8 } from 'fflate';
import { importKeras, unzipKeras, type KerasFiles } from '../../src/nn/keras.ts';
import { layerModelAutoencoder } from '../../src/nn/layer-model.ts';
import { ReferenceEngine } from '../../src/nn/reference-backend.ts';
import { applyTensors } from '../../src/nn/safetensors.ts';
import { noGrad } from '../../src/nn/autograd.ts';
import type { Engine } from '../../src/backend/engine.ts';
import { testEngine } from '../support/engine.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'keras');
const engine = await testEngine();

/** NHWC images to NCHW, or back (`toNhwc`). */
function transpose(data: ArrayLike<number>, n: number, h: number, w: number, c: number, toNhwc = false): Float64Array {
  const out = new Float64Array(n * h * w * c);
  for (let b = 0; b < n; b++)
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let k = 0; k < c; k++) {
          const nhwc = ((b * h + y) * w + x) * c + k;
          const nchw = ((b * c + k) * h + y) * w + x;
          if (toNhwc) out[nhwc] = data[nchw]!;
          else out[nchw] = data[nhwc]!;
        }
  return out;
}

/** The imported model's outputs (NHWC, as Keras gives them) on the GPU, or on the float64 reference. */
async function run(files: KerasFiles, inputs: Float64Array, count: number, on: Engine | ReferenceEngine) {
  const imported = await importKeras(files, 'test model');
  const [c, h, w] = imported.model.input;
  let output: { shape: readonly number[] };
  let values: ArrayLike<number>;
  if (on instanceof ReferenceEngine) {
    const model = layerModelAutoencoder(on, imported.model, 0);
    for (const [name, parameter] of model.namedParameters()) parameter.data.set(imported.tensors.get(name)!.data);
    const result = noGrad(() => model.forward(on.tensor(transpose(inputs, count, h, w, c), [count, c, h, w])));
    [output, values] = [result, result.data];
  } else {
    const model = layerModelAutoencoder(on, imported.model, 0);
    applyTensors(on, model.namedParameters(), { tensors: imported.tensors, metadata: {} }, 'test model');
    const result = noGrad(() => model.forward(on.tensor(transpose(inputs, count, h, w, c), [count, c, h, w])));
    [output, values] = [result, await result.read()];
  }
  const [, oc, oh, ow] = output.shape as [number, number, number, number];
  return { imported, values: transpose(values, count, oh, ow, oc, true), shape: [count, oh, ow, oc] };
}

describe('a model saved by Keras 3 (test/fixtures/keras/small.keras)', () => {
  const inputs = JSON.parse(readFileSync(join(FIXTURE, 'inputs.json'), 'utf8')).inputs as number[][][][];
  const outputs = JSON.parse(readFileSync(join(FIXTURE, 'outputs.json'), 'utf8')).outputs as number[][][][];
  const flat = Float64Array.from(inputs.flat(3));
  const expected = Float64Array.from(outputs.flat(3));
  const files = unzipKeras(readFileSync(join(FIXTURE, 'small.keras')), 'small.keras');

  it('reads its layers, split at the bottleneck, with its version', async () => {
    const { model, kerasNames, kerasVersion } = await importKeras(files, 'small.keras');
    expect(model.input).toEqual([3, 32, 32]);
    expect(model.encoder.map((spec) => spec.kind)).toEqual(['conv2d', 'maxPool2d']);
    expect(model.decoder.map((spec) => spec.kind)).toEqual(['conv2d', 'relu', 'upsample2d', 'conv2d', 'sigmoid']);
    expect(model.decoder[0]).toMatchObject({ kernelSize: 5, bias: false, inChannels: 6, outChannels: 10 });
    expect(kerasNames).toEqual([
      'conv2d',
      'max_pooling2d',
      'conv2d_1',
      'activation',
      'up_sampling2d',
      'conv2d_2',
      'conv2d_2',
    ]);
    expect(kerasVersion).toBe('3.15.1');
  });

  it('computes what Keras computed, to 1e-5, on the float64 reference', async () => {
    const { values } = await run(files, flat, inputs.length, new ReferenceEngine());
    expect(values.length).toBe(expected.length);
    const worst = values.reduce((most, value, i) => Math.max(most, Math.abs(value - expected[i]!)), 0);
    expect(worst).toBeLessThan(1e-5);
  });

  it.skipIf(!engine)('computes what Keras computed, to 1e-5, on the GPU', async () => {
    const { values } = await run(files, flat, inputs.length, engine!);
    const worst = values.reduce((most, value, i) => Math.max(most, Math.abs(value - expected[i]!)), 0);
    expect(worst).toBeLessThan(1e-5);
  });
});

/** A Keras 3 model written here: config.json's layers and model.weights.h5, random weights. */
interface Layer {
  readonly class_name: string;
  readonly config: Record<string, unknown>;
  /** [kernel HWIO shape, has bias] for a conv. */
  readonly kernel?: [number, number, number, number];
}

let h5: Awaited<typeof h5wasm.ready>;
beforeAll(async () => {
  h5 = await h5wasm.ready;
});

function kerasFiles(input: [number, number, number], layers: Layer[], seed = 1) {
  let state = seed;
  const random = () => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  const path = `/test-${seed}-${layers.length}.h5`;
  const file = new h5wasm.File(path, 'w');
  const weights = new Map<string, Float32Array>();
  for (const layer of layers) {
    if (!layer.kernel) continue;
    const name = layer.config['name'] as string;
    file.get('layers') ?? file.create_group('layers');
    file.create_group(`layers/${name}`).create_group('vars');
    const kernel = Float32Array.from({ length: layer.kernel.reduce((a, b) => a * b) }, () => 0.3 * random());
    file.create_dataset({ name: `layers/${name}/vars/0`, data: kernel, shape: layer.kernel, dtype: '<f' });
    weights.set(`${name}/kernel`, kernel);
    if (layer.config['use_bias'] !== false) {
      const bias = Float32Array.from({ length: layer.kernel[3] }, () => 0.1 * random());
      file.create_dataset({ name: `layers/${name}/vars/1`, data: bias, shape: [layer.kernel[3]], dtype: '<f' });
      weights.set(`${name}/bias`, bias);
    }
  }
  file.close();
  const bytes = h5.FS!.readFile(path);
  h5.FS!.unlink(path);
  const config = {
    class_name: 'Sequential',
    config: {
      name: 'sequential',
      layers: [
        { class_name: 'InputLayer', config: { name: 'input', batch_shape: [null, input[1], input[2], input[0]] } },
        ...layers.map(({ class_name, config }) => ({ class_name, config })),
      ],
    },
  };
  return { files: { config, weights: bytes } as KerasFiles, weights };
}

/** Keras' layers computed directly on NHWC images with HWIO kernels, in float64. */
function kerasForward(input: Float64Array, shape: number[], layers: Layer[], weights: Map<string, Float32Array>) {
  let [n, h, w, c] = shape as [number, number, number, number];
  let x = input;
  const act = (activation: unknown) => (v: number) => {
    const name = typeof activation === 'string' ? activation : (activation as { config: string }).config;
    return name === 'relu'
      ? Math.max(v, 0)
      : name === 'sigmoid'
        ? 1 / (1 + Math.exp(-v))
        : name === 'tanh'
          ? Math.tanh(v)
          : v;
  };
  for (const layer of layers) {
    const cfg = layer.config;
    if (layer.class_name === 'Conv2D') {
      const [k, , , co] = layer.kernel!;
      const s = (cfg['strides'] as number[] | undefined)?.[0] ?? 1;
      const same = cfg['padding'] === 'same';
      const oh = same ? Math.ceil(h / s) : Math.floor((h - k) / s) + 1;
      const ow = same ? Math.ceil(w / s) : Math.floor((w - k) / s) + 1;
      const top = same ? Math.floor(Math.max((oh - 1) * s + k - h, 0) / 2) : 0;
      const left = same ? Math.floor(Math.max((ow - 1) * s + k - w, 0) / 2) : 0;
      const kernel = weights.get(`${cfg['name']}/kernel`)!;
      const bias = weights.get(`${cfg['name']}/bias`);
      const out = new Float64Array(n * oh * ow * co);
      for (let b = 0; b < n; b++)
        for (let y = 0; y < oh; y++)
          for (let xx = 0; xx < ow; xx++)
            for (let o = 0; o < co; o++) {
              let sum = bias?.[o] ?? 0;
              for (let ky = 0; ky < k; ky++)
                for (let kx = 0; kx < k; kx++) {
                  const iy = y * s + ky - top;
                  const ix = xx * s + kx - left;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
                  for (let i = 0; i < c; i++)
                    sum += x[((b * h + iy) * w + ix) * c + i]! * kernel[((ky * k + kx) * c + i) * co + o]!;
                }
              out[((b * oh + y) * ow + xx) * co + o] = act(cfg['activation'])(sum);
            }
      [x, h, w, c] = [out, oh, ow, co];
    } else if (layer.class_name === 'MaxPooling2D') {
      const p = (cfg['pool_size'] as number[])[0]!;
      const same = cfg['padding'] === 'same';
      const [oh, ow] = same ? [Math.ceil(h / p), Math.ceil(w / p)] : [Math.floor(h / p), Math.floor(w / p)];
      const out = new Float64Array(n * oh * ow * c).fill(-Infinity);
      for (let b = 0; b < n; b++)
        for (let y = 0; y < oh * p; y++)
          for (let xx = 0; xx < ow * p; xx++)
            for (let i = 0; i < c; i++) {
              if (y >= h || xx >= w) continue;
              const at = ((b * oh + Math.floor(y / p)) * ow + Math.floor(xx / p)) * c + i;
              out[at] = Math.max(out[at]!, x[((b * h + y) * w + xx) * c + i]!);
            }
      [x, h, w] = [out, oh, ow];
    } else if (layer.class_name === 'UpSampling2D') {
      const f = (cfg['size'] as number[])[0]!;
      const out = new Float64Array(n * h * f * w * f * c);
      for (let b = 0; b < n; b++)
        for (let y = 0; y < h * f; y++)
          for (let xx = 0; xx < w * f; xx++)
            for (let i = 0; i < c; i++)
              out[((b * h * f + y) * w * f + xx) * c + i] =
                x[((b * h + Math.floor(y / f)) * w + Math.floor(xx / f)) * c + i]!;
      [x, h, w] = [out, h * f, w * f];
    } else if (layer.class_name === 'Activation') x = x.map(act(cfg['activation']));
  }
  return x;
}

const conv = (name: string, k: number, ci: number, co: number, extra: Record<string, unknown> = {}): Layer => ({
  class_name: 'Conv2D',
  config: {
    name,
    filters: co,
    kernel_size: [k, k],
    strides: [1, 1],
    padding: 'same',
    activation: 'linear',
    use_bias: true,
    ...extra,
  },
  kernel: [k, k, ci, co],
});

describe('Keras options the importer takes, against a direct NHWC computation', () => {
  const cases: [string, [number, number, number], Layer[]][] = [
    [
      'strides 2, valid padding, no bias, 5x5 and 1x1 kernels, tanh',
      [2, 13, 11],
      [
        conv('a', 5, 2, 4, { strides: [2, 2], padding: 'valid', use_bias: false, activation: 'relu' }),
        conv('b', 3, 4, 3, { strides: [2, 2], activation: 'tanh' }),
        { class_name: 'UpSampling2D', config: { name: 'up', size: [3, 3], interpolation: 'nearest' } },
        conv('c', 1, 3, 2, { activation: { module: 'keras.activations', class_name: 'function', config: 'sigmoid' } }),
      ],
    ],
    [
      "an even kernel, stride 2 'same' (padded more after), pools 'same' and 'valid'",
      [3, 9, 10],
      [
        conv('a', 4, 3, 5, { strides: [2, 2] }),
        { class_name: 'Activation', config: { name: 'r', activation: 'relu' } },
        { class_name: 'MaxPooling2D', config: { name: 'p', pool_size: [2, 2], strides: [2, 2], padding: 'same' } },
        { class_name: 'UpSampling2D', config: { name: 'up', size: [2, 2] } },
        { class_name: 'MaxPooling2D', config: { name: 'q', pool_size: [2, 2], strides: null, padding: 'valid' } },
        conv('b', 3, 5, 2),
      ],
    ],
  ];
  it.each(cases)('%s', async (_name, input, layers) => {
    const { files, weights } = kerasFiles(input, layers);
    const count = 2;
    const images = Float64Array.from({ length: count * input[0] * input[1] * input[2] }, (_, i) => Math.sin(i * 0.37));
    const expected = kerasForward(images, [count, input[1], input[2], input[0]], layers, weights);
    for (const on of [new ReferenceEngine(), ...(engine ? [engine] : [])]) {
      const { values } = await run(files, images, count, on);
      expect(values.length).toBe(expected.length);
      const worst = values.reduce((most, value, i) => Math.max(most, Math.abs(value - expected[i]!)), 0);
      expect(worst).toBeLessThan(1e-5);
    }
  });
});

describe('Keras models the importer refuses, naming why', () => {
  const input: [number, number, number] = [1, 8, 8];
  it.each<[string, Layer[], RegExp]>([
    [
      'a Dense layer',
      [conv('a', 3, 1, 2), { class_name: 'Dense', config: { name: 'dense_7', units: 3 } }],
      /layer 'dense_7' \(Dense\) is not supported: aelab imports InputLayer, Conv2D/,
    ],
    [
      'a non-square kernel',
      [{ ...conv('wide', 3, 1, 2), config: { ...conv('wide', 3, 1, 2).config, kernel_size: [1, 3] } }],
      /layer 'wide' \(Conv2D\): kernel_size \[1,3\] is not supported/,
    ],
    ['a softmax', [conv('a', 3, 1, 2, { activation: 'softmax' })], /activation 'softmax' is not supported/],
    [
      'bilinear upsampling',
      [{ class_name: 'UpSampling2D', config: { name: 'u', size: [2, 2], interpolation: 'bilinear' } }],
      /interpolation 'bilinear' is not supported/,
    ],
    [
      'channels first',
      [conv('a', 3, 1, 2, { data_format: 'channels_first' })],
      /data_format channels_first is not supported/,
    ],
  ])('%s', async (_name, layers, message) => {
    const { files } = kerasFiles(input, layers);
    await expect(importKeras(files, 'm.keras')).rejects.toThrow(message);
  });

  it('weights that do not match the config, a truncated file, and a branching model', async () => {
    const { files } = kerasFiles(input, [conv('a', 3, 1, 2)]);
    const config = files.config as { config: { layers: { config: Record<string, unknown> }[] } };
    config.config.layers[1]!.config['filters'] = 4;
    await expect(importKeras(files, 'm.keras')).rejects.toThrow(
      /layers\/a\/vars\/0 has shape \[3,3,1,2\], config.json says \[3,3,1,4\]/,
    );
    const zip = zipSync({ 'config.json': strToU8(JSON.stringify(files.config)), 'model.weights.h5': files.weights });
    expect(() => unzipKeras(zip.slice(0, zip.length / 2), 'cut.keras')).toThrow(/cut.keras: not a .keras file/);
    expect(() => unzipKeras(zipSync({ 'config.json': strToU8('{}') }), 'half.keras')).toThrow(
      /without model.weights.h5/,
    );
    await expect(
      importKeras({ config: files.config, weights: files.weights.slice(0, 100) }, 'm.keras'),
    ).rejects.toThrow(/model.weights.h5 is not an HDF5 file/);
    const branching = {
      class_name: 'Functional',
      config: {
        layers: [
          { class_name: 'InputLayer', name: 'in', config: { name: 'in', batch_shape: [null, 8, 8, 1] } },
          {
            class_name: 'Conv2D',
            name: 'a',
            config: { name: 'a' },
            inbound_nodes: [{ args: [{ config: { keras_history: ['in', 0, 0] } }] }],
          },
          {
            class_name: 'Conv2D',
            name: 'b',
            config: { name: 'b' },
            inbound_nodes: [{ args: [{ config: { keras_history: ['in', 0, 0] } }] }],
          },
        ],
      },
    };
    await expect(importKeras({ config: branching, weights: files.weights }, 'm.keras')).rejects.toThrow(
      /layer 'b' does not take the one output of 'a': aelab imports chains of layers only/,
    );
  });
});
