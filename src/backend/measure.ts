// Timing on any WebGPU adapter without timestamp queries: encode the same work R times into
// one submission, wait once, and divide. R grows until one sample lasts ~60 ms, so the
// submit-and-wait overhead (about 60 us on Dawn, 11 ms on Deno) is amortised.
//
// Dawn spins a CPU core while a completion promise is pending, which on a CPU adapter slows
// the work being timed; so each wait first sleeps through most of the time the fastest
// sample so far took. The first sample does not sleep, so no estimate can inflate it.
// Used by the benchmarks and, with fewer and shorter samples, by the tuner.
import type { Engine } from './engine.ts';

export interface MeasureOptions {
  /** Default 60 ms. */
  readonly targetSampleMilliseconds?: number;
  /** Default 7; the median is returned. */
  readonly samples?: number;
}

/** Median milliseconds of one execution of `encode` (which must dispose what it creates). */
export async function measure(engine: Engine, encode: () => void, options: MeasureOptions = {}): Promise<number> {
  const targetMilliseconds = options.targetSampleMilliseconds ?? 60;
  const sampleCount = options.samples ?? 7;
  for (let warmUp = 0; warmUp < 2; warmUp++) {
    engine.scope(encode);
    await engine.synchronize();
  }
  let start = performance.now();
  engine.scope(encode);
  await engine.synchronize();
  const single = Math.max(performance.now() - start, 0.01);
  const repetitions = Math.max(1, Math.min(500, Math.round(targetMilliseconds / single)));
  const samples: number[] = [];
  for (let sample = 0; sample < sampleCount; sample++) {
    const fastest = samples.length > 0 ? Math.min(...samples) * repetitions : 0;
    start = performance.now();
    for (let r = 0; r < repetitions; r++) engine.scope(encode);
    await engine.synchronize(0.9 * fastest);
    samples.push((performance.now() - start) / repetitions);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(sampleCount / 2)]!;
}
