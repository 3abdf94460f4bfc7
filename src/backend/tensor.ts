// A float32 tensor in GPU memory, NCHW for images. Its elements are a range of a storage
// buffer: a whole pooled buffer of its own, or (a view) a slice of another tensor's buffer at
// an aligned offset. The buffer goes back to the engine's pool when the last tensor on it is
// disposed, so a view keeps its buffer alive and disposing a view never frees the buffer.
import type { Engine } from './engine.ts';
import type { TapeNode } from '../nn/autograd.ts';
import { DisposedTensorError } from '../errors.ts';
import { formatShape, sizeOf, type Shape } from '../shapes.ts';

let nextTensorId = 1;

/** A GPU buffer and how many live tensors use it. */
export class Storage {
  liveTensors = 0;
  constructor(readonly buffer: GPUBuffer) {}
}

/**
 * The tape's fields (requiresGrad, grad, node) live here, as on a micrograd Value, so that a
 * tensor is all a model holds; nn/autograd.ts is what reads and writes them.
 */
export class Tensor {
  readonly id = nextTensorId++;
  readonly size: number;
  requiresGrad = false;
  grad: Tensor | null = null;
  node: TapeNode<Tensor> | null = null;
  /** Kept tensors outlive the scope that created them (parameters, optimiser state). */
  kept = false;
  private home: Storage | null;
  private offset: number;

  constructor(
    readonly engine: Engine,
    readonly shape: Shape,
    storage: Storage,
    readonly label = '',
    byteOffset = 0,
  ) {
    this.size = sizeOf(shape);
    this.home = storage;
    this.offset = byteOffset;
    storage.liveTensors += 1;
  }

  get storage(): Storage {
    if (!this.home) {
      throw new DisposedTensorError(
        `tensor ${this.label || '#' + this.id} ${formatShape(this.shape)} was used after it was disposed`,
      );
    }
    return this.home;
  }

  get buffer(): GPUBuffer {
    return this.storage.buffer;
  }

  /** Where the elements start in the buffer. */
  get byteOffset(): number {
    return this.offset;
  }

  get isDisposed(): boolean {
    return this.home === null;
  }

  /** Copies the data back to the host (flushes pending GPU work first). */
  read(): Promise<Float32Array> {
    return this.engine.read(this);
  }

  /** Excludes this tensor from every scope: it lives until dispose(). */
  keep(): this {
    this.engine.keep(this);
    return this;
  }

  /** Moves the elements' home to `storage` at `byteOffset` (Engine.moveInto copies them there first). */
  rehome(storage: Storage, byteOffset: number): void {
    const previous = this.storage;
    storage.liveTensors += 1;
    this.home = storage;
    this.offset = byteOffset;
    this.engine.releaseStorage(previous);
  }

  /** Frees the tensor's storage (back to the pool); using it afterwards throws DisposedTensorError. */
  dispose(): void {
    if (!this.home) return;
    const storage = this.home;
    this.home = null;
    this.grad?.dispose();
    this.grad = null;
    this.node = null;
    this.engine.releaseTensor(this, storage);
  }

  /** Its shape and label, for messages. */
  toString(): string {
    return `Tensor${formatShape(this.shape)}${this.label ? ` '${this.label}'` : ''}`;
  }
}
