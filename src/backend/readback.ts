// Reading tensors back to the host: a Snapshot copies them, at one point of the queue, into a
// staging buffer that is mapped once (Engine.snapshot).
import { MapMode } from '../gpu-constants.ts';
import { waitFor, type Expected, type WaitPolicy } from '../tuning/waits.ts';

/** Tensors copied at one point of the queue into a staging buffer that is mapped once (Engine.snapshot), and read from it. */
export class Snapshot {
  constructor(
    private readonly staging: GPUBuffer,
    private readonly sizes: readonly number[],
    /** Raises what went wrong: the device lost, or the GPU's validation errors (afterFailure: the wait failed). */
    private readonly checkErrors: (afterFailure: boolean) => Promise<void>,
    private readonly waits: WaitPolicy,
  ) {}

  /**
   * Waits for the work up to the snapshot and returns the tensors' values. A caller that
   * knows how long that work still runs says so, and the engine's wait policy decides whether
   * the wait sleeps first (tuning/waits.ts).
   */
  async values(expected: Expected = { milliseconds: 0 }): Promise<Float32Array[]> {
    try {
      await waitFor(this.waits, expected, () => this.staging.mapAsync(MapMode.READ));
    } catch (error) {
      await this.checkErrors(true);
      throw error;
    }
    const bytes = this.staging.getMappedRange().slice(0);
    this.staging.unmap();
    this.staging.destroy();
    await this.checkErrors(false);
    let offset = 0;
    return this.sizes.map((size) => {
      const values = new Float32Array(bytes, offset, size);
      offset += size * 4;
      return values;
    });
  }
}
