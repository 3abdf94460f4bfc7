// The program layer: WGSL is written once, and everything the host needs to call it (the
// bind-group layout, which buffers are read-only, the byte offset of each uniform field,
// the workgroup size) is derived from the source with wgsl_reflect. Pipelines are cached
// by source text, entry point and override constants. What is compiled is the source with
// its tile sizes specialised, its subgroup helper defined (subgroups.ts) and, on wgpu, its
// constant-count loops unrolled (unroll.ts); WGSL errors are reported against the source as
// written, which check() compiles at start-up.
// @ts-types="wgsl_reflect/types/index.d.ts"
import { WgslReflect, ResourceType, type StructInfo } from 'wgsl_reflect/wgsl_reflect.module.js';
import { AelabError, ShaderCompileError } from '../errors.ts';
import { ShaderStage } from '../gpu-constants.ts';
import type { SubgroupSupport } from '../tuning/subgroups.ts';
import { compiledText, preparedText, sourceLocation, type Specialization } from './kernel-text.ts';

export { sourceLocation, specialize, type Specialization } from './kernel-text.ts';

/** One entry point's names, as the type checker sees them: its storage bindings and uniform fields. */
export interface EntryPointNames {
  readonly bindings: string;
  readonly params: string;
}

/** A kernel's entry points by name. Untyped (any name) where the WGSL was not reflected at build time. */
export type EntryPoints = Readonly<Record<string, EntryPointNames>>;

/**
 * A kernel's WGSL, as the embedding step assembled it (scripts/embed-wgsl.mjs): the op's name,
 * the text, and the files its lines come from, in order, so that an error names the file and
 * line as written. `E` names its entry points, bindings and uniform fields (the generated
 * wgsl.d.ts), so that engine.dispatch refuses a misnamed one when it is type-checked; at run
 * time the same names are reflected from the WGSL and checked again.
 */
export interface KernelSource<E extends EntryPoints = EntryPoints> {
  readonly name: string;
  readonly source: string;
  readonly parts: readonly { readonly path: string; readonly line: number; readonly lines: number }[];
  /** Only a type: the entry points' names (never set at run time). */
  readonly entryPoints?: E;
}

/** The uniform values entry point `N` of kernel `K` takes, by field name: `ParamsOf<typeof wgsl.add, 'add'>`. */
export type ParamsOf<K, N extends string> =
  K extends KernelSource<infer E> ? (N extends keyof E ? Readonly<Record<E[N]['params'], number>> : never) : never;

/**
 * A kernel from WGSL written outside the project's kernel folders (a user's own op): errors
 * name `path` with the line and column, as they do for the project's kernels.
 */
export function kernelSource(name: string, source: string, path = `${name}.wgsl`): KernelSource {
  return { name, source, parts: [{ path, line: 1, lines: source.split('\n').length }] };
}

export type BindingKind = 'uniform' | 'storage' | 'read-only-storage';

export interface StorageBinding {
  readonly name: string;
  readonly binding: number;
  readonly kind: BindingKind;
  /** Bytes per element of its array (16 for array<vec4f>): a bound buffer must hold whole elements. */
  readonly elementBytes: number;
}

export interface UniformField {
  readonly offset: number;
  readonly type: 'f32' | 'u32' | 'i32';
}

export interface UniformLayout {
  readonly name: string;
  readonly binding: number;
  readonly byteSize: number;
  readonly fields: ReadonlyMap<string, UniformField>;
}

export interface CompiledEntryPoint {
  /** Unique key: kernel name, entry point and override constants. */
  readonly key: string;
  readonly label: string;
  readonly pipeline: GPUComputePipeline;
  readonly layout: GPUBindGroupLayout;
  readonly storage: readonly StorageBinding[];
  readonly uniform: UniformLayout | null;
  readonly workgroupSize: readonly [number, number, number];
}

/** What a pipeline was compiled from: `aelab kernels --show` prints it (kernel-text.ts). */
export interface CompiledVariant {
  readonly label: string;
  readonly name: string;
  readonly entryPoint: string;
  readonly baseSource: string;
  readonly specialization: Specialization;
  /** The exact WGSL compiled. */
  readonly code: string;
}

interface ReflectedModule {
  readonly module: GPUShaderModule;
  readonly reflection: WgslReflect;
}

export type OverrideConstants = Readonly<Record<string, number>>;

export interface KernelLibraryOptions {
  /** Unroll constant-count loops before compiling (wgpu: see unroll.ts). */
  readonly unrollLoops: boolean;
  /** Subgroups the kernels may shuffle within, or null (see subgroups.ts). */
  readonly subgroups: SubgroupSupport | null;
}

