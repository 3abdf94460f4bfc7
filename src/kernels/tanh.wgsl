// tanh(x). The argument is clamped to +-15 (where tanh is 1 in float32) because some
// drivers return NaN from tanh for large |x|.
struct Params { count: u32 }

// Elementwise kernels take ELEMENTS elements per invocation (index, index + invocations, ...):
// on lavapipe that doubles to triples their bandwidth over one element per invocation.
const ELEMENTS: u32 = 8u;

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradInput: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  let invocations = groups.x * groups.y * 64u;
  for (var element = 0u; element < ELEMENTS; element++) {
    let index = invocation + element * invocations;
    if (index < params.count) {
      output[index] = tanh(clamp(input[index], -15.0, 15.0));
    }
  }
}

// d tanh / dx = 1 - y^2, with y the forward output.
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  let invocations = groups.x * groups.y * 64u;
  for (var element = 0u; element < ELEMENTS; element++) {
    let index = invocation + element * invocations;
    if (index < params.count) {
      let y = output[index];
      gradInput[index] = gradOutput[index] * (1.0 - y * y);
    }
  }
}
