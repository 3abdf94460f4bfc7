// Subgroup shuffles, where the device has them. A kernel calls shuffleFromLane(value, lane) to
// take `value` from another lane of its subgroup (conv2d: the lanes of a group need the same
// weights, so each loads a few and takes the rest from its neighbours). On lavapipe that
// replaces a storage load costing about nine multiply-adds (each lane loads on its own, with a
// bounds check) by one register permute.
//
// What the kernels assume, and the probe below checks before the engine allows it: subgroups
// of one fixed size, a multiple of 8, made of consecutive local invocations (lane i of a
// subgroup is local invocation index i modulo the size). Where a device breaks any of that,
// or has no subgroups (wgpu in Deno today), kernels keep their own loads: the helper still
// compiles, and the host never specialises SUBGROUP_SHUFFLES = 1 there.
import { BufferUsage, MapMode } from '../gpu-constants.ts';

/** What the kernels may assume: a fixed subgroup size, a multiple of 8. */
export interface SubgroupSupport {
  readonly size: number;
}

const PROBE_WORKGROUP = 64;
/** Groups of this many lanes share loads (conv2d/prelude.wgsl's LANES). */
const GROUP_LANES = 8;

/** Whether `device` has subgroups the kernels can use, checked by running a kernel on it. */
export async function probeSubgroups(device: GPUDevice): Promise<SubgroupSupport | null> {
  if (!device.features.has('subgroups')) return null;
  const info = (device as { adapterInfo?: { subgroupMinSize?: number; subgroupMaxSize?: number } }).adapterInfo;
  const size = info?.subgroupMinSize;
  if (!size || size !== info?.subgroupMaxSize || size % GROUP_LANES !== 0 || size > PROBE_WORKGROUP) return null;
  // Each invocation writes its subgroup lane, the subgroup size, and what a shuffle from lane
  // 3 of its group of 8 returns; all three must match the layout the kernels assume.
  const module = device.createShaderModule({
    label: 'subgroup probe',
    code: `enable subgroups;
@group(0) @binding(0) var<storage, read_write> seen: array<u32>;
@compute @workgroup_size(${PROBE_WORKGROUP})
fn main(@builtin(local_invocation_index) local: u32, @builtin(subgroup_invocation_id) lane: u32, @builtin(subgroup_size) size: u32) {
  let shuffled = subgroupShuffle(local, (lane & ~${GROUP_LANES - 1}u) + 3u);
  seen[3u * local] = lane;
  seen[3u * local + 1u] = size;
  seen[3u * local + 2u] = shuffled;
}`,
  });
  const pipeline = await device.createComputePipelineAsync({ layout: 'auto', compute: { module, entryPoint: 'main' } });
  const bytes = 3 * PROBE_WORKGROUP * 4;
  const output = device.createBuffer({
    label: 'subgroup probe',
    size: bytes,
    usage: BufferUsage.STORAGE | BufferUsage.COPY_SRC,
  });
  const readback = device.createBuffer({
    label: 'subgroup probe readback',
    size: bytes,
    usage: BufferUsage.MAP_READ | BufferUsage.COPY_DST,
  });
  const encoder = device.createCommandEncoder();
  const pass = encoder.beginComputePass();
  pass.setPipeline(pipeline);
  pass.setBindGroup(
    0,
    device.createBindGroup({
      layout: pipeline.getBindGroupLayout(0),
      entries: [{ binding: 0, resource: { buffer: output } }],
    }),
  );
  pass.dispatchWorkgroups(1);
  pass.end();
  encoder.copyBufferToBuffer(output, 0, readback, 0, bytes);
  device.queue.submit([encoder.finish()]);
  await readback.mapAsync(MapMode.READ);
  const seen = new Uint32Array(readback.getMappedRange().slice(0));
  readback.unmap();
  readback.destroy();
  output.destroy();
  for (let local = 0; local < PROBE_WORKGROUP; local++) {
    const [lane, reportedSize, shuffled] = [seen[3 * local], seen[3 * local + 1], seen[3 * local + 2]];
    if (lane !== local % size || reportedSize !== size || shuffled !== local - (local % GROUP_LANES) + 3) return null;
  }
  return { size };
}

/**
 * The text to compile for a kernel that calls shuffleFromLane: with subgroups, the directives
 * they need go on the first line (so compile errors keep the source's line numbers) and the
 * helper wraps subgroupShuffle; without, the helper returns its own value, and the host must
 * not take a path that calls it (SUBGROUP_SHUFFLES stays 0). Other kernels pass unchanged.
 */
export function withSubgroupHelpers(source: string, support: SubgroupSupport | null): string {
  if (!/\bshuffleFromLane\(/.test(source)) return source;
  // Subgroup uniformity: a kernel's lanes return early in groups of 8 (out-of-range tiles), so
  // every lane that shuffles is active with the lanes it reads from; WGSL's analysis cannot see
  // that.
  return support
    ? `enable subgroups; diagnostic(off, subgroup_uniformity); ${source}\nfn shuffleFromLane(value: f32, lane: u32) -> f32 { return subgroupShuffle(value, lane); }\n`
    : `${source}\nfn shuffleFromLane(value: f32, lane: u32) -> f32 { return value; }\n`;
}
