// Models in and out as a user runs them: a Keras model imported (aelab import-keras), its run
// folder reconstructing a data set's test images and a folder of the user's own PNG and JPEG
// pictures (one of a size the model cannot give back, named while the rest are done), and
// the refusals of bad input.
import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { unzipSync } from 'fflate';
import * as ort from 'onnxruntime-web';
import { decodeSafetensors } from '../../src/nn/safetensors.ts';
import { importKeras, unzipKeras } from '../../src/nn/keras.ts';
import { layerModelAutoencoder } from '../../src/nn/layer-model.ts';
import { ReferenceEngine } from '../../src/nn/reference-backend.ts';
import { noGrad } from '../../src/nn/autograd.ts';
import { quadrantJpeg } from '../support/pictures.ts';
import { runCli } from '../support/cli.ts';
import { CIFAR10_DIRECTORY } from '../../scripts/data-location.mjs';
import { FASHION_MNIST_DIRECTORY } from '../../src/data/fashion-mnist.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'keras');

function pngOf(width: number, height: number): Uint8Array {
  const png = new PNG({ width, height });
  for (let i = 0; i < png.data.length; i++) png.data[i] = i % 4 === 3 ? 255 : (i * 37) % 256;
  return PNG.sync.write(png);
}

describe('aelab import-keras and reconstruct --input', () => {
  const out = mkdtempSync(join(tmpdir(), 'aelab-models-'));
  const imported = join(out, 'keras');

  it('imports the Keras fixture as a run folder', () => {
    const result = runCli(['import-keras', join(FIXTURE, 'small.keras'), '--out', imported]);
    expect(result.stderr).toMatch(/wrote .*keras: 5 tensors from small.keras/);
    expect(result.status).toBe(0);
    const config = JSON.parse(readFileSync(join(imported, 'config.json'), 'utf8'));
    expect(config.architecture.input).toEqual([3, 32, 32]);
    expect(config.importedFrom).toMatchObject({ format: 'keras', kerasVersion: '3.15.1' });
    // The same model from the pair of files: the same weights.
    const pair = join(out, 'pair');
    const unzipped = join(out, 'unzipped');
    mkdirSync(unzipped);
    const entries = unzipSync(readFileSync(join(FIXTURE, 'small.keras')));
    writeFileSync(join(unzipped, 'config.json'), entries['config.json']!);
    writeFileSync(join(unzipped, 'model.weights.h5'), entries['model.weights.h5']!);
    const fromPair = runCli([
      'import-keras',
      join(unzipped, 'config.json'),
      join(unzipped, 'model.weights.h5'),
      '--out',
      pair,
    ]);
    expect(fromPair.status).toBe(0);
    const weights = (folder: string) =>
      decodeSafetensors(readFileSync(join(folder, 'model.safetensors')), folder).metadata['aelab.sha256'];
    expect(weights(pair)).toBe(weights(imported));
  });

  it('reconstructs a folder of mixed PNG and JPEG pictures, naming one of a size the model cannot give back', async () => {
    const pictures = join(out, 'pictures');
    mkdirSync(pictures);
    writeFileSync(join(pictures, 'a.png'), pngOf(48, 32));
    writeFileSync(join(pictures, 'b.jpg'), quadrantJpeg(64, 40));
    writeFileSync(join(pictures, 'c.jpeg'), quadrantJpeg(33, 20));
    const coloured = join(out, 'reconstructed');
    const result = runCli(['reconstruct', '--model', imported, '--input', pictures, '--out', coloured]);
    expect(result.stderr).toMatch(/c.jpeg: 33x20: this model gives back pictures whose sides are multiples of 2/);
    expect(result.stderr).toMatch(/wrote 2 reconstructions/);
    expect(result.status).toBe(1);
    for (const [name, width, height] of [
      ['a.png', 48, 32],
      ['b.png', 64, 40],
    ] as const) {
      const png = PNG.sync.read(readFileSync(join(coloured, name)));
      expect([png.width, png.height]).toEqual([width, height]);
    }
    // a.png (lossless) as the float64 reference of the same imported model computes it, to the 8-bit rounding.
    const files = unzipKeras(readFileSync(join(FIXTURE, 'small.keras')), 'small.keras');
    const reference = new ReferenceEngine();
    const { model: layers, tensors } = await importKeras(files, 'small.keras');
    const model = layerModelAutoencoder(reference, layers, 0);
    for (const [name, parameter] of model.namedParameters()) parameter.data.set(tensors.get(name)!.data);
    const source = PNG.sync.read(Buffer.from(pngOf(48, 32)));
    const planes = new Float64Array(3 * 48 * 32);
    for (let p = 0; p < 48 * 32; p++)
      for (let c = 0; c < 3; c++) planes[c * 48 * 32 + p] = source.data[4 * p + c]! / 255;
    const expected = noGrad(() => model.forward(reference.tensor(planes, [1, 3, 32, 48]))).data;
    const written = PNG.sync.read(readFileSync(join(coloured, 'a.png')));
    let worst = 0;
    for (let p = 0; p < 48 * 32; p++)
      for (let c = 0; c < 3; c++)
        worst = Math.max(worst, Math.abs(written.data[4 * p + c]! - 255 * expected[c * 48 * 32 + p]!));
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-3);
    expect(existsSync(join(coloured, 'c.png'))).toBe(false);
  });

  it('reconstructs test images of a data set with the imported model', () => {
    const grid = join(out, 'grid.png');
    const result = runCli([
      'reconstruct',
      '--model',
      imported,
      '--data',
      CIFAR10_DIRECTORY,
      '--out',
      grid,
      '--count',
      '3',
    ]);
    expect(result.stderr).toMatch(/3 test images \(left\) and their reconstructions/);
    expect(result.status).toBe(0);
    expect(PNG.sync.read(readFileSync(grid)).width).toBeGreaterThan(0);
  });

  it('exports the imported model as ONNX, and ONNX Runtime computes what Keras computed, to 1e-5', async () => {
    const file = join(out, 'small.onnx');
    const result = runCli(['export', '--model', imported, '--format', 'onnx', '--out', file]);
    expect(result.stderr).toMatch(/ONNX opset 17, input 'image' \[batch, 3, 32, 32\]/);
    expect(result.status).toBe(0);
    const inputs = JSON.parse(readFileSync(join(FIXTURE, 'inputs.json'), 'utf8')).inputs as number[][][][];
    const outputs = JSON.parse(readFileSync(join(FIXTURE, 'outputs.json'), 'utf8')).outputs as number[][][][];
    // NHWC (Keras) to NCHW (the graph) and back.
    const nchw = new Float32Array(inputs.length * 3 * 32 * 32);
    inputs.forEach((image, n) =>
      image.forEach((row, y) =>
        row.forEach((pixel, x) => pixel.forEach((value, c) => (nchw[((n * 3 + c) * 32 + y) * 32 + x] = value))),
      ),
    );
    const session = await ort.InferenceSession.create(readFileSync(file));
    const got = (await session.run({ image: new ort.Tensor('float32', nchw, [inputs.length, 3, 32, 32]) }))['output']!
      .data as Float32Array;
    let worst = 0;
    outputs.forEach((image, n) =>
      image.forEach((row, y) =>
        row.forEach((pixel, x) =>
          pixel.forEach(
            (value, c) => (worst = Math.max(worst, Math.abs(got[((n * 3 + c) * 32 + y) * 32 + x]! - value))),
          ),
        ),
      ),
    );
    expect(worst).toBeLessThan(1e-5);
  });

  it('exports an autoencoder trained on 28 x 28 gray images at that size, which ONNX Runtime runs', async () => {
    const run = join(out, 'fashion');
    const trained = runCli([
      'autoencoder',
      '--data',
      FASHION_MNIST_DIRECTORY,
      '--epochs',
      '1',
      '--sample',
      '0.005',
      '--no-tune',
      '--out',
      run,
    ]);
    expect(trained.status, trained.stderr).toBe(0);
    const file = join(out, 'fashion.onnx');
    const result = runCli(['export', '--model', run, '--out', file]);
    expect(result.stderr).toMatch(/input 'image' \[batch, 1, 28, 28\]/);
    const session = await ort.InferenceSession.create(readFileSync(file));
    const image = new ort.Tensor('float32', new Float32Array(28 * 28).fill(0.5), [1, 1, 28, 28]);
    expect((await session.run({ image }))['output']!.dims).toEqual([1, 1, 28, 28]);
  });

  it.each<[string, string[], RegExp, number]>([
    ['no --data nor --input', ['reconstruct', '--model', 'x', '--out', 'y'], /give --data DIR .* or --input/, 2],
    ['no model', ['import-keras', '--out', 'y'], /a Keras model is required/, 2],
    [
      'another export format',
      ['export', '--model', 'x', '--format', 'tflite', '--out', 'y'],
      /the one format written is onnx/,
      2,
    ],
    [
      'a folder that holds no run',
      ['export', '--model', FIXTURE, '--out', 'y.onnx'],
      /no config.json \(not a finished run folder\)/,
      1,
    ],
    [
      'a file that is not a .keras',
      ['import-keras', join(FIXTURE, 'inputs.json'), '--out', 'y'],
      /inputs.json: not a .keras file/,
      1,
    ],
    [
      'a colouriser of the wrong shape',
      ['import-keras', join(FIXTURE, 'small.keras'), '--method', 'ycbcr', '--out', 'y'],
      /a ycbcr colouriser takes 1 channel in and gives 2 out; this model takes 3 and gives 3/,
      1,
    ],
  ])('refuses %s', (_name, args, message, status) => {
    const result = runCli(args);
    expect(result.stderr).toMatch(message);
    expect(result.status).toBe(status);
  });
});
