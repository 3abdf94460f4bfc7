// Part 3's maths on the CPU: the ab bins, the metrics against hand-computed values, the
// methods' conversions, and the gray baseline against an independent NumPy measurement.
import { describe, expect, it } from 'vitest';
import { BinSearch, findBins, NEIGHBOURS } from '../../src/experiments/colourise/ab-bins.ts';
import {
  abAccuracy,
  abOf,
  colourfulness,
  gaussianWindow,
  imageColourfulness,
  planeSsim,
  psnrs,
  ssim,
} from '../../src/experiments/colourise/metrics.ts';
import {
  colourMethod,
  grayBaseline,
  labClassesMethod,
  PART1_SHAPE,
  upsampleBilinear,
  type Planes,
} from '../../src/experiments/colourise/methods.ts';
import { loadCifar10 } from '../../src/data/cifar10.ts';
import { toFloat } from '../../src/data/image-set.ts';
import { Random } from '../../src/random.ts';
import { CIFAR10_DIRECTORY } from '../../scripts/data-location.mjs';

function randomPlanes(count: number, height: number, width: number, seed: number): Planes {
  const random = new Random(seed);
  return { data: Float32Array.from({ length: count * 3 * height * width }, () => random.next()), count, height, width };
}

describe('ab bins', () => {
  const random = new Random(7);
  const ab = Float64Array.from({ length: 4000 }, () => 60 * (2 * random.next() - 1));
  const bins = findBins(ab);

  it('keeps the 10-unit cells that pixels fall into, and weights them to mean 1 over the pixels', () => {
    // Points within [-60, 60] round to the 13 x 13 cells from -60 to 60.
    expect(bins.count).toBe(169);
    expect(bins.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    expect(bins.probabilities.reduce((total, p, q) => total + p * bins.weights[q]!, 0)).toBeCloseTo(1, 12);
    // A rarer bin weighs more.
    const [rare, common] = [
      bins.probabilities.indexOf(Math.min(...bins.probabilities)),
      bins.probabilities.indexOf(Math.max(...bins.probabilities)),
    ];
    expect(bins.weights[rare]).toBeGreaterThan(bins.weights[common]!);
  });

  it('finds the same 5 nearest bins as a search of them all', () => {
    const search = new BinSearch(bins);
    for (let i = 0; i < 200; i++) {
      const [a, b] = [150 * (2 * random.next() - 1), 150 * (2 * random.next() - 1)];
      const distances = Array.from(
        { length: bins.count },
        (_, q) => (bins.centres[2 * q]! - a) ** 2 + (bins.centres[2 * q + 1]! - b) ** 2,
      ).sort((x, y) => x - y);
      expect(search.nearest(a, b, NEIGHBOURS).distances).toEqual(distances.slice(0, NEIGHBOURS));
    }
  });

  it('soft-encodes a pixel over 5 bins, its mass the weight of its nearest bin', () => {
    const search = new BinSearch(bins);
    const target = new Float32Array(bins.count);
    search.softEncode(12, -31, target, 0, 1);
    expect(target.filter((value) => value > 0).length).toBe(NEIGHBOURS);
    expect(target.reduce((a, b) => a + b, 0)).toBeCloseTo(search.weightOf(12, -31), 5);
    // The nearest bin (10, -30) gets the most.
    const nearest = search.nearest(12, -31, 1).bins[0]!;
    expect([bins.centres[2 * nearest], bins.centres[2 * nearest + 1]]).toEqual([10, -30]);
    expect(target.indexOf(Math.max(...target))).toBe(nearest);
  });
});

describe('metrics', () => {
  const window = gaussianWindow();

  it('SSIM of constant planes a and b is (2ab + C1) / (a^2 + b^2 + C1)', () => {
    const c1 = 0.01 ** 2;
    const [a, b] = [0.3, 0.7];
    expect(planeSsim(new Float64Array(144).fill(a), new Float64Array(144).fill(b), 12, 12, window)).toBeCloseTo(
      (2 * a * b + c1) / (a * a + b * b + c1),
      10,
    );
  });

  it('SSIM of y = s x + t on one 11 x 11 window matches the closed form from weighted moments', () => {
    const random = new Random(3);
    const x = Float64Array.from({ length: 121 }, () => random.next());
    const [s, t] = [0.5, 0.2];
    const y = x.map((value) => s * value + t);
    let [mean, square] = [0, 0];
    x.forEach((value, i) => {
      mean += window[i]! * value;
      square += window[i]! * value * value;
    });
    const variance = square - mean * mean;
    const [c1, c2] = [0.01 ** 2, 0.03 ** 2];
    const meanY = s * mean + t;
    const expected =
      ((2 * mean * meanY + c1) * (2 * s * variance + c2)) /
      ((mean * mean + meanY * meanY + c1) * ((1 + s * s) * variance + c2));
    expect(planeSsim(x, y, 11, 11, window)).toBeCloseTo(expected, 10);
  });

  it('SSIM of an image with itself is 1, and lower for another', () => {
    const images = randomPlanes(2, 16, 16, 5);
    const batch = { pixels: images.data, count: 2, height: 16, width: 16 };
    expect(ssim(batch, batch)).toBeCloseTo(1, 12);
    expect(ssim({ ...batch, pixels: randomPlanes(2, 16, 16, 6).data }, batch)).toBeLessThan(0.5);
  });

  it('colourfulness of a two-pixel image by hand: red and green', () => {
    // rg = (255, -255), yb = (127.5, 127.5): sigma_rg = 255, sigma_yb = 0, mu_rg = 0, mu_yb = 127.5.
    const pixels = Float32Array.of(1, 0, 0, 1, 0, 0);
    expect(imageColourfulness(pixels, 2)).toBeCloseTo(255 + 0.3 * 127.5, 4);
    expect(colourfulness({ pixels: new Float32Array(3 * 16).fill(0.4), count: 1, height: 4, width: 4 })).toBeCloseTo(
      0,
      6,
    );
  });

  it('pooled PSNR from the pooled MSE; the median is infinite when most images match exactly', () => {
    const truth = { pixels: new Float32Array(3 * 3 * 4).fill(0.5), count: 3, height: 2, width: 2 };
    const prediction = { ...truth, pixels: truth.pixels.slice() };
    prediction.pixels.fill(0.6, 0, 12); // image 0 off by 0.1 everywhere: MSE 0.01 there, 0.01 / 3 pooled
    const { pooled, median } = psnrs(prediction, truth);
    expect(pooled).toBeCloseTo(10 * Math.log10(300), 5);
    expect(median).toBe(Infinity);
  });

  it('ab accuracy: a perfect prediction is within every threshold; one off by 19.5 from threshold 20', () => {
    const images = randomPlanes(2, 4, 4, 9);
    const truthAb = abOf({ pixels: images.data, count: 2, height: 4, width: 4 });
    expect(abAccuracy(truthAb, truthAb).auc).toBeCloseTo(1, 12);
    const shifted = truthAb.map((value, i) => (i % 2 === 0 ? value + 19.5 : value));
    const { curve, auc, aucRebalanced } = abAccuracy(shifted, truthAb);
    expect(curve[19]).toBe(0);
    expect(curve[20]).toBeCloseTo(1, 12);
    expect(auc).toBeCloseTo(131 / 151, 6);
    expect(aucRebalanced).toBeCloseTo(131 / 151, 6);
  });
});

describe('methods', () => {
  const images = randomPlanes(2, 8, 8, 11);
  it.each(['ycbcr', 'difference'] as const)('%s: the gray plane and the exact targets give the image back', (name) => {
    const method = colourMethod(name, PART1_SHAPE, null, null);
    const back = method.reconstruct(method.gray(images), method.targets(images), 2, 8, 8);
    expect(Math.max(...back.map((value, i) => Math.abs(value - images.data[i]!)))).toBeLessThan(1e-5);
  });

  it("notebook-ycbcr: the notebook's own targets do not give the image back", () => {
    const method = colourMethod('notebook-ycbcr', PART1_SHAPE, null, null);
    const back = method.reconstruct(method.gray(images), method.targets(images), 2, 8, 8);
    expect(Math.max(...back.map((value, i) => Math.abs(value - images.data[i]!)))).toBeGreaterThan(0.2);
  });

  it('upsamples bilinearly with centres aligned and edges clamped', () => {
    expect([...upsampleBilinear(Float32Array.of(0, 1), 1, 1, 2)]).toEqual([0, 0.25, 0.75, 1, 0, 0.25, 0.75, 1]);
  });
});

describe('the gray baseline on the test batch', () => {
  it('matches the NumPy figures: 21.85 dB pooled PSNR, true colourfulness 33.7', () => {
    const { test } = loadCifar10(CIFAR10_DIRECTORY);
    const indices = Array.from({ length: test.count }, (_, i) => i);
    const truth: Planes = { data: toFloat(test, indices), count: test.count, height: 32, width: 32 };
    const method = colourMethod('ycbcr', PART1_SHAPE, null, null);
    const gray = method.gray(truth);
    const grayImages = method.reconstruct(gray, new Float32Array(2 * gray.length).fill(0.5), test.count, 32, 32);
    const batch = { pixels: truth.data, count: test.count, height: 32, width: 32 };
    expect(psnrs({ ...batch, pixels: grayImages }, batch).pooled).toBeCloseTo(21.85, 2);
    expect(colourfulness(batch)).toBeCloseTo(33.7, 1);
  });

  it("of each method, its own gray with no colour, matches NumPy's: channel mean 22.26, luma 21.85, L* 21.60 dB", () => {
    const { test } = loadCifar10(CIFAR10_DIRECTORY);
    const indices = Array.from({ length: test.count }, (_, i) => i);
    const truth: Planes = { data: toFloat(test, indices), count: test.count, height: 32, width: 32 };
    const batch = { pixels: truth.data, count: test.count, height: 32, width: 32 };
    const bins = findBins(Float64Array.from({ length: 200 }, (_, i) => (i % 20) * 5 - 50));
    const expected = [
      [colourMethod('difference', PART1_SHAPE, null, null), 'channel mean', 22.26],
      [colourMethod('ycbcr', PART1_SHAPE, null, null), 'BT.601 luma', 21.85],
      [labClassesMethod(null, bins, PART1_SHAPE), 'L*', 21.6],
    ] as const;
    for (const [method, name, psnr] of expected) {
      expect(method.grayName).toBe(name);
      expect(psnrs({ ...batch, pixels: grayBaseline(method, truth) }, batch).pooled).toBeCloseTo(psnr, 2);
    }
  });
});
