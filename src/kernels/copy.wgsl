// output[i] = input[i]: the engine's bandwidth ceiling probe (bench/), 4 floats per invocation.
struct Params { count: u32 }

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn copy(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  // Each pass of the loop covers a contiguous block, so neighbouring lanes touch neighbouring floats.
  let total = groups.x * groups.y * 64u;
  for (var chunk = 0u; chunk < 4u; chunk++) {
    let index = invocation + chunk * total;
    if (index < params.count) {
      output[index] = input[index];
    }
  }
}
