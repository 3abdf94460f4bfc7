// A small seeded generator (mulberry32): weight initialisation, shuffling and test inputs
// are reproducible from their seed in every runtime.
/** A small seeded generator (mulberry32): weights, shuffles and test inputs are reproducible from their seed in every runtime. */
export class Random {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }

  /** A uniform integer in [low, high]. */
  integer(low: number, high: number): number {
    return low + Math.floor(this.next() * (high - low + 1));
  }

  /** One of `items`, uniformly. */
  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /**
   * Values uniform in [low, high], kept at least `margin` away from zero so that no input
   * sits on a kink (ReLU at 0, |x| at 0) where finite differences are meaningless.
   */
  values(count: number, low = -1, high = 1, margin = 0.05): Float64Array {
    const result = new Float64Array(count);
    for (let i = 0; i < count; i++) {
      let value: number;
      do value = low + (high - low) * this.next();
      while (Math.abs(value) < margin);
      result[i] = value;
    }
    return result;
  }
}

/** Fisher-Yates shuffle of 0..count-1 driven by `random`. */
export function permutation(count: number, random: Random): Uint32Array {
  const order = Uint32Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** The generator layers draw from when given neither `random` nor `seed`: seeded, so a script's models are the same every run. */
let shared = new Random(1);

export function defaultRandom(): Random {
  return shared;
}

/** Restarts the shared generator (as torch.manual_seed): the layers built after it draw the same weights every run. */
export function setDefaultSeed(seed: number): void {
  shared = new Random(seed);
}
