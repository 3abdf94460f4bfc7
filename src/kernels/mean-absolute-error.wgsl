// Mean absolute error: loss = abs(p - t).
// d loss / dp = sign(p - t). Tie rule: the gradient at p = t exactly is 0 (WGSL's sign(0) = 0).
// Both entry points take the quads invocation, invocation + invocations, ... for each of
// `invocations` invocations. The mean over all elements is taken by the host: each invocation
// of `loss` writes the sum of its 8 losses, which sum.wgsl reduces (an eighth of the
// stores, and of the loads for the sum, that per-element losses took). `gradient` multiplies
// by scale = 1 / count and by dL/dmean = gradOutput[0].
struct Params { count: u32, scale: f32, invocations: u32 }

// Elementwise kernels take QUADS vec4s (8 elements) per invocation: quad, quad + invocations,
// ... (elementwise.ts says why, and where the last quad's padding goes).
const QUADS: u32 = 2u;

@group(0) @binding(0) var<storage, read> prediction: array<vec4f>;
@group(0) @binding(1) var<storage, read> expected: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> losses: array<f32>;
@group(0) @binding(3) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(4) var<storage, read_write> gradPrediction: array<vec4f>;
@group(0) @binding(5) var<uniform> params: Params;

/** The sum of a quad's elements that lie before `count`: the last quad's others are padding. */
fn sumBeforeCount(values: vec4f, quad: u32) -> f32 {
  let inside = vec4u(quad * 4u) + vec4u(0u, 1u, 2u, 3u) < vec4u(params.count);
  return dot(select(vec4f(0.0), values, inside), vec4f(1.0));
}

@compute @workgroup_size(64)
fn loss(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  if (invocation >= params.invocations) {
    return;
  }
  var total = 0.0;
  for (var quad = 0u; quad < QUADS; quad++) {
    let index = invocation + quad * params.invocations;
    if (index < (params.count + 3u) / 4u) {
      total += sumBeforeCount(abs(prediction[index] - expected[index]), index);
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
  for (var quad = 0u; quad < QUADS; quad++) {
    let index = invocation + quad * params.invocations;
    if (index < (params.count + 3u) / 4u) {
      let g = gradOutput[0] * params.scale;
      gradPrediction[index] = g * sign(prediction[index] - expected[index]);
    }
  }
}
