// output[i] = input[i]: the engine's bandwidth ceiling probe (bench/). It moves vec4s, as the
// elementwise kernels do (elementwise.ts), 4 of them (16 floats) per invocation; `count` is in
// floats, and the last quad may copy up to 3 floats of padding.
struct Params { count: u32 }

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

const QUADS: u32 = 4u;

@compute @workgroup_size(64)
fn copy(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  // Each pass of the loop covers a contiguous block, so neighbouring lanes touch neighbouring quads.
  let total = groups.x * groups.y * 64u;
  for (var quad = 0u; quad < QUADS; quad++) {
    let index = invocation + quad * total;
    if (index < (params.count + 3u) / 4u) {
      output[index] = input[index];
    }
  }
}
