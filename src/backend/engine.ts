// The GPU device: owns the injected GPUDevice, the allocator (BufferPool), the program cache
// (KernelLibrary) and the dispatcher, and records every dispatch into one shared command
// encoder that is submitted only on readback or an explicit flush(). It knows nothing of ops
// or of the tape: nn/gpu-backend.ts runs ops on it.
import { BufferPool, type MemoryCounters } from './buffer-pool.ts';
import { KernelLibrary, type EntryPoints, type KernelSource } from './kernel-library.ts';
import { Dispatcher, type DispatchRequest, type RecordedDispatch } from './dispatch.ts';
import { Snapshot } from './readback.ts';
import { BufferUsage } from '../gpu-constants.ts';
import { Storage, Tensor } from './tensor.ts';
import { AelabError } from '../errors.ts';
import { GpuHealth } from './gpu-health.ts';
import { checkShape, formatShape, sizeOf, type Shape } from '../shapes.ts';
import { wgsl } from '#wgsl/backend';
import { elementwiseInvocations } from './elementwise.ts';
import { TuningTable } from '../tuning/table.ts';
import { probeSubgroups, type SubgroupSupport } from '../tuning/subgroups.ts';
import { sleepFirst, waitFor, type Expected, type WaitPolicy } from '../tuning/waits.ts';
import type { EngineOptions } from './engine-options.ts';
import type { AdapterTraits } from '../tuning/adapter-kind.ts';

export type { DispatchRequest, RecordedDispatch } from './dispatch.ts';
export { Snapshot } from './readback.ts';
export type { EngineOptions } from './engine-options.ts';

/** The device: an injected GPUDevice with one command encoder, a buffer pool, the kernel library, scopes for tensor lifetimes and reads back to the host. Ops encode their kernels on it. */
export class Engine {
  readonly kernels: KernelLibrary;
  readonly pool: BufferPool;
  readonly adapterDescription: string;
  readonly traits: AdapterTraits;
  /** The kernel variants chosen for this adapter (tuning/table.ts, tuning/tuner.ts). */
  readonly tuning: TuningTable = new TuningTable();
  /** How every wait for the GPU behaves (tuning/waits.ts). */
  readonly waits: WaitPolicy;
  poison: number | null;

  private readonly dispatcher: Dispatcher;
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly scopes: Set<Tensor>[] = [];
  private readonly health: GpuHealth;
  private liveTensorCount = 0;
  private submitCount = 0;

  private constructor(
    readonly device: GPUDevice,
    options: EngineOptions,
    subgroups: SubgroupSupport | null,
  ) {
    this.kernels = new KernelLibrary(device, { unrollLoops: options.unrollLoops ?? false, subgroups });
    this.health = new GpuHealth(device);
    this.pool = new BufferPool(device);
    this.poison = options.poison ?? null;
    this.waits = options.waits ?? sleepFirst;
    this.traits = options.traits ?? {
      description: options.adapterDescription ?? 'unknown adapter',
      fallback: false,
      wgpu: false,
      inProcess: true,
    };
    // Whether kernels shuffle within subgroups changes their speed, so it is part of what the
    // benchmarks report and what a tuning is kept under.
    this.adapterDescription = `${options.adapterDescription ?? 'unknown adapter'}${subgroups ? `, subgroups of ${subgroups.size}` : ''}`;
    this.dispatcher = new Dispatcher(device, this.kernels, () => this.computePass(), options.profile ?? false);
  }

  /**
   * Wraps an injected device and compiles the engine's own kernels and `options.kernels` once,
   * reporting a WGSL error with its file, line and column.
   */
  static async create(device: GPUDevice, options: EngineOptions = {}): Promise<Engine> {
    const subgroups = options.subgroups === false ? null : await probeSubgroups(device);
    const engine = new Engine(device, options, subgroups);
    for (const kernel of [...Object.values(wgsl), ...(options.kernels ?? [])]) await engine.kernels.check(kernel);
    return engine;
  }