export class KernelLibrary {
  private readonly modules = new Map<string, ReflectedModule>();
  private readonly entryPoints = new Map<string, CompiledEntryPoint>();
  /** A number per base source text, for the entry points' cache keys (see entryPoint). */
  private readonly sourceNumbers = new Map<string, number>();
  private readonly checkedSources = new Set<string>();
  /** Every pipeline compiled so far, in order, and what from. */
  readonly compiled: CompiledVariant[] = [];

  constructor(
    private readonly device: GPUDevice,
    private readonly options: KernelLibraryOptions = { unrollLoops: false, subgroups: null },
  ) {}

  /**
   * Compiles a kernel and throws a ShaderCompileError that names the file, line and column
   * (as written, before the embedding step joined the files) if the WGSL does not compile.
   * Run once per kernel at engine start-up, since pipeline creation itself can only report
   * errors asynchronously.
   */
  async check(kernel: KernelSource): Promise<void> {
    const { name, source } = kernel;
    const module = this.device.createShaderModule({
      label: name,
      code: compiledText(source, this.options.subgroups),
    });
    const info = await module.getCompilationInfo();
    const errors = info.messages.filter((message) => message.type === 'error');
    if (errors.length > 0) {
      const lines = source.split('\n');
      const details = errors.map((message) => {
        const line = lines[message.lineNum - 1] ?? '';
        return `${sourceLocation(kernel, message.lineNum)}:${message.linePos}: ${message.message}\n    ${line}\n    ${' '.repeat(Math.max(0, message.linePos - 1))}^`;
      });
      throw new ShaderCompileError(`kernel '${name}' failed to compile:\n${details.join('\n')}`);
    }
    this.reflect(name, source, module);
    this.checkedSources.add(source);
  }

  /**
   * A 32-bit FNV-1a hash of `salt` and every source check() compiled, in hex: what a saved
   * tuning is valid for (timings of other kernels' sources would mislead).
   */
  sourcesVersion(salt: string): string {
    let hash = 0x811c9dc5;
    for (const text of [salt, ...[...this.checkedSources].sort()]) {
      for (let i = 0; i < text.length; i++) {
        hash ^= text.charCodeAt(i);
        hash = Math.imul(hash, 0x01000193) >>> 0;
      }
    }
    return hash.toString(16).padStart(8, '0');
  }

  /** How many pipelines (entry point, constants and specialisation) have been compiled so far. */
  get pipelineCount(): number {
    return this.entryPoints.size;
  }

  /** Whether every kernel's constant-count loops are unrolled before compiling (unroll.ts). */
  get unrollsLoops(): boolean {
    return this.options.unrollLoops;
  }

  /** Subgroups the kernels may shuffle within (null: none; SUBGROUP_SHUFFLES must stay 0). */
  get subgroups(): SubgroupSupport | null {
    return this.options.subgroups;
  }

