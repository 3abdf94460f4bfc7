// RMSprop, as Keras (not centred, no momentum; epsilon inside the square root):
//   meanSquare = rho * meanSquare + (1 - rho) * gradient^2
//   weight     = weight - learningRate * gradient / sqrt(meanSquare + epsilon)
struct Params { count: u32, learningRate: f32, rho: f32, epsilon: f32 }

// Elementwise kernels take ELEMENTS elements per invocation (index, index + invocations, ...):
// on lavapipe that doubles to triples their bandwidth over one element per invocation.
const ELEMENTS: u32 = 8u;

@group(0) @binding(0) var<storage, read_write> weight: array<f32>;
@group(0) @binding(1) var<storage, read> gradient: array<f32>;
@group(0) @binding(2) var<storage, read_write> meanSquare: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(64)
fn update(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  let invocations = groups.x * groups.y * 64u;
  for (var element = 0u; element < ELEMENTS; element++) {
    let index = invocation + element * invocations;
    if (index < params.count) {
      let g = gradient[index];
      let s = params.rho * meanSquare[index] + (1.0 - params.rho) * g * g;
      meanSquare[index] = s;
      weight[index] = weight[index] - params.learningRate * g / sqrt(s + params.epsilon);
    }
  }
}
