// Reading tensors back to the host: a Snapshot copies them, at one point of the queue, into a
// staging buffer that is mapped once (Engine.snapshot).
import { MapMode } from '../gpu-constants.ts';

export class Snapshot {
  constructor(
    private readonly staging: GPUBuffer,
    private readonly sizes: readonly number[],
    private readonly checkErrors: () => Promise<void>,
  ) {}

  /**
   * Waits for the work up to the snapshot and returns the tensors' values. Dawn spins a CPU
   * core while the map is pending, so a caller that knows how long the work still runs can
   * have the wait sleep through `sleepMilliseconds` first.
   */
  async values(sleepMilliseconds = 0): Promise<Float32Array[]> {
    if (sleepMilliseconds > 1) await new Promise((resolve) => setTimeout(resolve, sleepMilliseconds));
    await this.staging.mapAsync(MapMode.READ);
    const bytes = this.staging.getMappedRange().slice(0);
    this.staging.unmap();
    this.staging.destroy();
    await this.checkErrors();
    let offset = 0;
    return this.sizes.map((size) => {
      const values = new Float32Array(bytes, offset, size);
      offset += size * 4;
      return values;
    });
  }
}
