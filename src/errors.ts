/** Base class of every error aelab raises on purpose, so callers can tell ours from a crash. */
export class AelabError extends Error {
  override name = 'AelabError';
}

/** Bad shapes or attributes, raised before anything is dispatched to the GPU. */
export class ShapeError extends AelabError {
  override name = 'ShapeError';
}

/** A WGSL kernel failed to compile: the message names the kernel, line and column. */
export class ShaderCompileError extends AelabError {
  override name = 'ShaderCompileError';
}

/** A tensor was used after `dispose()` (or after the scope that owned it ended). */
export class DisposedTensorError extends AelabError {
  override name = 'DisposedTensorError';
}

/** No WebGPU adapter could be obtained in this runtime. */
export class NoAdapterError extends AelabError {
  override name = 'NoAdapterError';
}

/** The GPU reported a validation or out-of-memory error for work already submitted. */
export class GpuError extends AelabError {
  override name = 'GpuError';
}

/**
 * More memory than the GPU gives: one tensor over its largest buffer, or the device out of
 * memory. The message names the size; a smaller batch is the usual way out.
 */
export class GpuMemoryError extends GpuError {
  override name = 'GpuMemoryError';
}

/**
 * The GPU device was lost (a driver reset, a crashed GPU process, memory pressure, or
 * destroy()): nothing submitted since ran, and no later work will.
 */
export class DeviceLostError extends GpuError {
  override name = 'DeviceLostError';
}

/** An example index outside its set: the message names the index and the set's size. */
export class IndexError extends AelabError {
  override name = 'IndexError';
}

/** Throws IndexError for the first of `indices` that is not an integer in [0, count). */
export function requireIndices(indices: ArrayLike<number>, count: number, what: string): void {
  for (let i = 0; i < indices.length; i++) {
    const index = indices[i]!;
    if (!Number.isInteger(index) || index < 0 || index >= count) {
      throw new IndexError(`${what}: index ${index} is out of range for a set of ${count} (valid: 0 to ${count - 1})`);
    }
  }
}
