// The tuner: finds the tunable dispatches of a piece of work (a training step), times every
// candidate variant of each on this adapter, and records the fastest in engine.tuning.
//
// Each distinct op application in the work is replayed on fresh tensors of the same shapes
// (the work's own tensors are freed as the tape sweeps), its forward and backward timed
// apart, one key at a time with the others held at their current choice. A key with many
// candidates is searched from the heuristic rather than swept (search.ts).
//
// On a shared or busy machine a sample can only come out slower than the work's own cost,
// never faster, and the slowdowns drift. So the candidates are sampled in rounds (each
// round samples every candidate once, so drift falls on all alike), each candidate is
// judged by its fastest sample, and a candidate replaces the heuristic only if it is
// faster by a clear margin: noise alone must not move a choice. The fastest of many
// candidates is also the one most likely to owe its place to a lucky sample, so before it
// replaces the heuristic it is timed again beside the heuristic alone, in fresh rounds, and
// must win by the margin there too. Last, the work itself is timed with the confirmed
// challengers and with the heuristics at their keys: the challengers stay only if the work
// runs faster with them (a pass timed alone is not the pass inside the work).
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import type { Op } from '../kernels/op.ts';
import { heuristicChoice, replacesHeuristic, type OpCall, type TuningEntry } from './table.ts';
import { calibrate, fastestInAlternatingRounds, timeSample } from './measure.ts';
import { sizeOf } from '../shapes.ts';
import { Random } from '../random.ts';
import { searchCandidates } from './search.ts';

/** One workload the tuner timed: its candidates, the heuristic's time and the chosen variant's. */
export interface TunedKey {
  readonly key: string;
  /** Candidates timed (all of a small key's; those the search reached in a large one). */
  readonly candidates: number;
  /** The op's heuristic (the first candidate) and the chosen candidate, ms per run of the op's pass. */
  readonly heuristicMilliseconds: number;
  readonly chosenMilliseconds: number;
  readonly choice: string;
  /** Where the fastest candidate beat the heuristic: both timed again, alone (as the table keeps it). */
  readonly confirmation?: TuningEntry['confirmation'];
  /** Where a challenger was confirmed: the whole work timed with and without the call's challengers (as the table keeps it). */
  readonly workCheck?: TuningEntry['workCheck'];
}

/** What tune() times and how it reports progress. */
export interface TuneOptions {
  /** Time keys the table already holds again (default: only new keys are timed). */
  readonly retune?: boolean;
  /** Called before each key is timed: keys done so far, keys to time, the key. */
  readonly onProgress?: (done: number, total: number, key: string) => void;
  /**
   * Called each time the table changes (a key timed, the untimed rest after an early stop, the
   * work check's verdict), to save it as tuning goes: an interrupted tuning then resumes where
   * it stopped. A challenger is `provisional` until the work check; table.ts's load drops it.
   */
  readonly onTableChanged?: () => void;
  /**
   * Stop timing once this many keys in a row keep their heuristic: the rest keep theirs too,
   * untimed (saved as such, so the next run does not time them either). Default: time all.
   */
  readonly stopAfterUnchanged?: number;
  /** Called when tuning stops early: how many keys were left untimed. */
  readonly onStoppedEarly?: (untimed: number) => void;
  /** Stands in for the timing of a candidate (tests: a deterministic cost per candidate index). */
  readonly timeCandidate?: (key: string, index: number) => number;
  /** Rounds of samples (default 5), each about targetSampleMilliseconds long (default 20). */
  readonly rounds?: number;
  readonly targetSampleMilliseconds?: number;
  /**
   * Samples of the whole work, when the tuner checks its challengers in it (default 400, as
   * fit() queues): one run per sample would time the submission and its wait as much as the work.
   */
  readonly workSampleMilliseconds?: number;
}

/** A candidate replaces the heuristic only when at least this much faster. */
const REQUIRED_GAIN = 0.05;
/** Candidates this many times slower than the best after a round are not sampled again. */
const PRUNE_FACTOR = 2;