  private storageFor(shape: Shape, label: string): Storage {
    return new Storage(this.pool.acquire(sizeOf(shape) * 4, `tensor ${label} ${formatShape(shape)}`));
  }

  /** A tensor whose contents are undefined (or the poison value): the caller writes all of it. */
  empty(shape: Shape, label = ''): Tensor {
    checkShape(shape, `tensor ${label}`);
    const tensor = new Tensor(this, [...shape], this.storageFor(shape, label), label);
    this.track(tensor);
    if (this.poison !== null) this.fillBuffer(tensor, this.poison);
    return tensor;
  }

  /**
   * A tensor of `shape` over the elements of `base` from `elementOffset` on: it shares base's
   * buffer, which outlives both until each is disposed. A view is bound at its offset, which
   * must be a multiple of the device's minStorageBufferOffsetAlignment (viewAlignment).
   */
  view(base: Tensor, elementOffset: number, shape: Shape, label = ''): Tensor {
    checkShape(shape, `view ${label}`);
    const byteOffset = base.byteOffset + elementOffset * 4;
    if (!Number.isInteger(elementOffset) || elementOffset < 0 || byteOffset % this.viewAlignment !== 0) {
      throw new AelabError(
        `view ${label}: element offset ${elementOffset} is not a multiple of ${this.viewAlignment / 4} elements (the device's storage offset alignment)`,
      );
    }
    // A view is bound with its quads' padding (elementwise.ts), which must lie inside base.
    if (elementOffset * 4 + BufferPool.roundedSize(sizeOf(shape) * 4) > BufferPool.roundedSize(base.size * 4)) {
      throw new AelabError(
        `view ${label}: ${formatShape(shape)} from element ${elementOffset} runs past the end of ${base}`,
      );
    }
    const tensor = new Tensor(this, [...shape], base.storage, label, byteOffset);
    this.track(tensor);
    return tensor;
  }

  /** Views start at multiples of this many bytes. */
  get viewAlignment(): number {
    return this.device.limits.minStorageBufferOffsetAlignment;
  }

  /**
   * Moves `tensor`'s elements into `base` from `elementOffset` on, as a view would see them:
   * copies them there (encoded) and makes that range the tensor's home. Its old buffer goes back
   * to the pool once no tensor uses it. The tensor keeps its identity, so a module holding a
   * parameter need not know that an optimiser gathered its parameters into one buffer.
   */
  moveInto(tensor: Tensor, base: Tensor, elementOffset: number): void {
    const slot = this.view(base, elementOffset, tensor.shape, tensor.label);
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(
      tensor.buffer,
      tensor.byteOffset,
      slot.buffer,
      slot.byteOffset,
      tensor.size * 4,
    );
    tensor.rehome(slot.storage, slot.byteOffset);
    slot.dispose();
  }

  /** Uploads host data. Pending work is submitted first, since queue writes are ordered before unsubmitted commands. */
  tensor(data: ArrayLike<number>, shape: Shape, label = ''): Tensor {
    checkShape(shape, `tensor ${label}`);
    if (data.length !== sizeOf(shape)) {
      throw new AelabError(
        `tensor ${label}: ${data.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} elements)`,
      );
    }
    const tensor = new Tensor(this, [...shape], this.storageFor(shape, label), label);
    this.track(tensor);
    // Under poison the data's padding (up to 3 floats past it, elementwise.ts) holds it too, so
    // a kernel that sums a quad without masking its padding fails its comparison.
    if (this.poison !== null) this.fillBuffer(tensor, this.poison);
    this.write(tensor, data);
    return tensor;
  }

  /** Overwrites a tensor's contents with host data. */
  write(tensor: Tensor, data: ArrayLike<number>): void {
    if (data.length !== tensor.size) throw new AelabError(`write: ${data.length} values for ${tensor}`);
    if (this.encoder) this.flush();
    const values = data instanceof Float32Array ? data : Float32Array.from(data);
    this.device.queue.writeBuffer(
      tensor.buffer,
      tensor.byteOffset,
      values.buffer,
      values.byteOffset,
      values.byteLength,
    );
  }

