// Backpressure for the training loop that keeps the GPU's queue full. The CPU encodes a step
// far faster than a CPU adapter runs it, so fit() cuts the steps into chunks of about
// QUEUED_MILLISECONDS of GPU work. At the end of a chunk it snapshots the metric sums and
// then waits for the previous chunk's snapshot, not for everything: the chunk just submitted
// keeps the GPU busy through the wait and while the next one is encoded. (Waiting for all
// submitted work leaves the GPU idle while the CPU encodes the next step, and each wait has a
// fixed cost of its own, large under Deno.)
// Dawn spins a CPU core while a map is pending, taking it from the training itself, so on a
// CPU adapter the wait policy (tuning/waits.ts) has the wait sleep through most of the time
// the chunk should still take, by the estimate of the GPU time per step. Oversleeping by less than a chunk costs nothing (the next chunk is queued),
// but an estimate that is too high is a stall, and one measured across an oversleep is too
// high by the oversleep, so an estimate only ever comes from a steady state:
//   - the first chunk of a clock sets none: it pays for compiling its kernels, many times
//     its steps' own time, and fit() starts a clock per epoch;
//   - a chunk measures the GPU only if, after the sleep, the wait still had to wait: then the
//     GPU was busy until the snapshot and the time is the chunk's own;
//   - a chunk that was already done on waking only bounds the time from above: the estimate
//     halves, so a too-high estimate is gone in a few chunks.
// Where submitting waits for the work before it (Deno's wgpu on lavapipe), the time between
// two completions is spent encoding the chunk submitted between them, which ran meanwhile:
// the GPU time of that chunk, not of the one that completed. When encoding took most of that
// time (a CPU that only queues work never does), the time is read per step submitted since,
// not per step of the short first chunk, which would overstate it many times over.
import { sleepFirst, type WaitPolicy } from '../tuning/waits.ts';

/** How much GPU work fit() lets the CPU queue ahead before it waits (bench:train times samples this long). */
export const QUEUED_MILLISECONDS = 400;

/** The clock's time source: real by default, virtual in the tests. */
export interface ClockTime {
  now(): number;
  sleep(milliseconds: number): Promise<void>;
}

export const realTime: ClockTime = {
  now: () => performance.now(),
  sleep: (milliseconds) => new Promise((resolve) => setTimeout(resolve, milliseconds)),
};

/** Values at one point of the queue: values() resolves once the GPU has reached it. */
export interface QueuePoint<M> {
  values(): Promise<M>;
}

interface Chunk<M> {
  readonly point: QueuePoint<M>;
  readonly steps: number;
}

export class StepClock<M> {
  /** GPU milliseconds per step, from a steady state; 0 while unknown (then nothing sleeps). */
  private estimate = 0;
  private pendingSteps = 0;
  private inFlight: Chunk<M> | null = null;
  private lastCompletion: number;
  private chunksCompleted = 0;
  /** When the CPU began encoding the chunk being filled. */
  private encodingSince: number;

  constructor(
    private readonly snapshot: () => QueuePoint<M>,
    private readonly waits: WaitPolicy = sleepFirst,
    private readonly time: ClockTime = realTime,
  ) {
    this.lastCompletion = time.now();
    this.encodingSince = this.lastCompletion;
  }

  /** The estimate of GPU milliseconds per step (0: none yet). */
  get millisecondsPerStep(): number {
    return this.estimate;
  }

  /** Counts a submitted step; true when its chunk is full (call endChunk). */
  submitted(): boolean {
    this.pendingSteps += 1;
    const due = this.estimate > 0 ? Math.max(1, Math.round(QUEUED_MILLISECONDS / this.estimate)) : 2;
    return this.pendingSteps >= due;
  }

  /** Snapshots the chunk and waits for the chunk before it: its values, or null for the first chunk. */
  async endChunk(): Promise<M | null> {
    const encoding = this.time.now() - this.encodingSince;
    const previous = this.inFlight;
    this.inFlight = { point: this.snapshot(), steps: this.pendingSteps };
    this.pendingSteps = 0;
    // Since the last completion exactly the chunk just snapshotted was submitted.
    const values = previous ? await this.complete(previous, { steps: this.inFlight.steps, encoding }) : null;
    this.encodingSince = this.time.now();
    return values;
  }

  /** Waits for every step submitted: the values after the last. */
  async finish(): Promise<M> {
    // Steps after the last full chunk (or an epoch shorter than one) end a chunk of their own.
    if (this.pendingSteps > 0 || !this.inFlight) await this.endChunk();
    const last = this.inFlight!;
    this.inFlight = null;
    return this.complete(last, { steps: 0, encoding: 0 });
  }

  /** Waits for `chunk`; `since`: the steps submitted since the last completion and how long encoding them took. */
  private async complete(chunk: Chunk<M>, since: { steps: number; encoding: number }): Promise<M> {
    // The queue never ran dry, so the chunk started when the one before it completed.
    const expected = chunk.steps * this.estimate;
    const sleep = this.waits.sleepBefore(expected, this.time.now() - this.lastCompletion, true);
    if (this.estimate > 0 && sleep > 0) await this.time.sleep(sleep);
    const woke = this.time.now();
    const values = await chunk.point.values();
    const now = this.time.now();
    this.chunksCompleted += 1;
    if (chunk.steps > 0 && this.chunksCompleted > 1) {
      const elapsed = now - this.lastCompletion;
      const submittingRanTheWork = since.steps > 0 && since.encoding >= 0.8 * elapsed;
      const measured = elapsed / (submittingRanTheWork ? since.steps : chunk.steps);
      const waited = now - woke > Math.max(1, 0.02 * expected);
      if (this.estimate === 0 || waited) this.estimate = measured;
      else this.estimate = Math.min(this.estimate, measured) / 2;
    }
    this.lastCompletion = now;
    return values;
  }
}
