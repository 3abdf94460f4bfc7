// Zhang, Isola and Efros (ECCV 2016): colour as a class. The ab plane of L*a*b* is cut into a
// 10-unit grid; the bins that training pixels fall into are the Q classes. A pixel's target
// is soft: its 5 nearest bins, weighted by a Gaussian of their distance (sigma 5). Rare
// colours are weighted up (class rebalancing), else the loss is met by predicting gray-brown:
//   w_q proportional to 1 / ((1 - lambda) p_q + lambda / Q),  lambda = 0.5,
// normalised so the mean weight over the training pixels, sum over q of p_q w_q, is 1.
// Decoding takes the annealed mean: softmax(logits / T) (= z^(1/T), renormalised) averaged
// over the bin centres. The paper's T is 0.38; here 0.2, the temperature lever measured in
// docs/colourise.md (2.10x ycbcr's colourfulness, above its own gray's PSNR, at 10 epochs).
import { AelabError } from '../../errors.ts';

export const BIN_SIZE = 10;
/** Grid cells from -110 to 110 on each axis: sRGB's a* and b* lie within [-87, 99] and [-108, 95]. */
const HALF_CELLS = 11;
const CELLS = 2 * HALF_CELLS + 1;
export const NEIGHBOURS = 5;
export const SIGMA = 5;
export const LAMBDA = 0.5;
export const TEMPERATURE = 0.2;

/** The ab colour bins lab-classes classifies into: the 10-unit grid cells training pixels fall in, and their rebalancing weights. */
export interface AbBins {
  /** Q: how many bins training pixels fall into. */
  readonly count: number;
  /** a and b of each bin's centre: [a0, b0, a1, b1, ...]. */
  readonly centres: Float64Array;
  /** The share of training pixels in each bin (p_q). */
  readonly probabilities: Float64Array;
  /** Each bin's rebalancing weight w_q. */
  readonly weights: Float64Array;
}

const cellOf = (a: number, b: number): number => {
  const i = Math.min(CELLS - 1, Math.max(0, Math.round(a / BIN_SIZE) + HALF_CELLS));
  const j = Math.min(CELLS - 1, Math.max(0, Math.round(b / BIN_SIZE) + HALF_CELLS));
  return i * CELLS + j;
};

/** The bins of the ab values of training pixels ([a, b, a, b, ...]), with their shares and weights. */
export function findBins(ab: ArrayLike<number>): AbBins {
  const counts = new Float64Array(CELLS * CELLS);
  const pixels = ab.length / 2;
  if (pixels === 0) throw new AelabError('ab bins: no training pixels');
  for (let p = 0; p < pixels; p++) counts[cellOf(ab[2 * p]!, ab[2 * p + 1]!)]! += 1;
  const kept = [...counts.keys()].filter((cell) => counts[cell]! > 0);
  const count = kept.length;
  const centres = new Float64Array(2 * count);
  const probabilities = new Float64Array(count);
  kept.forEach((cell, q) => {
    centres[2 * q] = (Math.floor(cell / CELLS) - HALF_CELLS) * BIN_SIZE;
    centres[2 * q + 1] = ((cell % CELLS) - HALF_CELLS) * BIN_SIZE;
    probabilities[q] = counts[cell]! / pixels;
  });
  const weights = probabilities.map((p) => 1 / ((1 - LAMBDA) * p + LAMBDA / count));
  const meanWeight = probabilities.reduce((total, p, q) => total + p * weights[q]!, 0);
  return { count, centres, probabilities, weights: weights.map((w) => w / meanWeight) };
}

/** Bins as JSON (saved beside a model), and back. */
export const binsToJson = (bins: AbBins) => ({
  count: bins.count,
  centres: [...bins.centres],
  probabilities: [...bins.probabilities],
  weights: [...bins.weights],
});
export function binsFromJson(json: ReturnType<typeof binsToJson>): AbBins {
  if (!json || json.centres?.length !== 2 * json.count) throw new AelabError('ab bins: the saved bins are malformed');
  return {
    count: json.count,
    centres: Float64Array.from(json.centres),
    probabilities: Float64Array.from(json.probabilities),
    weights: Float64Array.from(json.weights),
  };
}

/** Finds the bins nearest a point. Keeps a cell-to-bin table so that most searches look at a 5 x 5 block of cells. */
export class BinSearch {
  private readonly binOfCell = new Int32Array(CELLS * CELLS).fill(-1);

  constructor(readonly bins: AbBins) {
    for (let q = 0; q < bins.count; q++) this.binOfCell[cellOf(bins.centres[2 * q]!, bins.centres[2 * q + 1]!)] = q;
  }

  /** The `k` nearest bins of (a, b), nearest first, with their squared distances. */
  nearest(a: number, b: number, k: number): { bins: number[]; distances: number[] } {
    const candidates: number[] = [];
    const [ci, cj] = [Math.floor(cellOf(a, b) / CELLS), cellOf(a, b) % CELLS];
    // A bin outside the 5 x 5 block of cells around (a, b)'s cell lies at least 2 cells away, so
    // when the block holds k bins within 2 cells, the k nearest are among them; else search all.
    for (let i = ci - 2; i <= ci + 2; i++)
      for (let j = cj - 2; j <= cj + 2; j++) {
        if (i < 0 || j < 0 || i >= CELLS || j >= CELLS) continue;
        const q = this.binOfCell[i * CELLS + j]!;
        if (q >= 0) candidates.push(q);
      }
    const distance = (q: number) => (this.bins.centres[2 * q]! - a) ** 2 + (this.bins.centres[2 * q + 1]! - b) ** 2;
    const within = candidates.filter((q) => distance(q) <= (2 * BIN_SIZE) ** 2);
    const pool = within.length >= k ? candidates : Array.from({ length: this.bins.count }, (_, q) => q);
    const chosen = pool.sort((p, q) => distance(p) - distance(q)).slice(0, k);
    return { bins: chosen, distances: chosen.map(distance) };
  }

  /** The rebalancing weight of a pixel: that of its nearest bin. */
  weightOf(a: number, b: number): number {
    return this.bins.weights[this.nearest(a, b, 1).bins[0]!]!;
  }

  /**
   * Writes a pixel's soft target, times its weight, into `target` at `offset` + q * `stride` for
   * its 5 nearest bins q (the other bins are left as they are: zero in a fresh array).
   */
  softEncode(a: number, b: number, target: Float32Array, offset: number, stride: number): void {
    const { bins, distances } = this.nearest(a, b, NEIGHBOURS);
    const kernel = distances.map((d) => Math.exp(-d / (2 * SIGMA * SIGMA)));
    const total = kernel.reduce((sum, value) => sum + value, 0);
    const weight = this.bins.weights[bins[0]!]!;
    bins.forEach((q, i) => (target[offset + q * stride] = (weight * kernel[i]!) / total));
  }
}

/** The bin centres as a 1 x 1 conv's weight [2, Q, 1, 1]: a distribution over bins times it is its mean ab. */
export function centreWeights(bins: AbBins): Float64Array {
  const weight = new Float64Array(2 * bins.count);
  for (let q = 0; q < bins.count; q++) {
    weight[q] = bins.centres[2 * q]!;
    weight[bins.count + q] = bins.centres[2 * q + 1]!;
  }
  return weight;
}
