// Which of a key's candidates the tuner times: all of a few, or a walk through the
// neighbours of the fastest so far where there are many (tuner.ts times them).

/** Keys with at most this many candidates have every candidate timed; larger ones are searched. */
export const EXHAUSTIVE_LIMIT = 12;

/**
 * Which candidates to time. On a CPU adapter a candidate's first run costs far more than its
 * samples (lavapipe compiles a variant when it is first dispatched, which takes longer than
 * timing it), so a key with many candidates is searched, not swept:
 * from the heuristic, each step times the neighbours of the fastest candidate so far (the
 * candidates one step away in one field, the others equal; see neighbours()) alongside it,
 * and moves to the fastest, until the fastest is the one the step started from. Tile sizes
 * change a kernel's speed smoothly enough for this to find the sweep's choice or one within
 * noise of it, in a third to a half of the timings. `timeRounds` samples the given
 * candidates in alternating rounds and answers each one's fastest sample (milliseconds).
 * Returns the fastest of every candidate timed.
 */
export async function searchCandidates(
  candidates: readonly unknown[],
  timeRounds: (indices: readonly number[]) => Promise<ReadonlyMap<number, number>>,
): Promise<Map<number, number>> {
  const timed = new Map<number, number>();
  const time = async (indices: readonly number[]) => {
    for (const [i, milliseconds] of await timeRounds(indices))
      timed.set(i, Math.min(timed.get(i) ?? Infinity, milliseconds));
  };
  if (candidates.length <= EXHAUSTIVE_LIMIT) {
    await time(candidates.map((_, i) => i));
    return timed;
  }
  let current = 0;
  let step = [0, ...neighbours(candidates, 0)];
  for (;;) {
    await time(step);
    const best = [...timed].reduce((a, b) => (b[1] < a[1] ? b : a))[0];
    if (best === current) return timed;
    current = best;
    const untimed = neighbours(candidates, current).filter((i) => !timed.has(i));
    if (untimed.length === 0) return timed;
    step = [current, ...untimed];
  }
}

/**
 * The candidates next to candidate `index`: for each numeric field, among the candidates
 * equal to it in every other field, the nearest with a smaller value and the nearest with a
 * larger one. A candidate that is a plain number is its one field.
 */
export function neighbours(candidates: readonly unknown[], index: number): number[] {
  const fields = candidates.map(numericFields);
  const centre = fields[index]!;
  const result = new Set<number>();
  for (const [name, value] of Object.entries(centre)) {
    let below = -1;
    let above = -1;
    fields.forEach((other, i) => {
      const otherValue = other[name];
      if (i === index || otherValue === undefined || Object.keys(other).length !== Object.keys(centre).length) return;
      if (!Object.entries(centre).every(([field, v]) => field === name || other[field] === v)) return;
      if (otherValue < value && (below < 0 || otherValue > fields[below]![name]!)) below = i;
      if (otherValue > value && (above < 0 || otherValue < fields[above]![name]!)) above = i;
    });
    if (below >= 0) result.add(below);
    if (above >= 0) result.add(above);
  }
  return [...result];
}

function numericFields(candidate: unknown): Record<string, number> {
  if (typeof candidate === 'number') return { value: candidate };
  if (candidate === null || typeof candidate !== 'object') return {};
  return Object.fromEntries(
    Object.entries(candidate).filter((entry): entry is [string, number] => typeof entry[1] === 'number'),
  );
}
