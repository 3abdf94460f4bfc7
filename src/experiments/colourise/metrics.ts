// How close colourised images are to the true ones, each on RGB images on [0, 1] (planar,
// three channels, `count` images of height x width):
// - PSNR from the MSE pooled over every test pixel, and the median of per-image PSNRs (a mean
//   would be infinite: some images are exactly gray, and the gray baseline matches them);
// - SSIM (Wang, Bovik, Sheikh and Simoncelli 2004): 11 x 11 Gaussian window, sigma 1.5,
//   K1 = 0.01, K2 = 0.03, L = 1, over the windows that fit, averaged over channels and images;
// - colourfulness (Hasler and Suesstrunk 2003) on the 0-255 scale, mean over images;
// - the share of pixels whose ab error (in L*a*b*) is within each threshold 0..150, and its area
//   under the curve (Zhang et al.'s raw accuracy), raw and with each true colour bin counted
//   equally (class-rebalanced).
import { rgbToLab } from '../../data/colour.ts';
import { BinSearch, findBins } from './ab-bins.ts';

export interface ImageBatch {
  readonly pixels: Float32Array;
  readonly count: number;
  readonly height: number;
  readonly width: number;
}

/** A colouriser's scores on a test set: PSNR pooled and median, SSIM, colourfulness and the ab error curve. */
export interface ColourMetrics {
  readonly pooledPsnr: number;
  readonly medianPsnr: number;
  readonly ssim: number;
  readonly colourfulness: number;
  /** Colourfulness of the predictions over that of the true images: below 1 is washed out. */
  readonly colourfulnessRatio: number;
  /** Share of pixels with ab error within t, for t = 0, 1, ..., 150. */
  readonly abAccuracy: number[];
  readonly abAuc: number;
  readonly abAucRebalanced: number;
}

export const AB_THRESHOLDS = 150;

const psnrOf = (meanSquaredError: number) => 10 * Math.log10(1 / meanSquaredError);

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** PSNR in dB from the MSE over all pixels (pooled), and the median of per-image PSNRs. */
export function psnrs(prediction: ImageBatch, truth: ImageBatch): { pooled: number; median: number } {
  const size = 3 * truth.height * truth.width;
  let total = 0;
  const perImage: number[] = [];
  for (let n = 0; n < truth.count; n++) {
    let squared = 0;
    for (let i = n * size; i < (n + 1) * size; i++) squared += (prediction.pixels[i]! - truth.pixels[i]!) ** 2;
    total += squared;
    perImage.push(psnrOf(squared / size));
  }
  return { pooled: psnrOf(total / (size * truth.count)), median: median(perImage) };
}

/** The normalised 11 x 11 Gaussian window (sigma 1.5). */
export function gaussianWindow(size = 11, sigma = 1.5): Float64Array {
  const half = (size - 1) / 2;
  const row = Array.from({ length: size }, (_, i) => Math.exp(-((i - half) ** 2) / (2 * sigma * sigma)));
  const window = new Float64Array(size * size);
  row.forEach((x, i) => row.forEach((y, j) => (window[i * size + j] = x * y)));
  const total = window.reduce((sum, value) => sum + value, 0);
  return window.map((value) => value / total);
}

/** Mean SSIM of one plane pair over every window position that fits. */
export function planeSsim(
  x: ArrayLike<number>,
  y: ArrayLike<number>,
  height: number,
  width: number,
  window = gaussianWindow(),
): number {
  const size = Math.sqrt(window.length);
  const [c1, c2] = [0.01 ** 2, 0.03 ** 2];
  let total = 0;
  let windows = 0;
  for (let top = 0; top + size <= height; top++)
    for (let left = 0; left + size <= width; left++) {
      let [mx, my, xx, yy, xy] = [0, 0, 0, 0, 0];
      for (let i = 0; i < size; i++)
        for (let j = 0; j < size; j++) {
          const w = window[i * size + j]!;
          const [u, v] = [x[(top + i) * width + left + j]!, y[(top + i) * width + left + j]!];
          mx += w * u;
          my += w * v;
          xx += w * u * u;
          yy += w * v * v;
          xy += w * u * v;
        }
      const [vx, vy, cov] = [xx - mx * mx, yy - my * my, xy - mx * my];
      total += ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx * mx + my * my + c1) * (vx + vy + c2));
      windows += 1;
    }
  return total / windows;
}

/** SSIM (Wang et al.: 11 x 11 Gaussian window, sigma 1.5, K1 0.01, K2 0.03), averaged over channels and images. */
export function ssim(prediction: ImageBatch, truth: ImageBatch): number {
  const plane = truth.height * truth.width;
  const window = gaussianWindow();
  let total = 0;
  for (let k = 0; k < truth.count * 3; k++) {
    total += planeSsim(
      prediction.pixels.subarray(k * plane, (k + 1) * plane),
      truth.pixels.subarray(k * plane, (k + 1) * plane),
      truth.height,
      truth.width,
      window,
    );
  }
  return total / (truth.count * 3);
}

