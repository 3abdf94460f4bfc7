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
  const sampleCount = options.samples ?? 7;
  const repetitions = await calibrate(engine, encode, options.targetSampleMilliseconds ?? 60);
  const samples: number[] = [];
  for (let sample = 0; sample < sampleCount; sample++) {
    samples.push(await timeSample(engine, encode, repetitions, samples.length > 0 ? Math.min(...samples) : 0));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(sampleCount / 2)]!;
}

/** Warms `encode` up (pipelines compiled, buffers pooled) and returns the repetitions that fill one sample. */
export async function calibrate(engine: Engine, encode: () => void, targetSampleMilliseconds: number): Promise<number> {
  for (let warmUp = 0; warmUp < 2; warmUp++) {
    engine.scope(encode);
    await engine.synchronize();
  }
  const start = performance.now();
  engine.scope(encode);
  await engine.synchronize();
  const single = Math.max(performance.now() - start, 0.01);
  return Math.max(1, Math.min(500, Math.round(targetSampleMilliseconds / single)));
}

/**
 * One sample: `repetitions` runs in one submission, milliseconds per run. `expectedMilliseconds`
 * (per run; 0 for unknown) lets the wait sleep through most of it instead of spinning.
 */
export async function timeSample(engine: Engine, encode: () => void, repetitions: number, expectedMilliseconds: number): Promise<number> {
  const start = performance.now();
  for (let r = 0; r < repetitions; r++) engine.scope(encode);
  await engine.synchronize(0.9 * expectedMilliseconds * repetitions);
  return (performance.now() - start) / repetitions;
}

/**
 * Compares settings of the same work (kernel variants, say): rounds alternate the settings
 * so that the machine's drift falls on all alike, and each setting keeps its fastest round
 * (noise only ever adds time). Returns milliseconds per run, one per setting.
 */
export async function compareSettings(engine: Engine, encode: () => void, settings: readonly (() => void)[], rounds = 5): Promise<number[]> {
  const fastest = settings.map(() => Infinity);
  for (let round = 0; round < rounds; round++) {
    for (const [i, apply] of settings.entries()) {
      apply();
      fastest[i] = Math.min(fastest[i]!, await measure(engine, encode, { samples: 3 }));
    }
  }
  return fastest;
}

/** The fastest of `rounds` measurements (milliseconds per run), as compareSettings judges each setting. */
export async function fastestOf(engine: Engine, encode: () => void, rounds = 5): Promise<number> {
  return (await compareSettings(engine, encode, [() => {}], rounds))[0]!;
}
