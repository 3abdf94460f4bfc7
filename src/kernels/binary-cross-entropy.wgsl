// Binary cross-entropy on probabilities, with Keras' clipping p' = clamp(p, eps, 1 - eps):
//   loss = -(t log p' + (1 - t) log(1 - p')),  eps = 1e-7.
// d loss / dp = (p' - t) / (p' (1 - p')) for eps <= p <= 1 - eps, and 0 outside, where the
//   clip is flat. Tie rule: at p = eps or p = 1 - eps exactly the gradient passes (as
//   TensorFlow's clip_by_value).
// Both entry points take the quads invocation, invocation + invocations, ... for each of
// `invocations` invocations. The mean over all elements is taken by the host: each invocation
// of `loss` writes the sum of its 8 losses, which sum.wgsl reduces (an eighth of the
// stores, and of the loads for the sum, that per-element losses took). `gradient` multiplies
// by scale = 1 / count and by dL/dmean = gradOutput[0].
struct Params { count: u32, scale: f32, invocations: u32 }

// Elementwise kernels take QUADS vec4s (8 elements) per invocation: quad, quad + invocations,
// ... (elementwise.ts says why, and where the last quad's padding goes).
const QUADS: u32 = 2u;

const EPSILON: f32 = 1e-7;

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
      let p = clamp(prediction[index], vec4f(EPSILON), vec4f(1.0 - EPSILON));
      let t = expected[index];
      total += sumBeforeCount(-(t * log(p) + (1.0 - t) * log(1.0 - p)), index);
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
      let raw = prediction[index];
      let p = clamp(raw, vec4f(EPSILON), vec4f(1.0 - EPSILON));
      let inside = (raw >= vec4f(EPSILON)) & (raw <= vec4f(1.0 - EPSILON));
      gradPrediction[index] = select(vec4f(0.0), g * (p - expected[index]) / (p * (1.0 - p)), inside);
    }
  }
}
