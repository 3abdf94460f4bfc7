// Binary cross-entropy from logits x, stable for any x:
//   loss = max(x, 0) - x t + log(1 + exp(-abs(x)))   (= BCE of sigmoid(x), without overflow)
// d loss / dx = sigmoid(x) - t.
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
      let x = prediction[index];
      total += max(x, 0.0) - x * expected[index] + log(1.0 + exp(-abs(x)));
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
      let x = prediction[index];
      let e = exp(-abs(x));
      let probability = select(e / (1.0 + e), 1.0 / (1.0 + e), x >= 0.0);
      gradPrediction[index] = g * (probability - expected[index]);
    }
  }
}
