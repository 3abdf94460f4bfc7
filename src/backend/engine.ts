// The GPU device: owns the injected GPUDevice, the allocator (BufferPool) and the program
// cache (KernelLibrary), and records every op's dispatches into one shared command encoder
// that is submitted only on readback or an explicit flush().
import { BufferPool, type MemoryCounters } from './buffer-pool.ts';
import { KernelLibrary, packUniform, type CompiledEntryPoint, type OverrideConstants, type Specialization } from './kernel-library.ts';
import { BufferUsage, MapMode } from './gpu-constants.ts';
import { Storage, Tensor } from './tensor.ts';
import { AelabError, GpuError } from '../errors.ts';
import { checkShape, formatShape, sizeOf, requireSameShape, type Shape } from '../kernels/shapes.ts';
import { wgslFileNames, wgslSources, type KernelFile } from '../kernels/wgsl.generated.ts';
import type { Op } from '../kernels/op.ts';
import type { BackwardContext, TapeBackend } from '../nn/autograd.ts';
import { elementwiseInvocations } from '../kernels/elementwise.ts';
import { TuningTable } from './tuning.ts';
import { probeSubgroups, type SubgroupSupport } from './subgroups.ts';

export interface EngineOptions {
  /**
   * Debugging aid used by the tests: when set, every tensor the engine hands out is first
   * filled with this value, so a kernel that leaves an output element unwritten fails
   * its comparison instead of passing on stale data.
   */
  poison?: number | null;
  /** A description of the adapter, reported by benchmarks. */
  adapterDescription?: string;
  /** Records each dispatch's entry point, shape and bindings, to be timed on its own later: see recordedDispatches(). */
  profile?: boolean;
  /**
   * Unroll the kernels' constant-count loops before compiling them (unroll.ts). For WebGPU
   * implementations whose shader translator keeps the driver from unrolling them (wgpu, in
   * Deno and Firefox: createEngine sets it there); elsewhere the driver unrolls them itself
   * and compiles the loops faster than their unrolled text (SwiftShader took minutes).
   */
  unrollLoops?: boolean;
  /**
   * Let kernels shuffle values between the lanes of a subgroup where the device allows it
   * (subgroups.ts: probed at creation). Default true; false keeps every kernel on its own
   * loads (the tests compare the two).
   */
  subgroups?: boolean;
}

/** One op application seen by recordOpCalls: what the tuner needs to replay it on fresh tensors. */
export interface OpCall {
  readonly op: Op<unknown>;
  readonly inputShapes: readonly Shape[];
  readonly attributes: unknown;
  /** Per input: whether the tape will ask for its gradient. */
  readonly needsGradient: readonly boolean[];
}

/** A dispatch recorded in profile mode: one per entry point and shape, with how often it ran. */
export interface RecordedDispatch {
  readonly label: string;
  /**
   * The dispatch's uniform params, kernel variant and grid ("batch=32 inChannels=3 ... | TILE_Y=8
   * ..."): a training step runs one entry point at several shapes, and this tells them apart.
   */
  readonly shape: string;
  /** How many times the work dispatched it since the last call to recordedDispatches(). */
  readonly dispatches: number;
  /**
   * Encodes it once more, with the same pipeline, bindings and grid: to time it on its own.
   * Its buffers must still exist (a pooled one does; not after pool.trim()).
   */
  readonly encode: () => void;
}


export interface DispatchRequest {
  /** Storage buffers by their WGSL variable name. */
  readonly bindings: Readonly<Record<string, Tensor | GPUBuffer>>;
  /** Values of the entry point's uniform struct, by field name. */
  readonly params?: Readonly<Record<string, number>>;
  /** For 1-D kernels: the number of invocations, spread over a 2-D grid when it exceeds one dimension. */
  readonly invocations?: number;
  /**
   * Or a 1-D count of workgroups, spread over a 2-D grid the same way (the kernel computes
   * its workgroup index as workgroup_id.x + workgroup_id.y * num_workgroups.x).
   */
  readonly groups?: number;
  /** Or the workgroup counts themselves. */
  readonly workgroups?: readonly [number, number?, number?];
  readonly constants?: OverrideConstants;
  /** Values for the kernel's tile-size `const`s (see KernelLibrary.specialize). */
  readonly specialization?: Specialization;
}

