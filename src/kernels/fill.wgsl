// output[i] = value. Used for constants, zero-initialised state and the tests' poison fill.
struct Params { count: u32, value: f32 }

@group(0) @binding(0) var<storage, read_write> output: array<f32>;
@group(0) @binding(1) var<uniform> params: Params;

@compute @workgroup_size(64)
fn fill(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  if (index < params.count) {
    output[index] = params.value;
  }
}
