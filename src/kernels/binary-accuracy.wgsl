// Keras' binary accuracy, elementwise: 1 where the target equals the prediction thresholded
// at 0.5 (prediction > 0.5 -> 1, else 0), else 0. Each of the `invocations` writes how many
// of its ELEMENTS elements match (as the losses do), and sum.wgsl takes the mean.
// With continuous targets (pixel values) only targets of exactly 0 or 1 can ever match.
struct Params { count: u32, invocations: u32 }

// Elementwise kernels take ELEMENTS elements per invocation (index, index + invocations, ...):
// on lavapipe that doubles to triples their bandwidth over one element per invocation.
const ELEMENTS: u32 = 8u;

@group(0) @binding(0) var<storage, read> prediction: array<f32>;
@group(0) @binding(1) var<storage, read> expected: array<f32>;
@group(0) @binding(2) var<storage, read_write> matches: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  if (invocation >= params.invocations) {
    return;
  }
  var total = 0.0;
  for (var element = 0u; element < ELEMENTS; element++) {
    let index = invocation + element * params.invocations;
    if (index < params.count) {
      let predicted = select(0.0, 1.0, prediction[index] > 0.5);
      total += select(0.0, 1.0, expected[index] == predicted);
    }
  }
  matches[invocation] = total;
}