/** WebGPU's guaranteed minimum for maxComputeWorkgroupsPerDimension. */
const MAX_WORKGROUPS_PER_DIMENSION = 65535;
const UNIFORM_CACHE_LIMIT = 4096;
const BIND_GROUP_CACHE_LIMIT = 8192;

export class Engine implements TapeBackend<Tensor> {
  readonly kernels: KernelLibrary;
  readonly pool: BufferPool;
  readonly adapterDescription: string;
  /** The kernel variants chosen for this adapter (see tuning.ts and tuner.ts). */
  readonly tuning = new TuningTable();
  poison: number | null;

  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private readonly uniformBuffers = new Map<string, GPUBuffer>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private readonly scopes: Set<Tensor>[] = [];
  private readonly pendingErrors: Promise<GPUError | null>[] = [];
  private retiredBuffers: GPUBuffer[] = [];
  private liveTensorCount = 0;
  private dispatchCount = 0;
  private submitCount = 0;
  private readonly profiling: boolean;
  private readonly recorded = new Map<string, { label: string; shape: string; dispatches: number; encode: () => void }>();
  private recordedCalls: OpCall[] | null = null;

  private constructor(readonly device: GPUDevice, options: EngineOptions, subgroups: SubgroupSupport | null) {
    this.kernels = new KernelLibrary(device, { unrollLoops: options.unrollLoops ?? false, subgroups });
    this.pool = new BufferPool(device);
    this.poison = options.poison ?? null;
    // Whether kernels shuffle within subgroups changes their speed, so it is part of what the
    // benchmarks report and what a tuning is kept under.
    this.adapterDescription = `${options.adapterDescription ?? 'unknown adapter'}${subgroups ? `, subgroups of ${subgroups.size}` : ''}`;
    this.profiling = options.profile ?? false;
  }

  /** Wraps an injected device and compiles every kernel once, reporting WGSL errors with line and column. */
  static async create(device: GPUDevice, options: EngineOptions = {}): Promise<Engine> {
    const subgroups = options.subgroups === false ? null : await probeSubgroups(device);
    const engine = new Engine(device, options, subgroups);
    for (const [name, source] of Object.entries(wgslSources)) {
      await engine.kernels.check(name, source, wgslFileNames[name as KernelFile]);
    }
    return engine;
  }

  // ---------------------------------------------------------------- tensors

  /** A tensor whose contents are undefined (or the poison value): the caller writes all of it. */
  empty(shape: Shape, label = ''): Tensor {
    checkShape(shape, `tensor ${label}`);
    const tensor = new Tensor(this, [...shape], new Storage(this.pool.acquire(sizeOf(shape) * 4)), label);
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
      throw new AelabError(`view ${label}: element offset ${elementOffset} is not a multiple of ${this.viewAlignment / 4} elements (the device's storage offset alignment)`);
    }
    // A view is bound with its quads' padding (elementwise.ts), which must lie inside base.
    if (elementOffset * 4 + BufferPool.roundedSize(sizeOf(shape) * 4) > BufferPool.roundedSize(base.size * 4)) {
      throw new AelabError(`view ${label}: ${formatShape(shape)} from element ${elementOffset} runs past the end of ${base}`);
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
    this.commandEncoder().copyBufferToBuffer(tensor.buffer, tensor.byteOffset, slot.buffer, slot.byteOffset, tensor.size * 4);
    tensor.rehome(slot.storage, slot.byteOffset);
    slot.dispose();
  }

  /** Uploads host data. Pending work is submitted first, since queue writes are ordered before unsubmitted commands. */
  tensor(data: ArrayLike<number>, shape: Shape, label = ''): Tensor {
    checkShape(shape, `tensor ${label}`);
    if (data.length !== sizeOf(shape)) {
      throw new AelabError(`tensor ${label}: ${data.length} values do not fill shape ${formatShape(shape)} (${sizeOf(shape)} elements)`);
    }
    const tensor = new Tensor(this, [...shape], new Storage(this.pool.acquire(sizeOf(shape) * 4)), label);
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
    this.device.queue.writeBuffer(tensor.buffer, tensor.byteOffset, values.buffer, values.byteOffset, values.byteLength);
  }

  full(shape: Shape, value: number, label = ''): Tensor {
    const tensor = this.empty(shape, label);
    this.fillBuffer(tensor, value);
    return tensor;
  }