interface TimingJob {
  readonly key: string;
  readonly candidates: readonly unknown[];
  /** Encodes the op pass (forward or backward) that asks for the key. */
  readonly encode: () => void;
}

/** An op's forward pass on fresh tensors, outside the tape (the tuner times passes, not models). */
function runForward(engine: Engine, op: Op<unknown>, inputs: readonly Tensor[], attributes: unknown): Tensor {
  const output = engine.empty(
    op.outputShape(
      inputs.map((input) => input.shape),
      attributes,
    ),
    op.name,
  );
  op.forward(engine, inputs, attributes, output);
  return output;
}

/** Tunes every tunable dispatch in `encodeWork` (which must leave the model as it found it). */
export async function tune(engine: Engine, encodeWork: () => void, options: TuneOptions = {}): Promise<TunedKey[]> {
  let calls: OpCall[] = [];
  const keysInWork = engine.tuning.collect(() => (calls = engine.tuning.recordOpCalls(() => engine.scope(encodeWork))));
  await engine.synchronize();

  const random = new Random(20201);
  const replayTensors: Tensor[] = [];
  const fresh = (shape: readonly number[]) => {
    // (0.05, 0.95) is inside every op's domain, a cross-entropy's probabilities included.
    const tensor = engine.tensor(random.values(sizeOf(shape), 0.05, 0.95), shape, 'tuner input');
    engine.keep(tensor);
    replayTensors.push(tensor);
    return tensor;
  };

  const jobs = new Map<string, TimingJob>();
  const addJobs = (keys: Map<string, readonly unknown[]>, encode: () => void) => {
    for (const [key, candidates] of keys) {
      if (!jobs.has(key) && candidates.length > 1 && (options.retune || !engine.tuning.has(key)))
        jobs.set(key, { key, candidates, encode });
    }
  };
  const seenCalls = new Set<string>();
  try {
    for (const call of calls) {
      const signature = describeCall(call);
      if (seenCalls.has(signature)) continue;
      seenCalls.add(signature);
      const inputs = call.inputShapes.map(fresh);
      const output = runForward(engine, call.op, inputs, call.attributes);
      engine.keep(output);
      replayTensors.push(output);
      const gradOutput = fresh(output.shape);
      const encodeForward = () => void runForward(engine, call.op, inputs, call.attributes);
      const encodeBackward = () =>
        void call.op.backward(engine, {
          inputs,
          output,
          attributes: call.attributes,
          gradOutput,
          needsGradient: call.needsGradient,
        });
      const passes = call.needsGradient.some((needed) => needed) ? [encodeForward, encodeBackward] : [encodeForward];
      for (const encode of passes)
        addJobs(
          engine.tuning.collect(() => engine.scope(encode)),
          encode,
        );
      // The inputs of a whole batch take a while to draw: a page stays responsive between calls.
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    // Tunable dispatches outside any op (the matmul ceiling, say) are timed within the work itself.
    addJobs(keysInWork, encodeWork);
    await engine.synchronize();

    let done = 0;
    let unchangedInARow = 0;
    for (const job of jobs.values()) {
      if (options.stopAfterUnchanged !== undefined && unchangedInARow >= options.stopAfterUnchanged) {
        // The challengers stopped winning: the rest keep their heuristics, untimed.
        const rest = [...jobs.values()].slice(done);
        for (const untimed of rest)
          engine.tuning.set(untimed.key, { choice: JSON.stringify(untimed.candidates[0]), timings: [], untimed: true });
        if (rest.length > 0) options.onTableChanged?.();
        options.onStoppedEarly?.(rest.length);
        break;
      }
      options.onProgress?.(done, jobs.size, job.key);
      const timer = options.timeCandidate
        ? async (indices: readonly number[]) =>
            new Map(indices.map((i): [number, number] => [i, options.timeCandidate!(job.key, i)]))
        : roundTimer(engine, job, options);
      const fastest = await searchCandidates(job.candidates, timer);
      // The heuristic first, then the others in the op's order: those the search timed.
      const indices = [...fastest.keys()].sort((a, b) => a - b);
      const timings = indices.map((i) => ({
        candidate: JSON.stringify(job.candidates[i]),
        milliseconds: fastest.get(i)!,
      }));
      const { choice, confirmation } = await chooseCandidate(fastest, timer);
      // The confirmation is kept in the table too: whether a faster-looking candidate lost it
      // (to noise, or to the search's lucky sample) is otherwise invisible afterwards.
      const confirmed = confirmation
        ? { confirmation: { ...confirmation, challenger: JSON.stringify(job.candidates[confirmation.challenger]) } }
        : {};
      const chosen = timings[indices.indexOf(choice)]!.candidate;
      engine.tuning.set(job.key, {
        choice: chosen,
        timings,
        ...confirmed,
        ...(chosen !== timings[0]!.candidate ? { provisional: true } : {}),
      });
      options.onTableChanged?.();
      unchangedInARow = chosen === timings[0]!.candidate ? unchangedInARow + 1 : 0;
      done += 1;
    }
    if (done === jobs.size) options.onProgress?.(done, jobs.size, '');

    // Each challenger beat the heuristic in its own pass, timed alone, yet the work as a whole
    // can run slower with them (passes compete for caches and memory bandwidth that a pass
    // timed alone has to itself). So the work decides, timed both ways.
    const timed = [...jobs.keys()].filter((key) => !engine.tuning.get(key)!.untimed);
    const challenged = timed.filter((key) => replacesHeuristic(engine.tuning.get(key)!));
    if (challenged.length > 0) {
      const workCheck = await timeWorkWithAndWithoutChallengers(engine, encodeWork, challenged, options);
      const kept = challengersKept(workCheck);
      for (const key of challenged) {
        const { provisional: _, ...entry } = engine.tuning.get(key)!;
        engine.tuning.set(key, { ...entry, choice: kept ? entry.choice : heuristicChoice(entry), workCheck });
      }
      options.onTableChanged?.();
    }
    return timed.map((key) => {
      const { choice, timings, confirmation, workCheck } = engine.tuning.get(key)!;
      return {
        key,
        candidates: timings.length,
        heuristicMilliseconds: timings[0]!.milliseconds,
        chosenMilliseconds: timings.find((timing) => timing.candidate === choice)!.milliseconds,
        choice,
        ...(confirmation ? { confirmation } : {}),
        ...(workCheck ? { workCheck } : {}),
      };
    });
  } finally {
    for (const tensor of replayTensors) tensor.dispose();
  }
}

/** The rule tune() applies to its work check: the challengers stay only if the work ran faster with them. */
export function challengersKept(workCheck: NonNullable<TuningEntry['workCheck']>): boolean {
  return workCheck.withChallengers < workCheck.withHeuristics;
}

/**
 * Milliseconds per run of `encodeWork` with the table's choices, and with the heuristic at each
 * of the `challenged` keys (the rest as the table has them), in alternating rounds; each way
 * keeps its fastest sample (measure.ts).
 */
export async function timeWorkWithAndWithoutChallengers(
  engine: Engine,
  encodeWork: () => void,
  challenged: readonly string[],
  options: TuneOptions = {},
): Promise<{ withChallengers: number; withHeuristics: number }> {
  const withHeuristics = async <R>(body: () => Promise<R>): Promise<R> => {
    const entries = challenged.map((key) => engine.tuning.get(key)!);
    challenged.forEach((key, i) => engine.tuning.set(key, { ...entries[i]!, choice: heuristicChoice(entries[i]!) }));
    try {
      return await body();
    } finally {
      challenged.forEach((key, i) => engine.tuning.set(key, entries[i]!));
    }
  };
  const ways = [<R>(body: () => Promise<R>) => body(), withHeuristics];
  const target = options.workSampleMilliseconds ?? 400;
  const calibrations: Awaited<ReturnType<typeof calibrate>>[] = [];
  for (const way of ways) calibrations.push(await way(() => calibrate(engine, encodeWork, target)));
  // Each way's fastest sample so far, first its calibration's estimate: how long its next wait sleeps.
  const fastest = calibrations.map((calibration) => 2 * calibration.firstGuess);
  const [withChallengers, heuristics] = await fastestInAlternatingRounds(
    ways.map((way, i) => async () => {
      const milliseconds = await way(() => timeSample(engine, encodeWork, calibrations[i]!.repetitions, fastest[i]!));
      fastest[i] = Math.min(fastest[i]!, milliseconds);
      return milliseconds;
    }),
    options.rounds ?? 5,
  );
  return { withChallengers: withChallengers!, withHeuristics: heuristics! };
}

/**
 * The candidate to keep, from each timed candidate's fastest sample (index 0, the heuristic,
 * always timed): the fastest, if it beats the heuristic by REQUIRED_GAIN and does so again
 * when `timeAgain` times the two of them afresh (the confirmation); otherwise the heuristic.
 */
export async function chooseCandidate(
  fastest: ReadonlyMap<number, number>,
  timeAgain: (indices: readonly number[]) => Promise<ReadonlyMap<number, number>>,
): Promise<{
  choice: number;
  confirmation?: { challenger: number; heuristicMilliseconds: number; challengerMilliseconds: number };
}> {
  const challenger = [...fastest.keys()].reduce((best, i) => (fastest.get(i)! < fastest.get(best)! ? i : best));
  const clearlyFaster = (timings: ReadonlyMap<number, number>) =>
    challenger !== 0 && timings.get(challenger)! < (1 - REQUIRED_GAIN) * timings.get(0)!;
  if (!clearlyFaster(fastest)) return { choice: 0 };
  const again = await timeAgain([0, challenger]);
  const confirmation = {
    challenger,
    heuristicMilliseconds: again.get(0)!,
    challengerMilliseconds: again.get(challenger)!,
  };
  return { choice: clearlyFaster(again) ? challenger : 0, confirmation };
}

/**
 * A timer of the job's candidates for searchCandidates: it samples the given candidates in
 * alternating rounds and answers each one's fastest sample, in milliseconds per run of the
 * job's pass (the first index given is the reference and is never pruned).
 */
function roundTimer(
  engine: Engine,
  job: TimingJob,
  options: TuneOptions,
): (indices: readonly number[]) => Promise<Map<number, number>> {
  const repetitions = new Map<number, number>();
  // Each candidate's fastest sample so far, first its calibration run (whose wait spun): it
  // sets how long the next wait sleeps (measure.ts), and after the rounds it is the result.
  const fastest = new Map<number, number>();
  const timeRounds = async (indices: readonly number[]) => {
    for (const i of indices) {
      if (repetitions.has(i)) continue;
      const calibration = await engine.tuning.forcing(job.key, job.candidates[i], () =>
        calibrate(engine, job.encode, options.targetSampleMilliseconds ?? 20),
      );
      repetitions.set(i, calibration.repetitions);
      fastest.set(i, 2 * calibration.firstGuess);
    }
    for (let round = 0; round < (options.rounds ?? 5); round++) {
      // After the first round, candidates twice as slow as the best are out of the running
      // (the first index, the reference the others must beat, always stays).
      const best = Math.min(...indices.map((i) => fastest.get(i)!));
      // Each round starts at another candidate, so no candidate always follows the same one.
      for (let offset = 0; offset < indices.length; offset++) {
        const position = (offset + round) % indices.length;
        const i = indices[position]!;
        if (round > 0 && position > 0 && fastest.get(i)! > PRUNE_FACTOR * best) continue;
        const expected = round === 0 ? fastest.get(i)! / 2 : fastest.get(i)!;
        const milliseconds = await engine.tuning.forcing(job.key, job.candidates[i], () =>
          timeSample(engine, job.encode, repetitions.get(i)!, expected),
        );
        fastest.set(i, Math.min(fastest.get(i)!, milliseconds));
      }
    }
    return new Map(indices.map((i) => [i, fastest.get(i)!]));
  };
  return timeRounds;
}

function describeCall(call: OpCall): string {
  return `${call.op.name} ${JSON.stringify(call.inputShapes)} ${JSON.stringify(call.attributes)} ${call.needsGradient.join(',')}`;
}
