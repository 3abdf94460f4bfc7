// Mini-batches for an epoch: a seeded shuffle that depends only on (seed, epoch), so a run
// resumed at epoch e sees exactly the batches an uninterrupted run would have.
import { Random, permutation } from '../random.ts';

export function epochOrder(count: number, seed: number, epoch: number, shuffle: boolean): Uint32Array {
  if (!shuffle) return Uint32Array.from({ length: count }, (_, i) => i);
  return permutation(count, new Random((seed * 0x9e3779b1 + epoch * 0x85ebca6b) >>> 0));
}

/** Index batches of at most `batchSize` (the last one may be smaller, as in Keras). */
export function* batchesOf(order: Uint32Array, batchSize: number): Generator<Uint32Array> {
  for (let start = 0; start < order.length; start += batchSize)
    yield order.subarray(start, Math.min(start + batchSize, order.length));
}
