// Kernel variants chosen per adapter. An op that can run a dispatch several ways (tile sizes,
// how a reduction is split) offers its candidates under a key naming the kernel and the
// shape; the first candidate is the op's own heuristic. The table answers with the candidate
// a tuner (tuner.ts) measured fastest on this adapter, or with the heuristic where nothing
// was measured. One WGSL source serves every candidate: they differ only in specialised
// constants and dispatch sizes, never in code.
import { AelabError } from '../errors.ts';
import type { Op } from '../kernels/op.ts';
import type { Shape } from '../shapes.ts';

/** One op application seen by recordOpCalls: what the tuner needs to replay it on fresh tensors. */
export interface OpCall {
  readonly op: Op<unknown>;
  readonly inputShapes: readonly Shape[];
  readonly attributes: unknown;
  /** Per input: whether the tape will ask for its gradient. */
  readonly needsGradient: readonly boolean[];
}

/** What the tuner measured for one key. */
export interface TuningEntry {
  /** The chosen candidate, as JSON (candidates are plain objects of numbers). */
  readonly choice: string;
  /** Every candidate timed, as JSON, with its milliseconds per dispatch. */
  readonly timings: readonly { readonly candidate: string; readonly milliseconds: number }[];
  /**
   * Where the fastest candidate beat the heuristic in the search: both timed again, alone
   * (milliseconds per run of the op's pass). The choice is the challenger only if it won here too.
   */
  readonly confirmation?: {
    readonly challenger: string;
    readonly heuristicMilliseconds: number;
    readonly challengerMilliseconds: number;
  };
  /**
   * Where a tune() call confirmed a challenger here: the whole work it tuned (a training step)
   * timed with all of that call's confirmed challengers and with the heuristics at their keys
   * (milliseconds per run). The challengers stay only if the work ran faster with them; else
   * each of those keys chooses its heuristic.
   */
  readonly workCheck?: { readonly withChallengers: number; readonly withHeuristics: number };
  /** A challenger chosen before its call's work check: a saved table of an interrupted tuning has these. */
  readonly provisional?: true;
  /** Kept at its heuristic without timing: its tuning stopped early (tuner.ts, stopAfterUnchanged). */
  readonly untimed?: true;
}

/** The heuristic's candidate at a tuned key, as JSON: the first the tuner timed. */
export function heuristicChoice(entry: TuningEntry): string {
  return entry.timings[0]?.candidate ?? entry.choice; // an untimed entry holds its heuristic
}

/** Whether the tuner chose another candidate than the heuristic at this key. */
export function replacesHeuristic(entry: TuningEntry): boolean {
  return entry.choice !== heuristicChoice(entry);
}

/** The file form: entries for one adapter and one version of the kernels. */
export interface TuningFile {
  readonly adapter: string;
  readonly kernelsVersion: string;
  readonly entries: Readonly<Record<string, TuningEntry>>;
}

export class TuningTable {
  /** When false, every key gets its heuristic (benchmarks compare the two in one run). */
  enabled = true;
  private readonly entries = new Map<string, TuningEntry>();
  /** Keys (with their candidates) asked for while collect() runs. */
  private collecting: Map<string, readonly unknown[]> | null = null;
  /** While the tuner times a candidate: the JSON of the candidate to force for a key. */
  private forced: { key: string; candidate: string } | null = null;
  /** Each key's candidates, and the same by their JSON (how entries name them). */
  private readonly offers = new Map<string, { candidates: readonly unknown[]; byJson: Map<string, unknown> }>();
  private recordedCalls: OpCall[] | null = null;

  /**
   * The candidate to use for `key`: forced by the tuner, else tuned, else the first (the
   * heuristic). A key names a kernel and a shape, so its candidates never change: they are
   * built on the key's first request only, which keeps this off a training step's costs.
   */
  choose<C>(key: string, candidates: () => readonly C[]): C {
    let offer = this.offers.get(key);
    if (!offer) {
      const list = candidates();
      if (list.length === 0) throw new AelabError(`tuning: no candidates for ${key}`);
      offer = { candidates: list, byJson: new Map(list.map((candidate) => [JSON.stringify(candidate), candidate])) };
      this.offers.set(key, offer);
    }
    this.collecting?.set(key, offer.candidates);
    const wanted =
      this.forced?.key === key ? this.forced.candidate : this.enabled ? this.entries.get(key)?.choice : undefined;
    // A tuned candidate that is no longer offered (the op's candidates changed) falls back to the heuristic.
    const match = wanted === undefined ? undefined : offer.byJson.get(wanted);
    return (match ?? offer.candidates[0]) as C;
  }

  /** Runs `encode` (which encodes work as usual) and returns every op application in it (see observe). */
  recordOpCalls(encode: () => void): OpCall[] {
    const previous = this.recordedCalls;
    const calls: OpCall[] = [];
    this.recordedCalls = calls;
    try {
      encode();
    } finally {
      this.recordedCalls = previous;
    }
    return calls;
  }

  /** Called by the GPU backend for each op it runs; notes the call while recordOpCalls runs. */
  observe(call: () => OpCall): void {
    this.recordedCalls?.push(call());
  }

  /** Runs `encode` and returns the keys it asked for, with their candidates. */
  collect(encode: () => void): Map<string, readonly unknown[]> {
    const previous = this.collecting;
    const keys = new Map<string, readonly unknown[]>();
    this.collecting = keys;
    try {
      encode();
    } finally {
      this.collecting = previous;
    }
    return keys;
  }

  /** Runs `body` with `candidate` forced for `key`. */
  async forcing<R>(key: string, candidate: unknown, body: () => Promise<R>): Promise<R> {
    const previous = this.forced;
    this.forced = { key, candidate: JSON.stringify(candidate) };
    try {
      return await body();
    } finally {
      this.forced = previous;
    }
  }

  has(key: string): boolean {
    return this.entries.has(key);
  }

  get(key: string): TuningEntry | undefined {
    return this.entries.get(key);
  }

  set(key: string, entry: TuningEntry): void {
    this.entries.set(key, entry);
  }

  get size(): number {
    return this.entries.size;
  }

  /** `kernelsVersion`: tuning-file.ts's tuningVersion(), of the kernels the engine compiled. */
  toFile(adapter: string, kernelsVersion: string): TuningFile {
    return { adapter, kernelsVersion, entries: Object.fromEntries(this.entries) };
  }

  /**
   * Adopts a file's entries if it was measured on this adapter with these kernels; returns
   * whether it did. Timings of other kernels' sources would mislead, so they are ignored.
   */
  load(file: TuningFile, adapter: string, kernelsVersion: string): boolean {
    if (file.adapter !== adapter || file.kernelsVersion !== kernelsVersion) return false;
    // A provisional challenger (its tuning interrupted before the work check) is timed again.
    for (const [key, entry] of Object.entries(file.entries)) if (!entry.provisional) this.entries.set(key, entry);
    return true;
  }
}

/**
 * How tuner.ts chooses, hashed into a tuning's version with the kernel sources
 * (tuning-file.ts's tuningVersion): a cached file chosen by an earlier method (one whose choices did not have to
 * speed up the whole work, say) is timed again rather than adopted.
 */
export const TUNING_METHOD = 'search, confirmation, work check of 400 ms samples';
