// What the engine assumes of an adapter before it has timed anything: whether it is a CPU (a
// software implementation: lavapipe, SwiftShader, WARP) or a GPU, and whether the shader
// compiler behind it unrolls constant-count loops. Two policies take their defaults from it:
// how a wait for the GPU behaves (waits.ts) and whether the engine unrolls loops itself
// (unroll.ts). The tuner then times what it can.
import type { WaitPolicy } from './waits.ts';
import { awaitAtOnce, sleepFirst } from './waits.ts';

export type AdapterKind = 'cpu' | 'gpu';

/** What an adapter says of itself, and which WebGPU implementation runs it. */
export interface AdapterTraits {
  /** Vendor, architecture, device and description, as the adapter reports them. */
  readonly description: string;
  /** The adapter's own isFallbackAdapter (a software adapter the browser fell back to). */
  readonly fallback: boolean;
  /** The WebGPU implementation is wgpu (Deno, Firefox): unroll.ts says why that matters. */
  readonly wgpu: boolean;
  /**
   * The WebGPU implementation runs in this process (Dawn in Node, wgpu in Deno), so a pending
   * promise is polled on this process's cores; a browser runs it in its GPU process.
   */
  readonly inProcess: boolean;
}

const SOFTWARE_ADAPTERS = /llvmpipe|lavapipe|swiftshader|software|\bwarp\b|microsoft basic render/i;

export function adapterKind(traits: AdapterTraits): AdapterKind {
  return traits.fallback || SOFTWARE_ADAPTERS.test(traits.description) ? 'cpu' : 'gpu';
}

/**
 * Whether the driver's compiler can be left to unroll constant-count loops (where a register
 * tile indexed in a loop otherwise lives in memory). Not behind wgpu, whose loop guards stop
 * every driver from unrolling, nor on SwiftShader, whose JIT has no loop unrolling at all: in
 * headless Chromium the engine's unrolling is what makes the training step fast (bench/browser-page.ts
 * measures it; docs/performance.md has the figures).
 */
export function driverUnrollsLoops(traits: AdapterTraits): boolean {
  return !traits.wgpu && !/swiftshader/i.test(traits.description);
}

/**
 * Whether the adapter's compiler takes conv2d's all-phases input-gradient tile, whose tap
 * loops, unrolled, are a deep nest of branches. SwiftShader's does not: in headless Chromium
 * they compile for seconds or exhaust the GPU process's memory. lavapipe compiles each in
 * about a second, under Node and Deno alike.
 */
export function compilesAllPhasesTiles(traits: AdapterTraits): boolean {
  return !/swiftshader/i.test(traits.description);
}

/**
 * Dawn in Node spins a CPU core while a promise is pending, which on a CPU adapter takes that
 * core from the work awaited, so there a wait sleeps through most of the expected time first.
 * On a GPU the sleep is lost time, and so it is in a browser, whose page does not spin: the
 * notebook's training at batch 32 in headless Chromium (SwiftShader) ran at 211 img/s
 * awaiting at once against 151 sleeping first; under Node (lavapipe) at 1,751 sleeping first
 * against 893 (bench/results/compare-waits*.json).
 */
export function defaultWaitPolicy(traits: AdapterTraits): WaitPolicy {
  return adapterKind(traits) === 'cpu' && traits.inProcess ? sleepFirst : awaitAtOnce;
}
