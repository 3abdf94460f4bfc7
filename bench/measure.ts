// Timing on any WebGPU adapter without timestamp queries: encode the same work R times into
// one submission, wait once, and divide. R grows until one sample lasts ~60 ms, so the
// submit-and-wait overhead (about 60 us on Dawn, 11 ms on Deno) is amortised.
import type { Engine } from '../src/backend/engine.ts';

const TARGET_SAMPLE_MS = 60;
const SAMPLES = 5;

/** Median milliseconds of one execution of `encode` (which must dispose what it creates). */
export async function measure(engine: Engine, encode: () => void): Promise<number> {
  engine.scope(encode);
  await engine.synchronize();
  let start = performance.now();
  engine.scope(encode);
  await engine.synchronize();
  const single = Math.max(performance.now() - start, 0.01);
  const repetitions = Math.max(1, Math.min(500, Math.round(TARGET_SAMPLE_MS / single)));
  const samples: number[] = [];
  for (let sample = 0; sample < SAMPLES; sample++) {
    start = performance.now();
    for (let r = 0; r < repetitions; r++) engine.scope(encode);
    await engine.synchronize(single * repetitions);
    samples.push((performance.now() - start) / repetitions);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(SAMPLES / 2)]!;
}
