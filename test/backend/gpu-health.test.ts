// What the GPU reported of submitted work, told apart: out of memory, a validation error, a lost device.
import { describe, expect, it } from 'vitest';
import { GpuHealth } from '../../src/backend/gpu-health.ts';
import { DeviceLostError, GpuError, GpuMemoryError } from '../../src/errors.ts';

/** A device that is never lost (or is, when `lost` resolves), enough for GpuHealth. */
const device = (lost: Promise<GPUDeviceLostInfo> = new Promise(() => {})) => ({ lost }) as unknown as GPUDevice;
const reported = (message: string) => Promise.resolve({ message } as GPUError);

describe('GpuHealth', () => {
  it('passes work the GPU reported nothing of', async () => {
    const health = new GpuHealth(device());
    health.submitted(Promise.resolve(null), Promise.resolve(null));
    await expect(health.check()).resolves.toBeUndefined();
  });

  it('raises an out-of-memory report as a GpuMemoryError, before any validation error it caused', async () => {
    const health = new GpuHealth(device());
    health.submitted(reported('Not enough memory left'), reported('Buffer is invalid'));
    const error = await health.check().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GpuMemoryError);
    expect((error as Error).message).toBe('the GPU ran out of memory: Not enough memory left');
    // Reported once: the next check has nothing pending.
    await expect(health.check()).resolves.toBeUndefined();
  });

  it('raises a validation report as a GpuError, and a lost device as a DeviceLostError', async () => {
    const health = new GpuHealth(device());
    health.submitted(Promise.resolve(null), reported('Binding size too large'));
    const error = await health.check().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(GpuError);
    expect(error).not.toBeInstanceOf(GpuMemoryError);
    expect((error as Error).message).toBe('the GPU rejected submitted work: Binding size too large');
    const lost = new GpuHealth(device(Promise.resolve({ reason: 'destroyed', message: '' } as GPUDeviceLostInfo)));
    await new Promise((resolve) => setTimeout(resolve, 0));
    await expect(lost.check()).rejects.toThrow(DeviceLostError);
  });
});
