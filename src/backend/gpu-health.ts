// What the GPU reported of the work submitted to it: the validation errors of each submission
// (an error scope per command buffer) and whether the device is lost. A lost device is a normal
// event (a driver reset, a crashed GPU process, memory pressure, destroy()); the next wait
// reports it as a DeviceLostError, not as whatever a dead queue answers.
import { DeviceLostError, GpuError, GpuMemoryError } from '../errors.ts';

export class GpuHealth {
  private readonly pendingErrors: Promise<GPUError | null>[] = [];
  private readonly pendingMemory: Promise<GPUError | null>[] = [];
  private lostInfo: GPUDeviceLostInfo | null = null;

  constructor(private readonly device: GPUDevice) {
    void device.lost.then((info) => (this.lostInfo = info));
  }

  /** Whether the device is lost. */
  get lost(): boolean {
    return this.lostInfo !== null;
  }

  /** Notes the out-of-memory and validation errors of the submission just made (the error scopes it was encoded in). */
  submitted(memory: Promise<GPUError | null>, errors: Promise<GPUError | null>): void {
    this.pendingMemory.push(memory);
    this.pendingErrors.push(errors);
  }

  /**
   * Raises a DeviceLostError if the device is lost, else any validation error the GPU reported
   * for submitted work. A wait that failed may fail before the device's lost promise settles,
   * so after a failed wait (`afterFailure`) it gives that promise a moment.
   */
  async check(afterFailure = false): Promise<void> {
    if (afterFailure && !this.lostInfo)
      await Promise.race([this.device.lost, new Promise((resolve) => setTimeout(resolve, 200))]);
    const pending = this.pendingErrors.splice(0);
    const memory = this.pendingMemory.splice(0);
    if (this.lostInfo) {
      const { reason, message } = this.lostInfo;
      throw new DeviceLostError(`the GPU device was lost (${reason ?? 'unknown'}${message ? `: ${message}` : ''})`);
    }
    const outOfMemory = (await Promise.all(memory)).find((error) => error !== null);
    if (outOfMemory) throw new GpuMemoryError(`the GPU ran out of memory: ${outOfMemory.message}`);
    const errors = (await Promise.all(pending)).filter((error): error is GPUError => error !== null);
    if (errors.length > 0)
      throw new GpuError(`the GPU rejected submitted work: ${errors.map((error) => error.message).join('; ')}`);
  }
}
