// Keras' binary accuracy, elementwise: 1 where the target equals the prediction thresholded
// at 0.5 (prediction > 0.5 -> 1, else 0), else 0. Each of the `invocations` writes how many
// of its 8 elements match (as the losses do), and sum.wgsl takes the mean.
// With continuous targets (pixel values) only targets of exactly 0 or 1 can ever match.
struct Params { count: u32, invocations: u32 }

// Elementwise kernels take QUADS vec4s (8 elements) per invocation: quad, quad + invocations,
// ... (elementwise.ts says why, and where the last quad's padding goes).
const QUADS: u32 = 2u;

@group(0) @binding(0) var<storage, read> prediction: array<vec4f>;
@group(0) @binding(1) var<storage, read> expected: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> matches: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

/** The sum of a quad's elements that lie before `count`: the last quad's others are padding. */
fn sumBeforeCount(values: vec4f, quad: u32) -> f32 {
  let inside = vec4u(quad * 4u) + vec4u(0u, 1u, 2u, 3u) < vec4u(params.count);
  return dot(select(vec4f(0.0), values, inside), vec4f(1.0));
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  if (invocation >= params.invocations) {
    return;
  }
  var total = 0.0;
  for (var quad = 0u; quad < QUADS; quad++) {
    let index = invocation + quad * params.invocations;
    if (index < (params.count + 3u) / 4u) {
      let predicted = select(vec4f(0.0), vec4f(1.0), prediction[index] > vec4f(0.5));
      total += sumBeforeCount(select(vec4f(0.0), vec4f(1.0), expected[index] == predicted), index);
    }
  }
  matches[invocation] = total;
}
