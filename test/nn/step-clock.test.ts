// fit()'s step clock on a virtual GPU and a virtual clock: steps of 25 ms, the first chunk 100x
// slower (it compiles the kernels). The clock must not carry the first chunk into its sleeps:
// the GPU never idles for want of queued work, and no wait sleeps past the chunk it waits for.
import { describe, expect, it } from 'vitest';
import { QUEUED_MILLISECONDS, StepClock, type ClockTime } from '../../src/nn/step-clock.ts';
import { awaitAtOnce, sleepFirst, type WaitPolicy } from '../../src/tuning/waits.ts';

interface Simulation {
  /** How long the GPU sat idle with nothing queued, after the first chunk. */
  readonly idleMilliseconds: number;
  /** Each wait's sleep beside what was left of the chunk it waited for when it began. */
  readonly sleeps: readonly { readonly slept: number; readonly remaining: number }[];
  readonly totalMilliseconds: number;
}

/**
 * Trains `steps` steps of `stepMilliseconds` each, the first `slowSteps` `slowdown` times slower.
 * `submitBlocks`: submitting a step waits until the step before it has finished (Deno's wgpu on
 * lavapipe), so the CPU is never more than a step ahead.
 */
async function simulate(
  steps: number,
  stepMilliseconds: number,
  slowSteps: number,
  slowdown: number,
  waitCost = 0.2,
  submitBlocks = false,
  waits: WaitPolicy = sleepFirst,
): Promise<Simulation> {
  let now = 0;
  let gpuFree = 0;
  let idle = 0;
  let submitted = 0;
  const sleeps: { slept: number; remaining: number }[] = [];
  const time: ClockTime = {
    now: () => now,
    sleep: async (milliseconds) => void (now += milliseconds),
  };
  let chunkSteps = 0;
  // The GPU runs a step as soon as it is queued and the step before it is done.
  const queueStep = () => {
    const duration = stepMilliseconds * (submitted < slowSteps ? slowdown : 1);
    if (submitBlocks) now = Math.max(now, gpuFree);
    if (now > gpuFree && submitted > slowSteps) idle += now - gpuFree;
    gpuFree = Math.max(gpuFree, now) + duration;
    submitted += 1;
    chunkSteps += 1;
  };
  const clock = new StepClock(
    () => {
      const done = gpuFree;
      chunkSteps = 0;
      return { values: async () => void (now = Math.max(now, done) + waitCost) };
    },
    waits,
    {
      now: time.now,
      sleep: async (milliseconds) => {
        sleeps.push({ slept: milliseconds, remaining: Math.max(0, pendingDone - now) });
        await time.sleep(milliseconds);
      },
    },
  );
  // What the chunk being waited for has left: the clock waits for the chunk before the newest.
  let pendingDone = 0;
  const completions: number[] = [];
  for (let step = 0; step < steps; step++) {
    queueStep();
    if (clock.submitted()) {
      completions.push(gpuFree);
      pendingDone = completions.at(-2) ?? 0;
      await clock.endChunk();
    }
  }
  completions.push(gpuFree);
  pendingDone = completions.at(-2) ?? gpuFree;
  await clock.finish();
  return { idleMilliseconds: idle, sleeps, totalMilliseconds: now };
}

describe('the step clock', () => {
  it('after a first chunk 100x slower, keeps the GPU fed and never sleeps past the chunk it waits for', async () => {
    const result = await simulate(400, 25, 2, 100);
    const steadyWork = (400 - 2) * 25;
    // Idle time would show a stall: the old clock slept 95% of the compile-inflated estimate
    // (about 2.4 s) before each 25 ms step, for minutes.
    expect(result.idleMilliseconds).toBeLessThan(2 * 25);
    expect(result.totalMilliseconds).toBeLessThan(2 * 100 * 25 + steadyWork * 1.05 + 100);
    for (const { slept, remaining } of result.sleeps)
      expect(slept).toBeLessThanOrEqual(remaining + QUEUED_MILLISECONDS);
  });

  it('sleeps through most of each wait once it has settled (a CPU core spun otherwise)', async () => {
    const result = await simulate(400, 25, 2, 100);
    const late = result.sleeps.slice(-10);
    expect(late.length).toBe(10);
    for (const { slept, remaining } of late) expect(slept).toBeGreaterThan(0.5 * remaining);
  });

  it('under the await-at-once policy (a GPU) never sleeps, and still never stalls', async () => {
    const result = await simulate(400, 25, 2, 100, 0.2, false, awaitAtOnce);
    expect(result.sleeps).toEqual([]);
    expect(result.idleMilliseconds).toBeLessThan(2 * 25);
  });

  it('with a wait that costs 11 ms (Deno) still neither stalls nor spins through the chunk', async () => {
    const result = await simulate(400, 25, 2, 100, 11);
    expect(result.idleMilliseconds).toBeLessThan(2 * 25);
    const settled = result.sleeps.slice(-10);
    for (const { slept, remaining } of settled) expect(slept).toBeLessThanOrEqual(remaining + QUEUED_MILLISECONDS);
  });

  it('where submitting waits for the step before (Deno), sizes its chunks by the steps it timed: no stall', async () => {
    // The time between two completions is then the encoding of the chunk submitted between
    // them; divided by the steps of the chunk that completed (2, the first time) it read 12x
    // the step, and the next wait slept 3 s.
    const result = await simulate(400, 15, 2, 40, 12, true);
    const steadyWork = (400 - 2) * 15;
    expect(result.totalMilliseconds).toBeLessThan(2 * 40 * 15 + steadyWork * 1.15 + 200);
    for (const { slept } of result.sleeps) expect(slept).toBeLessThanOrEqual(QUEUED_MILLISECONDS);
  });
});
