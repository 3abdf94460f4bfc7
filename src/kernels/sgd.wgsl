// SGD with momentum, as Keras (nesterov off):
//   velocity = momentum * velocity - learningRate * gradient
//   weight   = weight + velocity
struct Params { count: u32, learningRate: f32, momentum: f32 }

// Elementwise kernels take QUADS vec4s (8 elements) per invocation: quad, quad + invocations,
// ... (elementwise.ts says why, and where the last quad's padding goes).
const QUADS: u32 = 2u;

@group(0) @binding(0) var<storage, read_write> weight: array<vec4f>;
@group(0) @binding(1) var<storage, read> gradient: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> velocity: array<vec4f>;
@group(0) @binding(3) var<uniform> params: Params;

@compute @workgroup_size(64)
fn update(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  let invocations = groups.x * groups.y * 64u;
  for (var quad = 0u; quad < QUADS; quad++) {
    let index = invocation + quad * invocations;
    if (index < (params.count + 3u) / 4u) {
      let v = params.momentum * velocity[index] - params.learningRate * gradient[index];
      velocity[index] = v;
      weight[index] = weight[index] + v;
    }
  }
}
