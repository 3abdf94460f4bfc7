// The contract of an optimiser's update kernel: the state it keeps per weight, the kernel
// that updates weight and state in place, and the float64 reference of the same update.
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';

export interface UpdateRule<H> {
  readonly name: string;
  /** Names of the per-weight state tensors (zero-initialised), as bound in the kernel. */
  readonly stateNames: readonly string[];
  readonly defaults: H;
  /** Encodes one in-place update; `step` counts from 1. */
  encode(
    engine: Engine,
    weight: Tensor,
    gradient: Tensor,
    state: readonly Tensor[],
    hyperparameters: H,
    step: number,
  ): void;
  /** The same update on float64 arrays, in place. */
  reference(
    weight: Float64Array,
    gradient: Float64Array,
    state: readonly Float64Array[],
    hyperparameters: H,
    step: number,
  ): void;
}

export function defineUpdateRule<H>(rule: UpdateRule<H>): UpdateRule<H> {
  return rule;
}
