// Mean absolute error: loss = abs(p - t).
// d loss / dp = sign(p - t). Tie rule: the gradient at p = t exactly is 0 (WGSL's sign(0) = 0).
// Both entry points take the elements invocation, invocation + invocations, ... for each of
// `invocations` invocations. The mean over all elements is taken by the host: each invocation
// of `loss` writes the sum of its ELEMENTS losses, which sum.wgsl reduces (an eighth of the
// stores, and of the loads for the sum, that per-element losses took). `gradient` multiplies
// by scale = 1 / count and by dL/dmean = gradOutput[0].
struct Params { count: u32, scale: f32, invocations: u32 }

// Elementwise kernels take ELEMENTS elements per invocation (index, index + invocations, ...):
// on lavapipe that doubles to triples their bandwidth over one element per invocation.
const ELEMENTS: u32 = 8u;

@group(0) @binding(0) var<storage, read> prediction: array<f32>;
@group(0) @binding(1) var<storage, read> expected: array<f32>;
@group(0) @binding(2) var<storage, read_write> losses: array<f32>;
@group(0) @binding(3) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(4) var<storage, read_write> gradPrediction: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(64)
fn loss(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  if (invocation >= params.invocations) {
    return;
  }
  var total = 0.0;
  for (var element = 0u; element < ELEMENTS; element++) {
    let index = invocation + element * params.invocations;
    if (index < params.count) {
      total += abs(prediction[index] - expected[index]);
    }
  }
  losses[invocation] = total;
}

@compute @workgroup_size(64)
fn gradient(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  if (invocation >= params.invocations) {
    return;
  }
  for (var element = 0u; element < ELEMENTS; element++) {
    let index = invocation + element * params.invocations;
    if (index < params.count) {
      let g = gradOutput[0] * params.scale;
      gradPrediction[index] = g * sign(prediction[index] - expected[index]);
    }
  }
}
