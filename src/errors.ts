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
