// How the benchmarks time tunable work: tuned for this adapter first, then timed with the
// tuned variants and, alternately, with the kernels' heuristic ones (measure.ts), beside a
// ceiling (ceilings.ts).
import type { Engine } from '../backend/engine.ts';
import { fastestInAlternatingRounds, measure } from '../tuning/measure.ts';

/**
 * Milliseconds per run with the tuned variants, with the heuristic ones, and of `ceiling` (a
 * plain kernel at the same shape, say), the fastest of five alternating rounds each: a pass's
 * share of the ceiling is then measured side by side, and the machine's drift (these VMs'
 * speed moves by 2x within an hour) falls on all alike.
 */
export async function tunedHeuristicAndCeiling(
  engine: Engine,
  encode: () => void,
  ceiling: () => void,
): Promise<[tuned: number, heuristic: number, ceiling: number]> {
  const enabled = engine.tuning.enabled;
  const timed = (setting: boolean, work: () => void) => async () => {
    engine.tuning.enabled = setting;
    return measure(engine, work, { samples: 3 });
  };
  try {
    const [tuned, heuristic, ceilingMilliseconds] = await fastestInAlternatingRounds([
      timed(true, encode),
      timed(false, encode),
      timed(true, ceiling),
    ]);
    return [tuned!, heuristic!, ceilingMilliseconds!];
  } finally {
    engine.tuning.enabled = enabled;
  }
}
