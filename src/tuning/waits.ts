// How every wait for GPU work behaves: the engine's synchronize, a snapshot's values, the
// training loop's clock and the benchmarks' samples all ask this one policy, given the time
// the work they await is still expected to take. Dawn spins a CPU core while a promise is
// pending; on a CPU adapter that core is half the machine's, taken from the work awaited (on
// 2 cores a sample that spun throughout took about twice as long), so the wait sleeps first.
// On a GPU the spin costs nothing the work needs, and in a browser nothing spins: there a
// sleep is time lost. The default follows the adapter's kind and the runtime
// (adapter-kind.ts); EngineOptions.waits overrides it.
export interface WaitPolicy {
  readonly name: 'sleep-first' | 'await-at-once';
  /**
   * How long to sleep before awaiting work expected to take `expectedMilliseconds` in all, of
   * which `elapsedMilliseconds` have passed. `queued`: more work stays queued behind it (the
   * training loop's chunks), so oversleeping a little costs nothing and the sleep may come
   * closer to the whole.
   */
  sleepBefore(expectedMilliseconds: number, elapsedMilliseconds?: number, queued?: boolean): number;
}

/**
 * Sleep through what is left of 85% of the expected time (95% where work stays queued): a
 * wait that wakes early spins only briefly, one that wakes late has lost little. No sleep
 * under a millisecond, nor for work expected to take 2 ms or less.
 */
export const sleepFirst: WaitPolicy = {
  name: 'sleep-first',
  sleepBefore(expectedMilliseconds, elapsedMilliseconds = 0, queued = false) {
    if (expectedMilliseconds <= 2) return 0;
    const sleep = expectedMilliseconds * (queued ? 0.95 : 0.85) - elapsedMilliseconds;
    return sleep > 1 ? sleep : 0;
  },
};

export const awaitAtOnce: WaitPolicy = {
  name: 'await-at-once',
  sleepBefore: () => 0,
};

export const waitPolicies: Readonly<Record<WaitPolicy['name'], WaitPolicy>> = {
  'sleep-first': sleepFirst,
  'await-at-once': awaitAtOnce,
};

/** How long the work awaited is expected to take, and how much of that has passed already. */
export interface Expected {
  readonly milliseconds: number;
  readonly elapsed?: number;
  /** More work stays queued behind it. */
  readonly queued?: boolean;
}

/** Sleeps as `policy` says for the work `expected`, then awaits it. */
export async function waitFor<T>(policy: WaitPolicy, expected: Expected, work: () => Promise<T>): Promise<T> {
  const sleep = policy.sleepBefore(expected.milliseconds, expected.elapsed ?? 0, expected.queued ?? false);
  if (sleep > 0) await new Promise((resolve) => setTimeout(resolve, sleep));
  return work();
}
