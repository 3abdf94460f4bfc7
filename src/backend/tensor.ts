// A float32 tensor in GPU memory, NCHW for images. It owns one pooled buffer until
// dispose() returns the buffer to the engine's pool.
import type { Engine } from './engine.ts';
import type { TapeNode, TapeTensor } from '../nn/autograd.ts';
import { DisposedTensorError } from '../errors.ts';
import { formatShape, sizeOf, type Shape } from '../kernels/shapes.ts';

let nextTensorId = 1;

export class Tensor implements TapeTensor<Tensor> {
  readonly id = nextTensorId++;
  readonly size: number;
  requiresGrad = false;
  grad: Tensor | null = null;
  node: TapeNode<Tensor> | null = null;
  logits: Tensor | null = null;
  /** Kept tensors outlive the scope that created them (parameters, optimiser state). */
  kept = false;
  private gpuBuffer: GPUBuffer | null;

  constructor(readonly backend: Engine, readonly shape: Shape, buffer: GPUBuffer, readonly label = '') {
    this.size = sizeOf(shape);
    this.gpuBuffer = buffer;
  }

  get engine(): Engine {
    return this.backend;
  }

  get buffer(): GPUBuffer {
    if (!this.gpuBuffer) {
      throw new DisposedTensorError(`tensor ${this.label || '#' + this.id} ${formatShape(this.shape)} was used after it was disposed`);
    }
    return this.gpuBuffer;
  }

  get isDisposed(): boolean {
    return this.gpuBuffer === null;
  }

  /** Copies the data back to the host (flushes pending GPU work first). */
  read(): Promise<Float32Array> {
    return this.backend.read(this);
  }

  /** Excludes this tensor from every scope: it lives until dispose(). */
  keep(): this {
    this.backend.keep(this);
    return this;
  }

  dispose(): void {
    if (!this.gpuBuffer) return;
    const buffer = this.gpuBuffer;
    this.gpuBuffer = null;
    this.grad?.dispose();
    this.grad = null;
    this.node = null;
    this.logits = null;
    this.backend.releaseTensor(this, buffer);
  }

  toString(): string {
    return `Tensor${formatShape(this.shape)}${this.label ? ` '${this.label}'` : ''}`;
  }
}
