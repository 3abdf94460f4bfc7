// The allocator: storage buffers are recycled by exact byte size. A training loop asks for
// the same shapes every step, so after the first step every request is a hit and no GPU
// memory is created or destroyed.
import { BufferUsage } from '../gpu-constants.ts';
import { GpuMemoryError } from '../errors.ts';

const STORAGE_USAGE = BufferUsage.STORAGE | BufferUsage.COPY_SRC | BufferUsage.COPY_DST;

export interface MemoryCounters {
  /** Buffers handed out and not yet released. */
  liveBuffers: number;
  liveBytes: number;
  /** Released buffers kept for reuse. */
  pooledBuffers: number;
  pooledBytes: number;
}

const megabytes = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;

export class BufferPool {
  private readonly free = new Map<number, GPUBuffer[]>();
  private live = 0;
  private liveBytes = 0;
  private pooled = 0;
  private pooledBytes = 0;

  /** The largest storage buffer the device takes, and binds whole to a kernel. */
  private readonly largest: number;

  constructor(private readonly device: GPUDevice) {
    this.largest = Math.min(device.limits.maxBufferSize, device.limits.maxStorageBufferBindingSize);
  }

  /** Storage buffers are sized in whole 16-byte steps (WebGPU needs multiples of 4; 16 keeps vec4 loads legal). */
  static roundedSize(byteLength: number): number {
    return Math.max(16, Math.ceil(byteLength / 16) * 16);
  }

  /** A buffer of `byteLength` bytes for `what` (named in the error when the device has no buffer that large). */
  acquire(byteLength: number, what = 'a buffer'): GPUBuffer {
    const size = BufferPool.roundedSize(byteLength);
    // Checked here: WebGPU would hand back an invalid buffer and report it later, elsewhere.
    if (size > this.largest)
      throw new GpuMemoryError(
        `${what} needs ${megabytes(size)}, more than this GPU gives one buffer (${megabytes(this.largest)})`,
      );
    const reusable = this.free.get(size)?.pop();
    this.live += 1;
    this.liveBytes += size;
    if (reusable) {
      this.pooled -= 1;
      this.pooledBytes -= size;
      return reusable;
    }
    return this.device.createBuffer({ size, usage: STORAGE_USAGE });
  }

  release(buffer: GPUBuffer): void {
    const size = buffer.size;
    this.live -= 1;
    this.liveBytes -= size;
    this.pooled += 1;
    this.pooledBytes += size;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(buffer);
  }

  /** Destroys every pooled buffer. Only safe once the GPU has finished work that used them. */
  trim(): void {
    for (const list of this.free.values()) for (const buffer of list) buffer.destroy();
    this.free.clear();
    this.pooled = 0;
    this.pooledBytes = 0;
  }

  counters(): MemoryCounters {
    return {
      liveBuffers: this.live,
      liveBytes: this.liveBytes,
      pooledBuffers: this.pooled,
      pooledBytes: this.pooledBytes,
    };
  }
}
