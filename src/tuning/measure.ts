// Timing on any WebGPU adapter without timestamp queries: encode the same work R times into
// one submission, wait once, and divide. R grows until one sample lasts ~60 ms, so the
// submit-and-wait overhead (small on Dawn, large on Deno) is amortised.
//
// Dawn spins a CPU core while a completion promise is pending, which on a CPU adapter slows
// the work being timed (on 2 cores, a sample that spins throughout takes about twice as
// long). So each wait tells the engine's wait policy (waits.ts) the time the fastest sample
// so far took, and there the policy sleeps through most of it; a sample only counts once that
// estimate has settled: a measurement whose samples all spun would report half the adapter's
// speed. Used by the benchmarks and by the tuner.
import type { Engine, RecordedDispatch } from '../backend/engine.ts';

export interface MeasureOptions {
  /** Default 60 ms. */
  readonly targetSampleMilliseconds?: number;
  /** Samples counted once the wait's estimate has settled (default 7); the median is returned. */
  readonly samples?: number;
}

/** Samples that settle the wait's estimate before any counts, at most. */
const MAX_SETTLING_SAMPLES = 12;

/** Median milliseconds of one execution of `encode` (which must dispose what it creates). */
export async function measure(engine: Engine, encode: () => void, options: MeasureOptions = {}): Promise<number> {
  const { repetitions, firstGuess } = await calibrate(engine, encode, options.targetSampleMilliseconds ?? 60);
  // Settling: sample until the fastest stops improving by more than 2% twice running.
  let fastest = firstGuess;
  for (let sample = 0, stale = 0; sample < MAX_SETTLING_SAMPLES && stale < 2; sample++) {
    const milliseconds = await timeSample(engine, encode, repetitions, fastest);
    stale = milliseconds < 0.98 * fastest ? 0 : stale + 1;
    fastest = Math.min(fastest, milliseconds);
  }
  const samples: number[] = [];
  for (let sample = 0; sample < (options.samples ?? 7); sample++) {
    const milliseconds = await timeSample(engine, encode, repetitions, fastest);
    fastest = Math.min(fastest, milliseconds);
    samples.push(milliseconds);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/**
 * Warms `encode` up (pipelines compiled, buffers pooled) and returns the repetitions that fill
 * one sample, and a first guess at the milliseconds per run: half a run timed with a
 * spinning wait (which inflates it up to twice), so the first wait does not oversleep.
 */
export async function calibrate(
  engine: Engine,
  encode: () => void,
  targetSampleMilliseconds: number,
): Promise<{ repetitions: number; firstGuess: number }> {
  for (let warmUp = 0; warmUp < 2; warmUp++) {
    engine.scope(encode);
    await engine.synchronize();
  }
  const start = performance.now();
  engine.scope(encode);
  await engine.synchronize();
  const single = Math.max(performance.now() - start, 0.01);
  return {
    repetitions: Math.max(1, Math.min(500, Math.round(targetSampleMilliseconds / single))),
    firstGuess: single / 2,
  };
}

/**
 * One sample: `repetitions` runs in one submission, milliseconds per run. `expectedMilliseconds`
 * (per run; 0 for unknown) lets the wait sleep through most of it instead of spinning.
 */
export async function timeSample(
  engine: Engine,
  encode: () => void,
  repetitions: number,
  expectedMilliseconds: number,
): Promise<number> {
  const start = performance.now();
  for (let r = 0; r < repetitions; r++) engine.scope(encode);
  // The expected time is counted from the sample's start. Where submitting runs the work
  // (Deno's wgpu on lavapipe, where encoding takes most of a step's time), little is left by
  // now, and a sleep counted from here would add most of a sample to every sample.
  await engine.synchronize({ milliseconds: expectedMilliseconds * repetitions, elapsed: performance.now() - start });
  return (performance.now() - start) / repetitions;
}

/**
 * Runs `turns` (each times something and answers milliseconds) in alternating rounds, each
 * round starting with another turn, so that the machine's drift falls on all alike; each turn
 * keeps its fastest round (noise only ever adds time). Returns one figure per turn.
 */
export async function fastestInAlternatingRounds(
  turns: readonly (() => Promise<number>)[],
  rounds = 5,
): Promise<number[]> {
  const fastest = turns.map(() => Infinity);
  for (let round = 0; round < rounds; round++) {
    for (let offset = 0; offset < turns.length; offset++) {
      const i = (offset + round) % turns.length;
      fastest[i] = Math.min(fastest[i]!, await turns[i]!());
    }
  }
  return fastest;
}

/**
 * Compares settings of the same work (kernel variants, say) in alternating rounds
 * (fastestInAlternatingRounds). Returns milliseconds per run, one per setting.
 */
export async function compareSettings(
  engine: Engine,
  encode: () => void,
  settings: readonly (() => void)[],
  rounds = 5,
): Promise<number[]> {
  return fastestInAlternatingRounds(
    settings.map((setting) => async () => {
      setting();
      return measure(engine, encode, { samples: 3 });
    }),
    rounds,
  );
}

/** The fastest of `rounds` measurements (milliseconds per run), as compareSettings judges each setting. */
export async function fastestOf(engine: Engine, encode: () => void, rounds = 5): Promise<number> {
  return (await compareSettings(engine, encode, [() => {}], rounds))[0]!;
}

/** GPU time of recorded dispatches (an engine in profile mode), per entry point and shape. */
export interface DispatchProfile {
  readonly label: string;
  readonly shape: string;
  readonly dispatches: number;
  /** Milliseconds for all its dispatches: one, timed on its own, times their count. */
  readonly milliseconds: number;
}

/**
 * Times each recorded dispatch on its own, repeated in one submission as `measure` times any
 * work, slowest first. On its own a dispatch finds its inputs in cache, as it does when the
 * benchmarks time one pass; the parts can add up to less than the whole work they came from.
 */
export async function profileDispatches(
  engine: Engine,
  dispatches: readonly RecordedDispatch[],
  options: MeasureOptions = {},
): Promise<DispatchProfile[]> {
  const profile: DispatchProfile[] = [];
  for (const { label, shape, dispatches: count, encode } of dispatches) {
    profile.push({ label, shape, dispatches: count, milliseconds: count * (await measure(engine, encode, options)) });
  }
  return profile.sort((a, b) => b.milliseconds - a.milliseconds);
}
