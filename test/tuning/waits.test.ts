// The adapter's kind and the two policies chosen by it: whether a wait sleeps first, and
// whether the engine unrolls loops itself.
import { describe, expect, it, vi } from 'vitest';
import {
  adapterKind,
  defaultWaitPolicy,
  driverUnrollsLoops,
  type AdapterTraits,
} from '../../src/tuning/adapter-kind.ts';
import { awaitAtOnce, sleepFirst, waitFor, type WaitPolicy } from '../../src/tuning/waits.ts';
import { testEngine } from '../support/engine.ts';
import { Engine } from '../../src/backend/engine.ts';

const traits = (description: string, more: Partial<AdapterTraits> = {}): AdapterTraits => ({
  description,
  fallback: false,
  wgpu: false,
  inProcess: true,
  ...more,
});
const lavapipe = traits('mesa / software / llvmpipe-llvm-15-0-6-256-bits- / llvmpipe: Mesa 25.0.7 (LLVM 15.0.6) 0.0.1');
const denoLavapipe = traits('65541 / 0 / llvmpipe (LLVM 15.0.6, 256 bits)', { wgpu: true });
const swiftShader = traits('google / swiftshader', { inProcess: false });
const nvidia = traits('nvidia / hopper / NVIDIA H100 80GB HBM3');

describe('adapter kinds', () => {
  it('tells CPU adapters from GPUs by what they report', () => {
    expect([lavapipe, denoLavapipe, swiftShader].map(adapterKind)).toEqual(['cpu', 'cpu', 'cpu']);
    expect(adapterKind(nvidia)).toBe('gpu');
    expect(adapterKind(traits('some adapter', { fallback: true }))).toBe('cpu');
    expect(adapterKind(traits('amd / rdna-3'))).toBe('gpu');
  });

  it('unrolls loops where the driver will not: behind wgpu and on SwiftShader', () => {
    expect(driverUnrollsLoops(lavapipe)).toBe(true);
    expect(driverUnrollsLoops(nvidia)).toBe(true);
    expect(driverUnrollsLoops(denoLavapipe)).toBe(false);
    expect(driverUnrollsLoops(swiftShader)).toBe(false);
    expect(driverUnrollsLoops(traits('nvidia / hopper', { wgpu: true }))).toBe(false);
  });

  it('sleeps before a wait only on a CPU adapter run in this process, whose wait spins a core', () => {
    expect(defaultWaitPolicy(lavapipe)).toBe(sleepFirst);
    expect(defaultWaitPolicy(denoLavapipe)).toBe(sleepFirst);
    expect(defaultWaitPolicy(swiftShader)).toBe(awaitAtOnce); // a browser's page does not spin
    expect(defaultWaitPolicy(nvidia)).toBe(awaitAtOnce);
  });
});

describe('wait policies', () => {
  it('sleep-first sleeps through most of a long wait and none of a short one; await-at-once never sleeps', () => {
    expect(sleepFirst.sleepBefore(100)).toBeCloseTo(85);
    expect(sleepFirst.sleepBefore(100, 0, true)).toBeCloseTo(95);
    expect(sleepFirst.sleepBefore(100, 30)).toBeCloseTo(55);
    expect(sleepFirst.sleepBefore(100, 90)).toBe(0);
    expect(sleepFirst.sleepBefore(1.5)).toBe(0);
    expect(sleepFirst.sleepBefore(-40)).toBe(0);
    expect(awaitAtOnce.sleepBefore(1000)).toBe(0);
  });

  it('waitFor sleeps as the policy says before it awaits', async () => {
    vi.useFakeTimers();
    try {
      let started = false;
      const waiting = waitFor(sleepFirst, { milliseconds: 60 }, async () => void (started = true));
      await vi.advanceTimersByTimeAsync(50);
      expect(started).toBe(false); // 85% of 60 ms is 51 ms
      await vi.advanceTimersByTimeAsync(2);
      await waiting;
      expect(started).toBe(true);
      let atOnce = false;
      const immediate = waitFor(awaitAtOnce, { milliseconds: 60 }, async () => void (atOnce = true));
      await vi.advanceTimersByTimeAsync(0);
      expect(atOnce).toBe(true);
      await immediate;
    } finally {
      vi.useRealTimers();
    }
  });
});

const engine = await testEngine();

describe.skipIf(!engine)("the engine's waits", () => {
  it("ask the policy the engine was given, with the time the caller expects, and a snapshot's too", async () => {
    const asked: [number, number, boolean][] = [];
    const recording: WaitPolicy = {
      name: 'await-at-once',
      sleepBefore: (expected, elapsed = 0, queued = false) => (asked.push([expected, elapsed, queued]), 0),
    };
    const e = await Engine.create(engine!.device, { waits: recording });
    expect(e.waits).toBe(recording);
    await e.synchronize({ milliseconds: 400 });
    const value = e.tensor(new Float32Array([1.5]), [1]);
    expect(await e.snapshot([value]).values({ milliseconds: 30, elapsed: 5, queued: true })).toEqual([
      new Float32Array([1.5]),
    ]);
    expect(asked).toEqual([
      [400, 0, false],
      [30, 5, true],
    ]);
  });
});