/** Hasler and Suesstrunk's M = sigma_rgyb + 0.3 mu_rgyb of one image, on the 0-255 scale. */
export function imageColourfulness(pixels: ArrayLike<number>, plane: number, offset = 0): number {
  let [sumRg, sumYb, squaresRg, squaresYb] = [0, 0, 0, 0];
  for (let p = 0; p < plane; p++) {
    const [r, g, b] = [
      255 * pixels[offset + p]!,
      255 * pixels[offset + plane + p]!,
      255 * pixels[offset + 2 * plane + p]!,
    ];
    const [rg, yb] = [r - g, 0.5 * (r + g) - b];
    sumRg += rg;
    sumYb += yb;
    squaresRg += rg * rg;
    squaresYb += yb * yb;
  }
  const [meanRg, meanYb] = [sumRg / plane, sumYb / plane];
  const variance = Math.max(0, squaresRg / plane - meanRg ** 2) + Math.max(0, squaresYb / plane - meanYb ** 2);
  return Math.sqrt(variance) + 0.3 * Math.sqrt(meanRg ** 2 + meanYb ** 2);
}

/** Hasler and Süsstrunk's colourfulness of RGB images on [0, 1], scaled to 0-255 values. */
export function colourfulness(images: ImageBatch): number {
  const plane = images.height * images.width;
  let total = 0;
  for (let n = 0; n < images.count; n++) total += imageColourfulness(images.pixels, plane, n * 3 * plane);
  return total / images.count;
}

/** The a*, b* of every pixel of planar RGB images: [a, b, a, b, ...]. */
export function abOf(images: ImageBatch): Float64Array {
  const plane = images.height * images.width;
  const ab = new Float64Array(2 * images.count * plane);
  for (let n = 0; n < images.count; n++)
    for (let p = 0; p < plane; p++) {
      const i = n * 3 * plane + p;
      const [, a, b] = rgbToLab(images.pixels[i]!, images.pixels[i + plane]!, images.pixels[i + 2 * plane]!);
      ab[2 * (n * plane + p)] = a;
      ab[2 * (n * plane + p) + 1] = b;
    }
  return ab;
}

/** Each pixel's weight in the rebalanced accuracy: 1 / p of its true colour's bin, p among the true pixels ([a, b, ...] in). */
export function rebalancingWeights(truth: Float64Array): Float64Array {
  const bins = findBins(truth);
  const search = new BinSearch(bins);
  return Float64Array.from(
    { length: truth.length / 2 },
    (_, p) => 1 / bins.probabilities[search.nearest(truth[2 * p]!, truth[2 * p + 1]!, 1).bins[0]!]!,
  );
}

/**
 * The share of pixels with ab error within each threshold 0..150 and its normalised area (the
 * mean over thresholds), raw and with pixel weights 1 / p(true bin) so that each bin of the
 * true colours counts equally.
 */
export function abAccuracy(
  prediction: Float64Array,
  truth: Float64Array,
  weights: Float64Array = rebalancingWeights(truth),
): { curve: number[]; auc: number; aucRebalanced: number } {
  const pixels = truth.length / 2;
  const raw = new Float64Array(AB_THRESHOLDS + 1);
  const balanced = new Float64Array(AB_THRESHOLDS + 1);
  let balancedTotal = 0;
  for (let p = 0; p < pixels; p++) {
    const error = Math.hypot(prediction[2 * p]! - truth[2 * p]!, prediction[2 * p + 1]! - truth[2 * p + 1]!);
    balancedTotal += weights[p]!;
    // Histogram by the first threshold the error is within; the running sums below make the curve.
    const first = Math.ceil(error);
    if (first <= AB_THRESHOLDS) {
      raw[first]! += 1;
      balanced[first]! += weights[p]!;
    }
  }
  for (let t = 1; t <= AB_THRESHOLDS; t++) {
    raw[t]! += raw[t - 1]!;
    balanced[t]! += balanced[t - 1]!;
  }
  const curve = [...raw].map((count) => count / pixels);
  const mean = (values: ArrayLike<number>, total: number) =>
    Array.from(values).reduce((sum, value) => sum + value / total, 0) / (AB_THRESHOLDS + 1);
  return { curve, auc: mean(raw, pixels), aucRebalanced: mean(balanced, balancedTotal) };
}

/** What every prediction is measured against, computed once: the true images, their colourfulness, ab and ab weights. */
export interface Truth {
  readonly images: ImageBatch;
  readonly colourfulness: number;
  readonly ab: Float64Array;
  readonly abWeights: Float64Array;
}

/** The true images' colourfulness, ab values and rebalancing weights, computed once for every method. */
export function describeTruth(images: ImageBatch): Truth {
  const ab = abOf(images);
  return { images, colourfulness: colourfulness(images), ab, abWeights: rebalancingWeights(ab) };
}

/** Every ColourMetrics of `prediction` against the truth. */
export function colourMetrics(prediction: ImageBatch, truth: Truth): ColourMetrics {
  const { pooled, median: medianPsnr } = psnrs(prediction, truth.images);
  const predictedColourfulness = colourfulness(prediction);
  const { curve, auc, aucRebalanced } = abAccuracy(abOf(prediction), truth.ab, truth.abWeights);
  return {
    pooledPsnr: pooled,
    medianPsnr,
    ssim: ssim(prediction, truth.images),
    colourfulness: predictedColourfulness,
    colourfulnessRatio: predictedColourfulness / truth.colourfulness,
    abAccuracy: curve,
    abAuc: auc,
    abAucRebalanced: aucRebalanced,
  };
}