  entryPoint(
    name: string,
    baseSource: string,
    entryPoint: string,
    constants: OverrideConstants = {},
    specialization: Specialization = {},
  ): CompiledEntryPoint {
    const describe = (values: Readonly<Record<string, number>>) =>
      Object.keys(values)
        .sort()
        .map((key) => `${key}=${values[key]}`)
        .join(',');
    // Cached by source, not by name alone: another text under the same name (a variant a
    // benchmark compares, say) is compiled as what it is. The number stands for the text in
    // the key; a string's hash is computed once, so the lookup stays cheap per dispatch.
    let sourceNumber = this.sourceNumbers.get(baseSource);
    if (sourceNumber === undefined) this.sourceNumbers.set(baseSource, (sourceNumber = this.sourceNumbers.size));
    const key = `${name}#${sourceNumber}:${entryPoint}:${describe(constants)}:${describe(specialization)}`;
    const cached = this.entryPoints.get(key);
    if (cached) return cached;

    // The text reflected (specialised, and unrolled where asked: kernel-text.ts); with the
    // subgroup helper defined, the text compiled.
    const source = preparedText(name, baseSource, entryPoint, specialization, this.options);
    const { module, reflection } = this.reflect(name, source);
    const entry = reflection.entry.compute.find((candidate) => candidate.name === entryPoint);
    if (!entry) {
      const available = reflection.entry.compute.map((candidate) => candidate.name).join(', ');
      throw new AelabError(`kernel '${name}' has no compute entry point '${entryPoint}' (it has: ${available})`);
    }

    const storage: StorageBinding[] = [];
    let uniform: UniformLayout | null = null;
    for (const resource of entry.resources) {
      if (resource.group !== 0)
        throw new AelabError(
          `kernel '${name}': only @group(0) is supported, '${resource.name}' is in group ${resource.group}`,
        );
      if (resource.resourceType === ResourceType.Uniform) {
        if (uniform) throw new AelabError(`kernel '${name}.${entryPoint}': at most one uniform struct per entry point`);
        const fields = new Map<string, UniformField>();
        for (const member of (resource.type as StructInfo).members ?? []) {
          const type = member.type.name;
          if (type !== 'f32' && type !== 'u32' && type !== 'i32') {
            throw new AelabError(
              `kernel '${name}': uniform field '${member.name}' has type ${type}; only f32, u32 and i32 scalars are supported`,
            );
          }
          fields.set(member.name, { offset: member.offset, type });
        }
        uniform = {
          name: resource.name,
          binding: resource.binding,
          byteSize: Math.max(16, Math.ceil(resource.type.size / 16) * 16),
          fields,
        };
      } else if (resource.resourceType === ResourceType.Storage) {
        // An array's stride; WebGPU sizes buffers in 4-byte words anyway.
        const elementBytes = (resource.type as { stride?: number }).stride ?? 4;
        storage.push({
          name: resource.name,
          binding: resource.binding,
          kind: resource.access === 'read' ? 'read-only-storage' : 'storage',
          elementBytes,
        });
      } else {
        throw new AelabError(`kernel '${name}': resource '${resource.name}' is neither a storage buffer nor a uniform`);
      }
    }

    const entries: GPUBindGroupLayoutEntry[] = storage.map((binding) => ({
      binding: binding.binding,
      visibility: ShaderStage.COMPUTE,
      buffer: { type: binding.kind as GPUBufferBindingType },
    }));
    if (uniform)
      entries.push({ binding: uniform.binding, visibility: ShaderStage.COMPUTE, buffer: { type: 'uniform' } });
    entries.sort((a, b) => a.binding - b.binding);

    const label = `${name}.${entryPoint}`;
    const layout = this.device.createBindGroupLayout({ label, entries });
    const pipeline = this.device.createComputePipeline({
      label,
      layout: this.device.createPipelineLayout({ label, bindGroupLayouts: [layout] }),
      compute: { module, entryPoint, constants: { ...constants } },
    });
    const size = entry.workgroupSize ?? [1, 1, 1];
    const compiled: CompiledEntryPoint = {
      key,
      label,
      pipeline,
      layout,
      storage,
      uniform,
      workgroupSize: [constants['WORKGROUP_SIZE'] ?? size[0] ?? 1, size[1] ?? 1, size[2] ?? 1],
    };
    this.entryPoints.set(key, compiled);
    const subgroups = this.options.subgroups;
    this.compiled.push({
      label,
      name,
      entryPoint,
      baseSource,
      specialization,
      // Worked out when asked (aelab kernels --show): kept, it would be a second copy of every
      // compiled text, the unrolled ones among them a megabyte each.
      get code() {
        return compiledText(source, subgroups);
      },
    });
    return compiled;
  }

  private reflect(name: string, source: string, existing?: GPUShaderModule): ReflectedModule {
    let reflected = this.modules.get(source);
    if (!reflected) {
      let reflection: WgslReflect;
      try {
        reflection = new WgslReflect(source);
      } catch (error) {
        // Dawn compiled it, but the reflection parser (which derives the layouts) did not.
        throw new ShaderCompileError(`kernel '${name}': wgsl_reflect could not parse it: ${(error as Error).message}`);
      }
      reflected = {
        module:
          existing ??
          this.device.createShaderModule({ label: name, code: compiledText(source, this.options.subgroups) }),
        reflection,
      };
      this.modules.set(source, reflected);
    }
    return reflected;
  }
}

/** Packs named uniform values into the struct's bytes at the offsets reflected from WGSL. */
export function packUniform(
  layout: UniformLayout,
  values: Readonly<Record<string, number>>,
  label: string,
): ArrayBuffer {
  const bytes = new ArrayBuffer(layout.byteSize);
  const view = new DataView(bytes);
  for (const [fieldName, field] of layout.fields) {
    const value = values[fieldName];
    if (value === undefined) throw new AelabError(`${label}: missing uniform value '${fieldName}'`);
    if (field.type === 'f32') view.setFloat32(field.offset, value, true);
    else if (field.type === 'u32') {
      if (!Number.isInteger(value) || value < 0)
        throw new AelabError(`${label}: uniform '${fieldName}' is u32 but got ${value}`);
      view.setUint32(field.offset, value, true);
    } else {
      if (!Number.isInteger(value)) throw new AelabError(`${label}: uniform '${fieldName}' is i32 but got ${value}`);
      view.setInt32(field.offset, value, true);
    }
  }
  for (const valueName of Object.keys(values)) {
    if (!layout.fields.has(valueName)) throw new AelabError(`${label}: uniform struct has no field '${valueName}'`);
  }
  return bytes;
}