  zeros(shape: Shape, label = ''): Tensor {
    return this.full(shape, 0, label);
  }

  /** Fills a tensor in place (encoded, not uploaded). */
  fillBuffer(tensor: Tensor, value: number): void {
    this.dispatch('fill', 'fill', { bindings: { output: tensor }, params: { count: tensor.size, value }, invocations: elementwiseInvocations(tensor.size) });
  }

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
    storage.tensors -= 1;
    if (storage.tensors === 0) this.pool.release(storage.buffer);
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

  memory(): MemoryCounters & { liveTensors: number; uniformBuffers: number } {
    return { ...this.pool.counters(), liveTensors: this.liveTensorCount, uniformBuffers: this.uniformBuffers.size };
  }

  statistics(): { dispatches: number; submits: number } {
    return { dispatches: this.dispatchCount, submits: this.submitCount };
  }

  // ---------------------------------------------------------------- autograd backend

  forward<A>(op: Op<A>, inputs: readonly Tensor[], attributes: A): Tensor {
    const required = op.inputNames.filter((name) => !name.endsWith('?')).length;
    if (inputs.length < required || inputs.length > op.inputNames.length) {
      throw new AelabError(`${op.name}: expected inputs (${op.inputNames.join(', ')}), got ${inputs.length}`);
    }
    for (const input of inputs) void input.buffer; // throws DisposedTensorError before anything is encoded
    const outputShape = op.outputShape(inputs.map((input) => input.shape), attributes);
    this.recordedCalls?.push({
      op: op as Op<unknown>, attributes, inputShapes: inputs.map((input) => input.shape),
      needsGradient: inputs.map((input, i) => input.requiresGrad && op.differentiable[i] === true),
    });
    const output = this.empty(outputShape, op.name);
    op.forward(this, inputs, attributes, output);
    return output;
  }

  backward<A>(op: Op<A>, context: BackwardContext<Tensor, A>): (Tensor | null)[] {
    return op.backward(this, context);
  }

  /** Runs `encode` (which encodes work as usual) and returns every op application in it. */
  recordOpCalls(encode: () => void): OpCall[] {
    const previous = this.recordedCalls;
    const calls: OpCall[] = [];
    this.recordedCalls = calls;
    try {
      encode();
    } finally {
      this.recordedCalls = previous;
    }
    return calls;
  }

  accumulate(into: Tensor, addend: Tensor): void {
    requireSameShape(into.shape, addend.shape, 'accumulate');
    this.dispatch('add', 'accumulate', { bindings: { accumulator: into, addend }, params: { count: into.size }, invocations: elementwiseInvocations(into.size) });
  }

  // ---------------------------------------------------------------- dispatch

  dispatch(kernel: KernelFile, entryPoint: string, request: DispatchRequest): void {
    const compiled = this.kernels.entryPoint(kernel, wgslSources[kernel], entryPoint, request.constants, request.specialization);
    const bindGroup = this.bindGroup(compiled, request);
    const [x, y, z] = this.workgroupCounts(compiled, request);
    if (x === 0 || y === 0 || z === 0) return;
    if (this.profiling) this.record(compiled, bindGroup, [x, y, z], dispatchShape(request, compiled.workgroupSize, [x, y, z]));
    this.encodeDispatch(compiled, bindGroup, [x, y, z]);
  }