  /** A new tensor of `shape` with every element `value`. */
  full(shape: Shape, value: number, label = ''): Tensor {
    const tensor = this.empty(shape, label);
    this.fillBuffer(tensor, value);
    return tensor;
  }

  /** A new tensor of `shape` filled with zeros. */
  zeros(shape: Shape, label = ''): Tensor {
    return this.full(shape, 0, label);
  }

  /** Fills a tensor in place (encoded, not uploaded). */
  fillBuffer(tensor: Tensor, value: number): void {
    this.dispatch(wgsl.fill, 'fill', {
      bindings: { output: tensor },
      params: { count: tensor.size, value },
      invocations: elementwiseInvocations(tensor.size),
    });
  }

  /** Keeps `tensor` when the scope it was made in closes (a parameter, an optimiser's state). */
  keep(tensor: Tensor): void {
    tensor.kept = true;
    for (const scope of this.scopes) scope.delete(tensor);
  }

  /** Called by Tensor.dispose. */
  releaseTensor(tensor: Tensor, storage: Storage): void {
    for (const scope of this.scopes) scope.delete(tensor);
    this.liveTensorCount -= 1;
    this.releaseStorage(storage);
  }

  /**
   * A tensor no longer uses `storage`. With the last one gone its buffer goes back to the pool:
   * later commands may reuse it, earlier ones are unaffected since commands run in order.
   */
  releaseStorage(storage: Storage): void {
    storage.liveTensors -= 1;
    if (storage.liveTensors === 0) this.pool.release(storage.buffer);
  }

  private track(tensor: Tensor): void {
    this.liveTensorCount += 1;
    this.scopes[this.scopes.length - 1]?.add(tensor);
  }

  /**
   * Runs `body` and disposes every tensor it created, except those it returns (directly, or
   * in an array or plain object) and those marked kept. This is how a training step leaks
   * no GPU memory.
   */
  scope<R>(body: () => R): R {
    this.scopes.push(new Set());
    let result: R;
    try {
      result = body();
    } catch (error) {
      this.endScope(undefined);
      throw error;
    }
    this.endScope(result);
    return result;
  }

  /** scope() for an async body: the tensors it makes and does not keep or return are freed when it settles. */
  async scopeAsync<R>(body: () => Promise<R>): Promise<R> {
    this.scopes.push(new Set());
    let result: R;
    try {
      result = await body();
    } catch (error) {
      this.endScope(undefined);
      throw error;
    }
    this.endScope(result);
    return result;
  }

  private endScope(result: unknown): void {
    const created = this.scopes.pop()!;
    const survivors = new Set<Tensor>();
    collectTensors(result, survivors, 0);
    const parent = this.scopes[this.scopes.length - 1];
    for (const tensor of created) {
      if (survivors.has(tensor)) parent?.add(tensor);
      else tensor.dispose();
    }
  }

  /** The buffer pool's counters and the tensors alive now: what a leak test watches. */
  memory(): MemoryCounters & { liveTensors: number; uniformBuffers: number } {
    return {
      ...this.pool.counters(),
      liveTensors: this.liveTensorCount,
      uniformBuffers: this.dispatcher.uniformBufferCount,
    };
  }

  /** Kernel dispatches encoded and command buffers submitted so far. */
  statistics(): { dispatches: number; submits: number } {
    return { dispatches: this.dispatcher.dispatchCount, submits: this.submitCount };
  }

