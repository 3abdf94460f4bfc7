// The tuner: finds the tunable dispatches of a piece of work (a training step), times every
// candidate variant of each on this adapter, and records the fastest in engine.tuning.
//
// Each distinct op application in the work is replayed on fresh tensors of the same shapes
// (the work's own tensors are freed as the tape sweeps), its forward and backward timed
// apart, one key at a time with the others held at their current choice.
//
// On a shared or busy machine a sample can only come out slower than the work's own cost,
// never faster, and the slowdowns drift. So the candidates are sampled in rounds (each
// round samples every candidate once, so drift falls on all alike), each candidate is
// judged by its fastest sample, and a candidate replaces the heuristic only if it is
// faster by a clear margin: noise alone must not move a choice.
import type { Engine, OpCall } from './engine.ts';
import type { Tensor } from './tensor.ts';
import { calibrate, timeSample } from './measure.ts';
import { sizeOf } from '../kernels/shapes.ts';
import { Random } from '../random.ts';

export interface TunedKey {
  readonly key: string;
  readonly candidates: number;
  /** The op's heuristic (the first candidate) and the chosen candidate, ms per run of the op's pass. */
  readonly heuristicMilliseconds: number;
  readonly chosenMilliseconds: number;
  readonly choice: string;
}

export interface TuneOptions {
  /** Time keys the table already holds again (default: only new keys are timed). */
  readonly retune?: boolean;
  /** Called before each key is timed: keys done so far, keys to time, the key. */
  readonly onProgress?: (done: number, total: number, key: string) => void;
  /** Rounds of samples (default 5), each about targetSampleMilliseconds long (default 20). */
  readonly rounds?: number;
  readonly targetSampleMilliseconds?: number;
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

/** Tunes every tunable dispatch in `encodeWork` (which must leave the model as it found it). */
export async function tune(engine: Engine, encodeWork: () => void, options: TuneOptions = {}): Promise<TunedKey[]> {
  let calls: OpCall[] = [];
  const keysInWork = engine.tuning.collect(() => (calls = engine.recordOpCalls(() => engine.scope(encodeWork))));
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
      if (!jobs.has(key) && candidates.length > 1 && (options.retune || !engine.tuning.has(key))) jobs.set(key, { key, candidates, encode });
    }
  };
  const seenCalls = new Set<string>();
  try {
    for (const call of calls) {
      const signature = describeCall(call);
      if (seenCalls.has(signature)) continue;
      seenCalls.add(signature);
      const inputs = call.inputShapes.map(fresh);
      const output = engine.forward(call.op, inputs, call.attributes);
      engine.keep(output);
      replayTensors.push(output);
      const gradOutput = fresh(output.shape);
      const encodeForward = () => void engine.forward(call.op, inputs, call.attributes);
      const encodeBackward = () => void engine.backward(call.op, { inputs, output, attributes: call.attributes, gradOutput, needsGradient: call.needsGradient });
      const passes = call.needsGradient.some((needed) => needed) ? [encodeForward, encodeBackward] : [encodeForward];
      for (const encode of passes) addJobs(engine.tuning.collect(() => engine.scope(encode)), encode);
    }
    // Tunable dispatches outside any op (the matmul ceiling, say) are timed within the work itself.
    addJobs(keysInWork, encodeWork);
    await engine.synchronize();

    const results: TunedKey[] = [];
    let done = 0;
    for (const job of jobs.values()) {
      options.onProgress?.(done, jobs.size, job.key);
      const fastest = await timeCandidates(engine, job, options);
      const timings = job.candidates.map((candidate, i) => ({ candidate: JSON.stringify(candidate), milliseconds: fastest[i]! }));
      const challenger = timings.reduce((best, timing) => (timing.milliseconds < best.milliseconds ? timing : best));
      const best = challenger.milliseconds < (1 - REQUIRED_GAIN) * timings[0]!.milliseconds ? challenger : timings[0]!;
      engine.tuning.set(job.key, { choice: best.candidate, timings });
      results.push({ key: job.key, candidates: timings.length, heuristicMilliseconds: timings[0]!.milliseconds, chosenMilliseconds: best.milliseconds, choice: best.candidate });
      done += 1;
    }
    options.onProgress?.(done, jobs.size, '');
    return results;
  } finally {
    for (const tensor of replayTensors) tensor.dispose();
  }
}

/** Each candidate's fastest sample, in milliseconds per run of the job's pass. */
async function timeCandidates(engine: Engine, job: TimingJob, options: TuneOptions): Promise<number[]> {
  const repetitions: number[] = [];
  // Each candidate's fastest sample so far, first its calibration run (whose wait spun): it
  // sets how long the next wait sleeps (measure.ts), and after the rounds it is the result.
  const fastest: number[] = [];
  for (const candidate of job.candidates) {
    const calibration = await engine.tuning.forcing(job.key, candidate, () => calibrate(engine, job.encode, options.targetSampleMilliseconds ?? 20));
    repetitions.push(calibration.repetitions);
    fastest.push(2 * calibration.firstGuess);
  }
  for (let round = 0; round < (options.rounds ?? 5); round++) {
    // After the first round, candidates twice as slow as the best are out of the running
    // (the heuristic always stays, as the reference the others must beat).
    const best = Math.min(...fastest);
    // Each round starts at another candidate, so no candidate always follows the same one.
    for (let offset = 0; offset < job.candidates.length; offset++) {
      const i = (offset + round) % job.candidates.length;
      if (round > 0 && i > 0 && fastest[i]! > PRUNE_FACTOR * best) continue;
      const expected = round === 0 ? fastest[i]! / 2 : fastest[i]!;
      const milliseconds = await engine.tuning.forcing(job.key, job.candidates[i], () => timeSample(engine, job.encode, repetitions[i]!, expected));
      fastest[i] = Math.min(fastest[i]!, milliseconds);
    }
  }
  return fastest;
}

function describeCall(call: OpCall): string {
  return `${call.op.name} ${JSON.stringify(call.inputShapes)} ${JSON.stringify(call.attributes)} ${call.needsGradient.join(',')}`;
}