  private encodeDispatch(compiled: CompiledEntryPoint, bindGroup: GPUBindGroup, [x, y, z]: readonly [number, number, number]): void {
    const pass = this.computePass();
    pass.setPipeline(compiled.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.dispatchCount += 1;
  }

  /**
   * Profile mode: notes the dispatch under its entry point and shape. The work runs as it
   * would without profiling; the benchmark then times each recorded dispatch on its own
   * (measure.ts: profileDispatches). The profile used to submit each dispatch on its own and
   * time it to its completion, but Node only sees a completion once the JavaScript that
   * encodes the step yields: every dispatch that finished meanwhile was booked to the first
   * one waited for. The notebook step's first conv came out at 6-11 ms there, 2.6-4.6 ms
   * timed on its own.
   */
  private record(compiled: CompiledEntryPoint, bindGroup: GPUBindGroup, workgroups: readonly [number, number, number], shape: string): void {
    const key = `${compiled.label}\n${shape}`;
    const entry = this.recorded.get(key);
    if (entry) {
      entry.dispatches += 1;
      return;
    }
    this.recorded.set(key, { label: compiled.label, shape, dispatches: 1, encode: () => this.encodeDispatch(compiled, bindGroup, workgroups) });
  }

  /** Profile mode: the dispatches since the last call, one per entry point and shape, in the order first seen. */
  recordedDispatches(): RecordedDispatch[] {
    const dispatches = [...this.recorded.values()];
    this.recorded.clear();
    return dispatches;
  }

  private workgroupCounts(compiled: CompiledEntryPoint, request: DispatchRequest): [number, number, number] {
    if (request.workgroups) {
      const [x, y = 1, z = 1] = request.workgroups;
      if (x > MAX_WORKGROUPS_PER_DIMENSION || y > MAX_WORKGROUPS_PER_DIMENSION || z > MAX_WORKGROUPS_PER_DIMENSION) {
        throw new AelabError(`${compiled.label}: ${x}x${y}x${z} workgroups exceed ${MAX_WORKGROUPS_PER_DIMENSION} per dimension`);
      }
      return [x, y, z];
    }
    let groups = request.groups;
    if (groups === undefined) {
      if (request.invocations === undefined) throw new AelabError(`${compiled.label}: a dispatch needs invocations, groups or workgroups`);
      groups = Math.ceil(request.invocations / compiled.workgroupSize[0]);
    }
    if (groups <= MAX_WORKGROUPS_PER_DIMENSION) return [groups, 1, 1];
    // Kernels compute their linear index as id.x + id.y * num_workgroups.x * WORKGROUP_SIZE.
    const rows = Math.ceil(groups / MAX_WORKGROUPS_PER_DIMENSION);
    return [Math.ceil(groups / rows), rows, 1];
  }

  private bindGroup(compiled: CompiledEntryPoint, request: DispatchRequest): GPUBindGroup {
    const entries: GPUBindGroupEntry[] = [];
    const keyParts: (string | number)[] = [compiled.key];
    for (const binding of compiled.storage) {
      const resource = request.bindings[binding.name];
      if (!resource) throw new AelabError(`${compiled.label}: no buffer bound to '${binding.name}'`);
      // A tensor is bound as its elements and their quads' padding (a pooled buffer's whole size,
      // or a view's range of its base).
      const [buffer, offset, size] = resource instanceof Tensor
        ? [resource.buffer, resource.byteOffset, BufferPool.roundedSize(resource.size * 4)]
        : [resource, 0, resource.size];
      // Robust access may clamp an index past the end to one inside: a kernel writing vec4s to a
      // buffer with a partial last one would silently overwrite a real element (elementwise.ts).
      if (size % binding.elementBytes !== 0) {
        throw new AelabError(`${compiled.label}: '${binding.name}' reads ${binding.elementBytes}-byte elements, but its buffer has ${size} bytes, not a whole number of them`);
      }
      entries.push({ binding: binding.binding, resource: { buffer, offset, size } });
      keyParts.push(`${this.bufferId(buffer)}@${offset}+${size}`);
    }
    for (const name of Object.keys(request.bindings)) {
      if (!compiled.storage.some((binding) => binding.name === name)) {
        throw new AelabError(`${compiled.label}: the kernel has no storage binding '${name}' (it has: ${compiled.storage.map((b) => b.name).join(', ')})`);
      }
    }
    if (compiled.uniform) {
      const uniformBuffer = this.uniformBuffer(compiled, request.params ?? {});
      entries.push({ binding: compiled.uniform.binding, resource: { buffer: uniformBuffer } });
      keyParts.push(this.bufferId(uniformBuffer));
    } else if (request.params && Object.keys(request.params).length > 0) {
      throw new AelabError(`${compiled.label}: the kernel has no uniform struct, but params were given`);
    }
    const key = keyParts.join('|');
    let bindGroup = this.bindGroups.get(key);
    if (!bindGroup) {
      if (this.bindGroups.size >= BIND_GROUP_CACHE_LIMIT) this.bindGroups.clear();
      bindGroup = this.device.createBindGroup({ label: compiled.label, layout: compiled.layout, entries });
      this.bindGroups.set(key, bindGroup);
    }
    return bindGroup;
  }

  /** Uniform buffers are immutable and cached by content, so re-running a shape re-uses its buffer and bind group. */
  private uniformBuffer(compiled: CompiledEntryPoint, params: Readonly<Record<string, number>>): GPUBuffer {
    const bytes = packUniform(compiled.uniform!, params, compiled.label);
    const key = `${compiled.key}|${Array.from(new Uint32Array(bytes)).join(',')}`;
    let buffer = this.uniformBuffers.get(key);
    if (!buffer) {
      if (this.uniformBuffers.size >= UNIFORM_CACHE_LIMIT) {
        // Commands already encoded may still use them: destroy only after the next submit.
        this.retiredBuffers.push(...this.uniformBuffers.values());
        this.uniformBuffers.clear();
        this.bindGroups.clear();
      }
      buffer = this.device.createBuffer({ label: `${compiled.label} params`, size: bytes.byteLength, usage: BufferUsage.UNIFORM, mappedAtCreation: true });
      new Uint8Array(buffer.getMappedRange()).set(new Uint8Array(bytes));
      buffer.unmap();
      this.uniformBuffers.set(key, buffer);
    }
    return buffer;
  }

  private bufferId(buffer: GPUBuffer): number {
    let id = this.bufferIds.get(buffer);
    if (id === undefined) this.bufferIds.set(buffer, (id = this.nextBufferId++));
    return id;
  }

  private commandEncoder(): GPUCommandEncoder {
    if (!this.encoder) {
      this.device.pushErrorScope('validation');
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
    this.pendingErrors.push(this.device.popErrorScope());
    for (const buffer of this.retiredBuffers) buffer.destroy();
    this.retiredBuffers = [];
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
    const staging = this.device.createBuffer({ size: Math.max(4, byteLength), usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST });
    this.endPass();
    let offset = 0;
    for (const tensor of tensors) {
      this.commandEncoder().copyBufferToBuffer(tensor.buffer, tensor.byteOffset, staging, offset, tensor.size * 4);
      offset += tensor.size * 4;
    }
    this.flush();
    return new Snapshot(staging, tensors.map((tensor) => tensor.size), () => this.checkErrors());
  }

  /**
   * Waits for the GPU and raises any validation error it reported for submitted work.
   * Dawn (Node) spins a CPU core while a completion promise is pending, which on a CPU
   * adapter takes that core from the GPU work itself; given the expected duration, the
   * wait sleeps through most of it before asking.
   */
  async synchronize(expectedMilliseconds = 0): Promise<void> {
    this.flush();
    if (expectedMilliseconds > 2) await new Promise((resolve) => setTimeout(resolve, expectedMilliseconds * 0.85));
    await this.device.queue.onSubmittedWorkDone();
    await this.checkErrors();
  }

  private async checkErrors(): Promise<void> {
    const pending = this.pendingErrors.splice(0);
    const errors = (await Promise.all(pending)).filter((error): error is GPUError => error !== null);
    if (errors.length > 0) throw new GpuError(`the GPU rejected submitted work: ${errors.map((error) => error.message).join('; ')}`);
  }
}

/** Tensors copied at one point of the queue (Engine.snapshot), to be mapped once. */
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

function collectTensors(value: unknown, into: Set<Tensor>, depth: number): void {
  if (value instanceof Tensor) {
    into.add(value);
  } else if (depth < 4 && Array.isArray(value)) {
    for (const item of value) collectTensors(item, into, depth + 1);
  } else if (depth < 4 && value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype) {
    for (const item of Object.values(value)) collectTensors(item, into, depth + 1);
  }
}

/** A dispatch's uniform params and kernel variant as text, for the profile (RecordedDispatch.shape). */
function dispatchShape(request: DispatchRequest, workgroupSize: readonly number[], workgroups: readonly number[]): string {
  const pairs = (values: Readonly<Record<string, number>> | undefined) =>
    Object.entries(values ?? {}).map(([name, value]) => `${name}=${value}`).join(' ');
  const variant = pairs(request.specialization);
  // The grid says how the work spreads: a CPU adapter runs one workgroup per thread at a time.
  const grid = `${workgroups.join('x')} workgroups of ${workgroupSize.join('x')}`;
  return [pairs(request.params), variant, grid].filter((part) => part !== '').join(' | ');
}
