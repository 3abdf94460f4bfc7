// Encoding one dispatch: the compiled entry point (KernelLibrary), a bind group of the tensors
// bound by their WGSL names, the uniform params packed at their reflected offsets, and the
// workgroup grid. Uniform buffers are immutable and cached by content, bind groups by their
// buffers, so a repeated shape costs no allocation.
import { BufferPool } from './buffer-pool.ts';
import {
  packUniform,
  type CompiledEntryPoint,
  type KernelLibrary,
  type KernelSource,
  type OverrideConstants,
  type Specialization,
  type EntryPointNames,
} from './kernel-library.ts';
import { BufferUsage } from '../gpu-constants.ts';
import { Tensor } from './tensor.ts';
import { AelabError } from '../errors.ts';

/**
 * One dispatch of an entry point whose names are `N` (from the kernel's reflected declaration:
 * every binding and every uniform field, no other).
 */
export interface DispatchRequest<N extends EntryPointNames = EntryPointNames> {
  /** Storage buffers by their WGSL variable name. */
  readonly bindings: Readonly<Record<N['bindings'], Tensor | GPUBuffer>>;
  /** Values of the entry point's uniform struct, by field name. */
  readonly params?: Readonly<Record<N['params'], number>>;
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
  /** Values for the kernel's tile-size `const`s (see specialize in kernel-library.ts). */
  readonly specialization?: Specialization;
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

/** WebGPU's guaranteed minimum for maxComputeWorkgroupsPerDimension. */
const MAX_WORKGROUPS_PER_DIMENSION = 65535;
const UNIFORM_CACHE_LIMIT = 4096;
const BIND_GROUP_CACHE_LIMIT = 8192;

export class Dispatcher {
  dispatchCount = 0;
  /** Uniform buffers dropped from the cache: commands already encoded may still use them, so they are destroyed after the next submit. */
  retiredBuffers: GPUBuffer[] = [];
  private readonly uniformBuffers = new Map<string, GPUBuffer>();
  private readonly bindGroups = new Map<string, GPUBindGroup>();
  private readonly bufferIds = new WeakMap<GPUBuffer, number>();
  private nextBufferId = 1;
  private readonly recorded = new Map<
    string,
    { label: string; shape: string; dispatches: number; encode: () => void }
  >();

  constructor(
    private readonly device: GPUDevice,
    private readonly kernels: KernelLibrary,
    private readonly computePass: () => GPUComputePassEncoder,
    private readonly profiling: boolean,
  ) {}

  get uniformBufferCount(): number {
    return this.uniformBuffers.size;
  }

  dispatch(kernel: KernelSource, entryPoint: string, request: DispatchRequest): void {
    const compiled = this.kernels.entryPoint(
      kernel.name,
      kernel.source,
      entryPoint,
      request.constants,
      request.specialization,
    );
    const bindGroup = this.bindGroup(compiled, request);
    const [x, y, z] = this.workgroupCounts(compiled, request);
    if (x === 0 || y === 0 || z === 0) return;
    if (this.profiling)
      this.record(compiled, bindGroup, [x, y, z], dispatchShape(request, compiled.workgroupSize, [x, y, z]));
    this.encode(compiled, bindGroup, [x, y, z]);
  }

  private encode(
    compiled: CompiledEntryPoint,
    bindGroup: GPUBindGroup,
    [x, y, z]: readonly [number, number, number],
  ): void {
    const pass = this.computePass();
    pass.setPipeline(compiled.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.dispatchCount += 1;
  }

  /**
   * Profile mode: notes the dispatch under its entry point and shape. The work runs as it
   * would without profiling; the benchmark then times each recorded dispatch on its own
   * (tuning/measure.ts: profileDispatches). Submitting each dispatch on its own and timing it
   * to its completion does not work: Node only sees a completion once the JavaScript that
   * encodes the step yields, so every dispatch that finished meanwhile would be booked to the
   * first one waited for.
   */
  private record(
    compiled: CompiledEntryPoint,
    bindGroup: GPUBindGroup,
    workgroups: readonly [number, number, number],
    shape: string,
  ): void {
    const key = `${compiled.label}\n${shape}`;
    const entry = this.recorded.get(key);
    if (entry) {
      entry.dispatches += 1;
      return;
    }
    this.recorded.set(key, {
      label: compiled.label,
      shape,
      dispatches: 1,
      encode: () => this.encode(compiled, bindGroup, workgroups),
    });
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
        throw new AelabError(
          `${compiled.label}: ${x}x${y}x${z} workgroups exceed ${MAX_WORKGROUPS_PER_DIMENSION} per dimension`,
        );
      }
      return [x, y, z];
    }
    let groups = request.groups;
    if (groups === undefined) {
      if (request.invocations === undefined)
        throw new AelabError(`${compiled.label}: a dispatch needs invocations, groups or workgroups`);
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
      const [buffer, offset, size] =
        resource instanceof Tensor
          ? [resource.buffer, resource.byteOffset, BufferPool.roundedSize(resource.size * 4)]
          : [resource, 0, resource.size];
      // Robust access may clamp an index past the end to one inside: a kernel writing vec4s to a
      // buffer with a partial last one would silently overwrite a real element (elementwise.ts).
      if (size % binding.elementBytes !== 0) {
        throw new AelabError(
          `${compiled.label}: '${binding.name}' reads ${binding.elementBytes}-byte elements, but its buffer has ${size} bytes, not a whole number of them`,
        );
      }
      entries.push({ binding: binding.binding, resource: { buffer, offset, size } });
      keyParts.push(`${this.bufferId(buffer)}@${offset}+${size}`);
    }
    for (const name of Object.keys(request.bindings)) {
      if (!compiled.storage.some((binding) => binding.name === name)) {
        throw new AelabError(
          `${compiled.label}: the kernel has no storage binding '${name}' (it has: ${compiled.storage.map((b) => b.name).join(', ')})`,
        );
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
        this.retiredBuffers.push(...this.uniformBuffers.values());
        this.uniformBuffers.clear();
        this.bindGroups.clear();
      }
      buffer = this.device.createBuffer({
        label: `${compiled.label} params`,
        size: bytes.byteLength,
        usage: BufferUsage.UNIFORM,
        mappedAtCreation: true,
      });
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
}

/** A dispatch's uniform params and kernel variant as text, for the profile (RecordedDispatch.shape). */
function dispatchShape(
  request: DispatchRequest,
  workgroupSize: readonly number[],
  workgroups: readonly number[],
): string {
  const pairs = (values: Readonly<Record<string, number>> | undefined) =>
    Object.entries(values ?? {})
      .map(([name, value]) => `${name}=${value}`)
      .join(' ');
  const variant = pairs(request.specialization);
  // The grid says how the work spreads: a CPU adapter runs one workgroup per thread at a time.
  const grid = `${workgroups.join('x')} workgroups of ${workgroupSize.join('x')}`;
  return [pairs(request.params), variant, grid].filter((part) => part !== '').join(' | ');
}
