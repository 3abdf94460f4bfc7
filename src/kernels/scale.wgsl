// output = factor * input. Also the copy and negation used by add's and subtract's backward.
struct Params { count: u32, factor: f32 }

// Elementwise kernels take ELEMENTS elements per invocation (index, index + invocations, ...):
// on lavapipe that doubles to triples their bandwidth over one element per invocation.
const ELEMENTS: u32 = 8u;

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;

@compute @workgroup_size(64)
fn scale(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  let invocations = groups.x * groups.y * 64u;
  for (var element = 0u; element < ELEMENTS; element++) {
    let index = invocation + element * invocations;
    if (index < params.count) {
      output[index] = params.factor * input[index];
    }
  }
}
