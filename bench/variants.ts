// How the benchmarks time tunable work: tuned for this adapter first, then timed with the
// tuned variants and, alternately, with the kernels' heuristic ones (measure.ts).
import type { Engine } from '../src/backend/engine.ts';
import { fastestInAlternatingRounds, fastestOf, measure } from '../src/tuning/measure.ts';
import { tune } from '../src/tuning/tuner.ts';
import { matmul } from './kernels/matmul.ts';
import { Random } from '../src/random.ts';

/**
 * The engine's matmul at size^3 on two kept square tensors, its tile tuned for this adapter
 * (2 size^3 FLOPs a run): `encode` encodes one run, `dispose` frees the tensors.
 */
export async function tunedMatmul(engine: Engine, size: number): Promise<{ encode: () => void; dispose: () => void }> {
  const random = new Random(1);
  const [a, b] = [0, 1].map(() => engine.tensor(random.values(size * size), [size, size]).keep());
  const encode = () => void matmul(engine, a!, b!);
  await tune(engine, encode);
  return { encode, dispose: () => [a, b].forEach((tensor) => tensor!.dispose()) };
}

/**
 * The engine's best matmul at size^3 (its tile tuned for this adapter), milliseconds per run:
 * the compute ceiling the benchmarks divide by (2 size^3 FLOPs).
 */
export async function matmulCeilingMilliseconds(engine: Engine, size: number): Promise<number> {
  const { encode, dispose } = await tunedMatmul(engine, size);
  try {
    return await fastestOf(engine, encode);
  } finally {
    dispose();
  }
}

/**
 * Milliseconds per run with the tuned variants, with the heuristic ones, and of `ceiling` (the
 * engine's tuned matmul, say), the fastest of five alternating rounds each: a pass's share of
 * the ceiling is then measured side by side, and the machine's drift (these VMs' speed moves
 * by 2x within an hour) falls on both alike.
 */
export async function tunedHeuristicAndCeiling(engine: Engine, encode: () => void, ceiling: () => void): Promise<[tuned: number, heuristic: number, ceiling: number]> {
  const enabled = engine.tuning.enabled;
  const timed = (setting: boolean, work: () => void) => async () => {
    engine.tuning.enabled = setting;
    return measure(engine, work, { samples: 3 });
  };
  try {
    const [tuned, heuristic, ceilingMilliseconds] = await fastestInAlternatingRounds([timed(true, encode), timed(false, encode), timed(true, ceiling)]);
    return [tuned!, heuristic!, ceilingMilliseconds!];
  } finally {
    engine.tuning.enabled = enabled;
  }
}
