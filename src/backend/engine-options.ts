// What an Engine is created with (Engine.create): debugging aids, what the adapter says of
// itself, and the performance switches that createEngine sets per adapter.
import type { KernelSource } from './kernel-library.ts';
import type { WaitPolicy } from '../tuning/waits.ts';
import type { AdapterTraits } from '../tuning/adapter-kind.ts';

/** What an Engine is created with: debugging aids, what the adapter says of itself, and the per-adapter performance switches createEngine sets. */
export interface EngineOptions {
  /**
   * Debugging aid used by the tests: when set, every tensor the engine hands out is first
   * filled with this value, so a kernel that leaves an output element unwritten fails
   * its comparison instead of passing on stale data.
   */
  poison?: number | null;
  /** A description of the adapter, reported by benchmarks. */
  adapterDescription?: string;
  /** What the adapter says of itself (acquireDevice), which some kernel variants are chosen by. */
  traits?: AdapterTraits;
  /** Records each dispatch's entry point, shape and bindings, to be timed on its own later: see recordedDispatches(). */
  profile?: boolean;
  /**
   * Unroll the kernels' constant-count loops before compiling them (tuning/unroll.ts), where
   * the driver will not: behind wgpu (Deno, Firefox) and on SwiftShader (createEngine decides,
   * tuning/adapter-kind.ts). Elsewhere the driver unrolls them and compiles loops faster.
   */
  unrollLoops?: boolean;
  /**
   * Whether a wait for the GPU sleeps through most of its expected time before it awaits
   * (tuning/waits.ts). createEngine picks it by the adapter's kind and the runtime; default
   * sleep-first.
   */
  waits?: WaitPolicy;
  /**
   * Let kernels shuffle values between the lanes of a subgroup where the device allows it
   * (tuning/subgroups.ts: probed at creation). Default true; false keeps every kernel on its own
   * loads (the tests compare the two).
   */
  subgroups?: boolean;
  /** Kernels to compile (and check, with line and column on error) when the engine starts. */
  kernels?: readonly KernelSource[];
}
