// The one place that finds a GPU. Everything else receives the GPUDevice (through an
// Engine) and never reads navigator.gpu itself. createEngine (kernels/registry.ts) uses it.
//   Browser, Deno: navigator.gpu (Deno needs --unstable-webgpu).
//   Node: Dawn, from the `webgpu` package (loaded only in Node).
import { NoAdapterError } from '../errors.ts';
import type { AdapterTraits } from '../tuning/adapter-kind.ts';

export interface AcquiredDevice {
  readonly device: GPUDevice;
  /** Vendor, architecture and description as the adapter reports them. */
  readonly adapterDescription: string;
  /** What the engine's defaults are chosen by (tuning/adapter-kind.ts). */
  readonly traits: AdapterTraits;
}

/** The JavaScript runtime this runs in, which decides where the GPU comes from. */
export function runtimeName(): 'deno' | 'node' | 'browser' {
  if ('Deno' in globalThis) return 'deno';
  const process = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return process?.versions?.node ? 'node' : 'browser';
}

async function findGpu(): Promise<GPU | undefined> {
  const fromNavigator = (globalThis as { navigator?: { gpu?: GPU } }).navigator?.gpu;
  if (fromNavigator) return fromNavigator;
  if (runtimeName() === 'node') return nodeGpu();
  return undefined;
}

/** The npm package that brings Dawn to Node. A variable, so that no bundler pulls it into a browser build. */
const DAWN_PACKAGE = 'webgpu';
/**
 * Dawn's GPU object. It must stay referenced for the life of the process (if it is collected,
 * a pending mapAsync kills the process): module scope guarantees that.
 */
let dawn: GPU | null = null;

export async function nodeGpu(): Promise<GPU> {
  if (!dawn) {
    const { create } = (await import(/* @vite-ignore */ DAWN_PACKAGE)) as { create(options: string[]): GPU };
    dawn = create([]);
  }
  return dawn;
}

/** A WebGPU device: navigator.gpu in Deno and browsers, Dawn (the webgpu package) in Node; throws NoAdapterError without one. */
export async function acquireDevice(): Promise<AcquiredDevice> {
  const gpu = await findGpu();
  if (!gpu) {
    const hint = runtimeName() === 'deno' ? ' (run Deno with --unstable-webgpu)' : '';
    throw new NoAdapterError(`WebGPU is not available in this ${runtimeName()} runtime${hint}`);
  }
  const adapter = await gpu.requestAdapter();
  if (!adapter) {
    throw new NoAdapterError(
      'no WebGPU adapter was found (on Linux without a GPU, install Mesa lavapipe: scripts/install-system.sh)',
    );
  }
  if (runtimeName() === 'deno' && looksLikeWgpuOpenGl(adapter.features) && !allowOpenGl()) {
    throw new NoAdapterError(
      "Deno's WebGPU found no Vulkan driver and fell back to OpenGL, where aelab's kernels do not compile " +
        '(on Linux without a GPU, install Mesa lavapipe: scripts/install-system.sh, or apt install mesa-vulkan-drivers; ' +
        'check VK_ICD_FILENAMES). AELAB_ALLOW_OPENGL=1 tries anyway',
    );
  }
  const info = adapter.info;
  const adapterDescription =
    [info?.vendor, info?.architecture, info?.device, info?.description].filter((part) => part).join(' / ') ||
    'unnamed adapter';
  const device = await adapter.requestDevice({
    // Kernels shuffle between lanes where the adapter has subgroups (tuning/subgroups.ts).
    requiredFeatures: adapter.features.has('subgroups') ? ['subgroups' as GPUFeatureName] : [],
    requiredLimits: {
      maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
      maxBufferSize: adapter.limits.maxBufferSize,
    },
  });
  // isFallbackAdapter moved from the adapter into its info; either may be missing.
  const fallback = Boolean(
    (info as { isFallbackAdapter?: boolean } | undefined)?.isFallbackAdapter ??
    (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter,
  );
  const traits = {
    description: adapterDescription,
    fallback,
    wgpu: webgpuIsWgpu(),
    inProcess: runtimeName() !== 'browser',
  };
  return { device, adapterDescription: `${adapterDescription} (${runtimeName()})`, traits };
}

/**
 * wgpu's OpenGL ES backend, which Deno falls back to without a Vulkan driver: it has the
 * texture compressions OpenGL ES requires (ETC2, ASTC) and lacks what Vulkan drivers offer
 * (bgra8unorm storage, f16 in shaders). On lavapipe, Deno 2's adapter has exactly this
 * difference with Vulkan missing (VK_ICD_FILENAMES pointing nowhere) and without it.
 */
export function looksLikeWgpuOpenGl(features: ReadonlySet<string>): boolean {
  return (
    features.has('texture-compression-etc2') &&
    features.has('texture-compression-astc') &&
    !features.has('bgra8unorm-storage') &&
    !features.has('shader-f16')
  );
}

function allowOpenGl(): boolean {
  const deno = (globalThis as { Deno?: { env: { get(name: string): string | undefined } } }).Deno;
  return deno?.env.get('AELAB_ALLOW_OPENGL') === '1';
}

/**
 * Whether this runtime's WebGPU is wgpu (Deno's, and Firefox's). Its shader translator
 * guards every loop with an iteration counter, so the driver no longer sees a constant trip
 * count and unrolls nothing: a register tile indexed in a loop then lives in memory. The
 * engine unrolls those loops itself there (EngineOptions.unrollLoops).
 */
export function webgpuIsWgpu(): boolean {
  const userAgent = (globalThis as { navigator?: { userAgent?: string } }).navigator?.userAgent ?? '';
  return runtimeName() === 'deno' || /\bFirefox\//.test(userAgent);
}
