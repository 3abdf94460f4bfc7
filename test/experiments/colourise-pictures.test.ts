// A trained colouriser put to use without a file system (what the lab page runs): pictures of
// any size padded and cropped back, and a model folder rebuilt from its files' contents.
import { describe, expect, it } from 'vitest';
import { testEngine } from '../support/engine.ts';
import {
  areaResize,
  colouriseFullResolution,
  colouriseImages,
  padToMultiple,
  savedColouriser,
} from '../../src/experiments/colourise/colourise-pictures.ts';
import { colourMethod, PART1_SHAPE, resizeBilinear, type Planes } from '../../src/experiments/colourise/methods.ts';
import { describedAutoencoder } from '../../src/experiments/configurable-autoencoder.ts';
import { tensorsToFile } from '../../src/nn/safetensors.ts';
import { Random } from '../../src/random.ts';
import { binsFromJson, binsToJson, findBins } from '../../src/experiments/colourise/ab-bins.ts';

const engine = await testEngine();

/** The top-left height x width of [count, 3, H, W] planes. */
function crop(planes: Float32Array, count: number, from: Planes, height: number, width: number): Float32Array {
  const result = new Float32Array(count * 3 * height * width);
  for (let k = 0; k < count * 3; k++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        result[(k * height + y) * width + x] = planes[(k * from.height + y) * from.width + x]!;
  return result;
}

function randomPicture(height: number, width: number, seed: number): Planes {
  const random = new Random(seed);
  return { data: Float32Array.from({ length: 3 * height * width }, () => random.next()), count: 1, height, width };
}

describe('pictures of any size', () => {
  it('are padded by repeating their last row and column, and cropped back to what they were', () => {
    // One 2 x 3 picture, its three planes 0..5, 10..15, 20..25.
    const data = Float32Array.from({ length: 18 }, (_, i) => Math.floor(i / 6) * 10 + (i % 6));
    const padded = padToMultiple({ data, count: 1, height: 2, width: 3 }, 4);
    expect([padded.height, padded.width]).toEqual([4, 4]);
    expect(Array.from(padded.data.subarray(0, 16))).toEqual([0, 1, 2, 2, 3, 4, 5, 5, 3, 4, 5, 5, 3, 4, 5, 5]);
    expect(Array.from(padded.data.subarray(32, 36))).toEqual([20, 21, 22, 22]);
    expect(Array.from(crop(padded.data, 1, padded, 2, 3))).toEqual(Array.from(data));
  });

  it.skipIf(!engine)('are colourised at their own size, as the padded picture is where they overlap', async () => {
    const method = colourMethod('ycbcr', PART1_SHAPE, engine!, null);
    const model = describedAutoencoder(engine!, method.architecture, 3);
    const picture = randomPicture(13, 22, 5);
    const colours = await colouriseFullResolution(engine!, model, method, picture, Infinity);
    expect(colours.length).toBe(3 * 13 * 22);
    const padded = padToMultiple(picture, 4);
    const whole = await colouriseImages(engine!, model, method, padded, 1);
    expect(Array.from(colours)).toEqual(Array.from(crop(whole, 1, padded, 13, 22)));
    // A colour, not the gray: the colouriser's chroma moved the channels apart somewhere.
    const plane = 13 * 22;
    expect(colours.some((value, i) => i < plane && Math.abs(value - colours[i + plane]!) > 1e-3)).toBe(true);
    model.parameters().forEach((parameter) => parameter.dispose());
  });
});

describe('resizing', () => {
  it('averages the pixels each output pixel covers when shrinking, and interpolates between centres when growing', () => {
    // One plane of 4 x 4: 0..15.
    const plane = Float32Array.from({ length: 16 }, (_, i) => i);
    expect(Array.from(areaResize(plane, 1, 4, 4, 2, 2))).toEqual([2.5, 4.5, 10.5, 12.5]);
    // Two pixels [0, 1] grown to four: centres at 0.25, 0.75 -> clamped 0, 0.25, 0.75, 1.
    expect(Array.from(resizeBilinear(new Float32Array([0, 1]), 1, 1, 2, 1, 4, 1, 0.5))).toEqual([0, 0.25, 0.75, 1]);
  });
});

describe.skipIf(!engine)('a large picture colourised at full resolution', () => {
  it("is the picture's size, and its luma is the picture's own (ycbcr): every detail kept", async () => {
    const method = colourMethod('ycbcr', PART1_SHAPE, engine!, null);
    const model = describedAutoencoder(engine!, method.architecture, 3);
    // Colours in the middle of the range, so that no clipping changes the luma.
    const random = new Random(8);
    const [height, width] = [61, 90];
    const picture = {
      data: Float32Array.from({ length: 3 * height * width }, () => 0.35 + 0.3 * random.next()),
      count: 1,
      height,
      width,
    };
    const colours = await colouriseFullResolution(engine!, model, method, picture, 16);
    expect(colours.length).toBe(3 * height * width);
    const luma = method.gray(picture);
    const outputLuma = method.gray({ ...picture, data: colours });
    let largest = 0;
    luma.forEach((value, i) => (largest = Math.max(largest, Math.abs(value - outputLuma[i]!))));
    expect(largest).toBeLessThan(1e-5);
    // The chroma is the model's, predicted at 16 x 11: not the picture's.
    expect(colours.some((value, i) => Math.abs(value - picture.data[i]!) > 1e-3)).toBe(true);
    model.parameters().forEach((parameter) => parameter.dispose());
  });
});

describe.skipIf(!engine)("a model folder of 'aelab colourise', from its files' contents", () => {
  const method = colourMethod('difference', PART1_SHAPE, engine!, null);

  it('rebuilds the model that wrote the weights: the same colours', async () => {
    const trained = describedAutoencoder(engine!, method.architecture, 11);
    const weights = await tensorsToFile(engine!, trained.namedParameters(), { model: 'difference' });
    const loaded = savedColouriser(engine!, 'runs/difference', {
      config: { method: 'difference', architecture: method.architecture },
      weights,
      bins: null,
    });
    expect(loaded.method.name).toBe('difference');
    const picture = randomPicture(8, 8, 2);
    const expected = await colouriseImages(engine!, trained, method, picture, 1);
    expect(Array.from(await colouriseImages(engine!, loaded.model, loaded.method, picture, 1))).toEqual(
      Array.from(expected),
    );
    [trained, loaded.model].forEach((model) => model.parameters().forEach((parameter) => parameter.dispose()));
  });

  it('decodes lab-classes at the temperature its config.json keeps, and refuses one outside (0, 1]', async () => {
    const bins = binsToJson(findBins(Float64Array.from({ length: 200 }, (_, i) => (i % 20) * 5 - 50)));
    const labMethod = colourMethod('lab-classes', PART1_SHAPE, null, binsFromJson(bins));
    const model = describedAutoencoder(engine!, labMethod.architecture, 1);
    const weights = await tensorsToFile(engine!, model.namedParameters(), {});
    const config = { method: 'lab-classes', architecture: labMethod.architecture, temperature: 0.5 };
    const loaded = savedColouriser(engine!, 'runs/lab-classes', { config, weights, bins });
    expect(loaded.method.description).toMatch(/annealed mean \(T = 0\.5\)$/);
    expect(() =>
      savedColouriser(engine!, 'runs/lab-classes', { config: { ...config, temperature: 0 }, weights, bins }),
    ).toThrow("the annealed mean's temperature must be in (0, 1], not 0");
    [model, loaded.model].forEach((each) => each.parameters().forEach((parameter) => parameter.dispose()));
  });

  it("refuses an autoencoder's folder, a lab-classes folder without its bins, and weights of another shape", async () => {
    const weights = new Uint8Array(0);
    expect(() =>
      savedColouriser(engine!, 'runs/part1', { config: { model: 'notebook' }, weights, bins: null }),
    ).toThrow("runs/part1: a run folder of another kind (an autoencoder's, not a colouriser's)");
    expect(() =>
      savedColouriser(engine!, 'runs/lab-classes', {
        config: { method: 'lab-classes', architecture: method.architecture },
        weights,
        bins: null,
      }),
    ).toThrow('runs/lab-classes: a lab-classes colouriser without its bins.json');
    const other = describedAutoencoder(engine!, { ...method.architecture, channelFactor: 2 }, 1);
    const otherWeights = await tensorsToFile(engine!, other.namedParameters(), {});
    expect(() =>
      savedColouriser(engine!, 'runs/difference', {
        config: { method: 'difference', architecture: method.architecture },
        weights: otherWeights,
        bins: null,
      }),
    ).toThrow(/^runs\/difference\/model\.safetensors: .*shape/);
    other.parameters().forEach((parameter) => parameter.dispose());
  });
});