  /**
   * Encodes one dispatch of `kernel`'s entry point into the shared compute pass. The entry
   * point, its bindings and its uniform fields are checked by name against the kernel's
   * reflected declaration when the call is type-checked, and against the compiled WGSL here.
   */
  dispatch<E extends EntryPoints, N extends keyof E & string>(
    kernel: KernelSource<E>,
    entryPoint: N,
    request: DispatchRequest<E[N]>,
  ): void {
    this.dispatcher.dispatch(kernel, entryPoint, request as DispatchRequest);
  }

  /** Profile mode: the dispatches since the last call, one per entry point and shape, in the order first seen. */
  recordedDispatches(): RecordedDispatch[] {
    return this.dispatcher.recordedDispatches();
  }

  private commandEncoder(): GPUCommandEncoder {
    if (!this.encoder) {
      this.device.pushErrorScope('validation');
      this.device.pushErrorScope('out-of-memory');
      this.encoder = this.device.createCommandEncoder();
    }
    return this.encoder;
  }

  private computePass(): GPUComputePassEncoder {
    if (!this.pass) this.pass = this.commandEncoder().beginComputePass();
    return this.pass;
  }

  private endPass(): void {
    this.pass?.end();
    this.pass = null;
  }

  /** Submits everything encoded so far as one command buffer. */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    this.device.queue.submit([this.encoder.finish()]);
    this.encoder = null;
    this.submitCount += 1;
    this.health.submitted(this.device.popErrorScope(), this.device.popErrorScope());
    for (const buffer of this.dispatcher.retiredBuffers) buffer.destroy();
    this.dispatcher.retiredBuffers = [];
  }

  /** Copies a tensor to the host. */
  async read(tensor: Tensor): Promise<Float32Array> {
    return (await this.readAll([tensor]))[0]!;
  }

  /** Copies several tensors to the host with one submission and one wait. */
  async readAll(tensors: readonly Tensor[]): Promise<Float32Array[]> {
    return this.snapshot(tensors).values();
  }

  /**
   * Copies `tensors` as they stand at this point of the queue into a staging buffer, and
   * submits everything encoded so far. The Snapshot's values() waits for exactly that work:
   * whatever is submitted after the snapshot keeps the GPU busy meanwhile (fit() waits for
   * one chunk of steps while the next one runs).
   */
  snapshot(tensors: readonly Tensor[]): Snapshot {
    const byteLength = tensors.reduce((total, tensor) => total + tensor.size * 4, 0);
    const staging = this.device.createBuffer({
      size: Math.max(4, byteLength),
      usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
    });
    this.endPass();
    let offset = 0;
    for (const tensor of tensors) {
      this.commandEncoder().copyBufferToBuffer(tensor.buffer, tensor.byteOffset, staging, offset, tensor.size * 4);
      offset += tensor.size * 4;
    }
    this.flush();
    return new Snapshot(
      staging,
      tensors.map((tensor) => tensor.size),
      (afterFailure) => this.health.check(afterFailure),
      this.waits,
    );
  }

  /**
   * Waits for the GPU and raises any validation error it reported for submitted work. Given
   * how long the work is expected to take, the engine's wait policy may sleep through most of
   * it first (tuning/waits.ts).
   */
  async synchronize(expected: Expected = { milliseconds: 0 }): Promise<void> {
    this.flush();
    try {
      await waitFor(this.waits, expected, () => this.device.queue.onSubmittedWorkDone());
    } catch (error) {
      await this.health.check(true);
      throw error;
    }
    await this.health.check();
  }

  /** Whether the device is lost (see DeviceLostError). */
  get lost(): boolean {
    return this.health.lost;
  }
}

function collectTensors(value: unknown, into: Set<Tensor>, depth: number): void {
  if (value instanceof Tensor) {
    into.add(value);
  } else if (depth < 4 && Array.isArray(value)) {
    for (const item of value) collectTensors(item, into, depth + 1);
  } else if (
    depth < 4 &&
    value !== null &&
    typeof value === 'object' &&
    Object.getPrototypeOf(value) === Object.prototype
  ) {
    for (const item of Object.values(value)) collectTensors(item, into, depth + 1);
  }
}
