// The lab's engine-side code (the Inside view's numbers, the settings in the URL) and its
// server, on Node; scripts/browser-lab.mjs drives the page itself in Chromium.
import { describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { testEngine } from '../support/engine.ts';
import { CIFAR10_DIRECTORY } from '../../scripts/data-location.mjs';
import { loadCifar10 } from '../../src/data/cifar10.ts';
import { toFloat } from '../../src/data/image-set.ts';
import { notebookAutoencoder } from '../../src/experiments/notebook-autoencoder.ts';
import { backward } from '../../src/nn/autograd.ts';
import * as F from '../../src/nn/functional.ts';
import { Conv2d, MaxPool2d } from '../../src/nn/modules.ts';
import { convStep, layerOutputs, modelInternals, plainConvDifference, poolStep } from '../../src/lab/inside-capture.ts';
import { histogram } from '../../src/lab/views/weight-histograms.ts';
import { DEFAULT_SETTINGS, settingsFromQuery, settingsOfModelName, settingsQuery } from '../../src/lab/settings.ts';
import { createLabServer, exportLab, servedBatches } from '../../src/cli/lab.ts';
import { historyCsv, parseHistoryCsv } from '../../src/experiments/report.ts';
import { relativeError } from '../../src/checks/check.ts';
import { Random } from '../../src/random.ts';
import type { Tensor } from '../../src/backend/tensor.ts';

const engine = await testEngine();

describe.skipIf(!engine)("the Inside view's numbers", async () => {
  const { test } = loadCifar10(CIFAR10_DIRECTORY);
  const images = toFloat(test, [0, 1, 2, 3]);
  const shape = [4, 3, 32, 32];
  const model = notebookAutoencoder(engine!, 7);
  const internals = await modelInternals(engine!, model, images, shape);

  it("chains each layer's output into the next, and ends at the model's own (fused) output", async () => {
    internals.slice(1).forEach((layer, i) => expect(layer.input.values).toEqual(internals[i]!.output.values));
    const fused = await engine!.scope(() => model.forward(engine!.tensor(images, shape))).read();
    expect(relativeError(internals.at(-1)!.output.values, fused.slice(0, 3 * 32 * 32))).toBeLessThan(1e-5);
  });

  it("gives the model diagram each layer's output for one image, forward only: the Inside view's values", async () => {
    const outputs = await layerOutputs(engine!, model, images.slice(0, 3 * 32 * 32), [3, 32, 32]);
    expect(outputs.map((maps) => maps.shape)).toEqual(internals.map((layer) => layer.output.shape));
    outputs.forEach((maps, i) => expect(relativeError(maps.values, internals[i]!.output.values)).toBeLessThan(1e-5));
  });

  it('gives the weight gradients that one backward through the whole model gives', async () => {
    const whole = await engine!.scopeAsync(async () => {
      const batch = engine!.tensor(images, shape);
      backward(F.binaryCrossEntropy(model.forward(batch), batch));
      const convs = model.encoder.layers.concat(model.decoder.layers).filter((layer) => layer instanceof Conv2d);
      const gradients = await engine!.readAll(convs.map((conv) => conv.weight.grad!));
      model.zeroGrad();
      return gradients;
    });
    const layered = internals.filter((layer) => layer.weightGradient).map((layer) => layer.weightGradient!);
    expect(layered).toHaveLength(whole.length);
    layered.forEach((gradient, i) => expect(relativeError(gradient, whole[i]!)).toBeLessThan(1e-4));
    expect(internals.slice(0, -1).every((layer) => layer.outputGradient !== null)).toBe(true);
    expect(internals.at(-1)!.outputGradient).toBeNull();
  });

  it("works a conv value out term by term, equal to the GPU's value and the float64 reference's", async () => {
    for (const index of [0, 2, 6, 8]) {
      const layer = internals[index]!;
      const conv = layer.layer as Conv2d<Tensor>;
      const [weight, bias] = await engine!.readAll([conv.weight, conv.bias!]);
      const [, height, width] = layer.output.shape as [number, number, number];
      for (const [y, x] of [
        [0, 0],
        [height - 1, width - 1],
        [5, 3],
      ] as const) {
        const step = convStep(conv, layer, weight!, bias!, 1, y, x);
        expect(step.terms).toHaveLength(conv.weight.shape[1]! * 9);
        expect(step.terms.filter((term) => term.row === null).length).toBe(
          y === 0 || y === height - 1
            ? 3 * conv.weight.shape[1]! + (x === 0 || x === width - 1 ? 2 * conv.weight.shape[1]! : 0)
            : 0,
        );
        expect(Math.abs(step.value - step.reference)).toBeLessThan(1e-12 + 1e-12 * Math.abs(step.reference));
        expect(Math.abs(step.gpu - step.reference)).toBeLessThan(1e-4 * Math.max(1, Math.abs(step.reference)));
      }
    }
  });

  it("runs each conv again with the plain kernel, within float32 rounding of the layer's output", async () => {
    const compiled = engine!.kernels.compiled.length;
    for (const layerInternals of internals.filter(({ layer }) => layer instanceof Conv2d)) {
      const { difference, largest } = await plainConvDifference(
        engine!,
        layerInternals.layer as Conv2d<Tensor>,
        layerInternals,
      );
      expect(largest).toBeGreaterThan(0);
      expect(difference).toBeLessThan(1e-5 * Math.max(1, largest));
    }
    expect(engine!.kernels.compiled.slice(compiled).map((variant) => variant.label)).toContain('conv2d.forward_plain');
  });

  it('names the first maximum of a pool window the winner (the tie rule) and never the padding', () => {
    const pool = internals[1]!;
    const step = poolStep(pool.layer as MaxPool2d, pool, 2, 3, 4);
    const values = step.window.map((cell) => cell.value!);
    expect(step.winner).toBe(values.indexOf(Math.max(...values)));
    expect(step.gpu).toBe(Math.max(0, ...values)); // the pool applies the conv's ReLU
    const tied = {
      ...pool,
      input: { shape: [1, 2, 2], values: new Float32Array([0.5, 0.5, 0.5, 0.1]) },
      output: { shape: [1, 1, 1], values: new Float32Array([0.5]) },
    };
    expect(poolStep(new MaxPool2d(2), tied, 0, 0, 0).winner).toBe(0);
    const padded = {
      ...pool,
      input: { shape: [1, 3, 3], values: new Float32Array(9).fill(-1) },
      output: { shape: [1, 2, 2], values: new Float32Array(4) },
    };
    const corner = poolStep(new MaxPool2d(2), padded, 0, 1, 1);
    expect(corner.window.filter((cell) => cell.value === null)).toHaveLength(3);
    expect(corner.window[corner.winner]!.value).toBe(-1);
  });
});

describe('the weight histograms', () => {
  it('count every value once, in equal bins from the least to the largest', () => {
    const { low, high, counts } = histogram(new Float32Array([-1, -0.5, 0, 0, 0.25, 1]), 4);
    expect([low, high]).toEqual([-1, 1]);
    expect(counts).toEqual([1, 1, 3, 1]);
    expect(histogram(new Float32Array([2, 2, 2]), 3).counts).toEqual([3, 0, 0]);
  });
});

describe("the lab's settings in the URL", () => {
  it("round-trip through the query, refuse values outside their rules, and follow a model file's name", () => {
    const settings = {
      ...DEFAULT_SETTINGS,
      model: 'sweep' as const,
      channelFactor: 4,
      kernelSize: 5,
      learningRate: 0.0005,
      epochs: 3,
    };
    expect(settingsFromQuery(`?${settingsQuery(settings)}`)).toEqual(settings);
    expect(settingsQuery(DEFAULT_SETTINGS).toString()).toBe('');
    expect(() => settingsFromQuery('?epochs=0')).toThrow('epochs: 0 is outside 1-1000');
    expect(() => settingsFromQuery('?optimiser=lbfgs')).toThrow("optimiser: 'lbfgs' is not one of rmsprop, adam, sgd");
    expect(() => settingsFromQuery('?batchSize=3.5')).toThrow("batchSize: '3.5' is not an integer");
    expect(settingsOfModelName('fewer-c8-k5-x4', DEFAULT_SETTINGS)).toMatchObject({
      model: 'sweep',
      fewerLayers: true,
      channelFactor: 8,
      kernelSize: 5,
      compression: 4,
    });
    expect(settingsOfModelName('notebook autoencoder', settings)).toMatchObject({ model: 'notebook', epochs: 3 });
    expect(settingsOfModelName('full-c2-k3-x2-relu', DEFAULT_SETTINGS)).toBeNull();
  });
});

describe('the lab server', () => {
  const get = (port: number, path: string, method = 'GET') =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      request({ host: '127.0.0.1', port, path, method }, (response) => {
        let body = '';
        response.on('data', (chunk) => (body += chunk));
        response.on('end', () => resolve({ status: response.statusCode!, body }));
      })
        .on('error', reject)
        .end();
    });

  it("serves the page and the data folder's CIFAR-10 batches, and a 404 for every other path", async () => {
    const page = mkdtempSync(join(tmpdir(), 'aelab-page-'));
    for (const file of ['index.html', 'lab.js', 'lab.css', 'lab.js.map'])
      writeFileSync(join(page, file), `${file} body`);
    const data = mkdtempSync(join(tmpdir(), 'aelab-data-'));
    writeFileSync(join(data, 'test_batch.bin'), new Uint8Array(new Random(1).values(3073).map((v) => 128 + 100 * v)));
    writeFileSync(join(data, 'secret.txt'), 'not served');
    mkdirSync(join(data, 'data_batch_1.bin.d'));
    const server = createLabServer(page, servedBatches(data));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    try {
      expect(await get(port, '/')).toEqual({ status: 200, body: 'index.html body' });
      expect((await get(port, '/lab.js?v=1')).body).toBe('lab.js body');
      expect(JSON.parse((await get(port, '/data/index.json')).body)).toEqual({ files: ['test_batch.bin'] });
      expect((await get(port, '/data/test_batch.bin')).body.length).toBeGreaterThan(0);
      for (const path of [
        '/data/secret.txt',
        '/../package.json',
        '/data/../secret.txt',
        '/data/%2e%2e%2fsecret.txt',
        `/${page}/lab.js`,
        '/lab.ts',
      ]) {
        expect((await get(port, path)).status, path).toBe(404);
      }
      expect((await get(port, '/', 'POST')).status).toBe(405);
    } finally {
      server.close();
    }
  });

  it('exports the page and the batches as a static site, the files the server would serve, and never overwrites', () => {
    const page = mkdtempSync(join(tmpdir(), 'aelab-page-'));
    for (const file of ['index.html', 'lab.js', 'lab.css', 'lab.js.map'])
      writeFileSync(join(page, file), `${file} body`);
    const data = mkdtempSync(join(tmpdir(), 'aelab-data-'));
    const batch = new Uint8Array(new Random(2).values(3073).map((v) => 128 + 100 * v));
    writeFileSync(join(data, 'test_batch.bin'), batch);
    writeFileSync(join(data, 'data_batch_1.bin'), batch.slice().reverse());
    writeFileSync(join(data, 'readme.txt'), 'not exported');
    const site = join(mkdtempSync(join(tmpdir(), 'aelab-site-')), 'site');
    expect(exportLab(page, servedBatches(data), site)).toMatchObject({ files: 7 });
    expect(readdirSync(site).sort()).toEqual(['data', 'index.html', 'lab.css', 'lab.js', 'lab.js.map']);
    expect(readdirSync(join(site, 'data')).sort()).toEqual(['data_batch_1.bin', 'index.json', 'test_batch.bin']);
    expect(JSON.parse(readFileSync(join(site, 'data', 'index.json'), 'utf8'))).toEqual({
      files: ['data_batch_1.bin', 'test_batch.bin'],
    });
    expect(new Uint8Array(readFileSync(join(site, 'data', 'test_batch.bin')))).toEqual(batch);
    expect(readFileSync(join(site, 'lab.js'), 'utf8')).toBe('lab.js body');
    expect(() => exportLab(page, servedBatches(data), site)).toThrow(/not a new or empty folder/);
    // Without data, the page alone: the page then takes dropped files.
    const bare = join(mkdtempSync(join(tmpdir(), 'aelab-site-')), 'bare');
    exportLab(page, servedBatches(null), bare);
    expect(JSON.parse(readFileSync(join(bare, 'data', 'index.json'), 'utf8'))).toEqual({ files: [] });
  });

  it('refuses a --data folder without CIFAR-10 batches, naming it', () => {
    const empty = mkdtempSync(join(tmpdir(), 'aelab-empty-'));
    expect(() => servedBatches(empty)).toThrow(`--data ${empty}: no CIFAR-10 binary batches`);
    expect(() => servedBatches('/nonexistent/folder')).toThrow('--data /nonexistent/folder: no such directory');
    expect(servedBatches(null).size).toBe(0);
  });
});

describe('history.csv, as the Results view reads it', () => {
  it('reads back what the runs write, with or without validation, and refuses a file of another kind', () => {
    const metrics = (loss: number) => ({ loss, binaryAccuracy: 0.25, meanSquaredError: 0.015625, psnr: 18.0618 });
    const history = [
      { epoch: 1, seconds: 2.5, train: metrics(0.625), validation: metrics(0.5) },
      { epoch: 2, seconds: 1.25, train: metrics(0.5), validation: null },
    ];
    expect(parseHistoryCsv(historyCsv(history), 'history.csv')).toEqual(history);
    expect(() => parseHistoryCsv('trial,test_loss\n1,0.5\n', 'results.csv')).toThrow(
      "results.csv: no epoch and loss columns; not a run's history.csv",
    );
    expect(() => parseHistoryCsv(`${historyCsv(history)}3,,,,,,,,,\n`, 'h.csv')).toThrow(
      'h.csv: line 4 has no epoch or loss',
    );
  });
});
