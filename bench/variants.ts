// How the benchmarks time tunable work: tuned for this adapter first, then timed with the
// tuned variants and, alternately, with the kernels' heuristic ones (measure.ts).
import type { Engine } from '../src/backend/engine.ts';
import { compareSettings, fastestOf } from '../src/backend/measure.ts';
import { tune } from '../src/backend/tuner.ts';
import { matmul } from '../src/kernels/matmul.ts';
import { Random } from '../src/random.ts';

/** Milliseconds per run of `encode` with its variants tuned (the ceilings: the engine's best matmul). */
export async function tunedFastest(engine: Engine, encode: () => void): Promise<number> {
  await tune(engine, encode);
  return fastestOf(engine, encode);
}

/**
 * The engine's best matmul at size^3 (its tile tuned for this adapter), milliseconds per run:
 * the compute ceiling the benchmarks divide by (2 size^3 FLOPs).
 */
export async function matmulCeilingMilliseconds(engine: Engine, size: number): Promise<number> {
  const random = new Random(1);
  const [a, b] = [0, 1].map(() => engine.tensor(random.values(size * size), [size, size]).keep());
  try {
    return await tunedFastest(engine, () => void matmul(engine, a!, b!));
  } finally {
    a!.dispose();
    b!.dispose();
  }
}

/** Milliseconds per run with the tuned variants and with the heuristic ones, the fastest of five alternating rounds each. */
export async function tunedAndHeuristic(engine: Engine, encode: () => void): Promise<[tuned: number, heuristic: number]> {
  const enabled = engine.tuning.enabled;
  try {
    const [tuned, heuristic] = await compareSettings(engine, encode, [() => (engine.tuning.enabled = true), () => (engine.tuning.enabled = false)]);
    return [tuned!, heuristic!];
  } finally {
    engine.tuning.enabled = enabled;
  }
}
