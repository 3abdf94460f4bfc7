// relu(x) = max(x, 0). Tie rule: the gradient at exactly x = 0 is 0 (the mask is x > 0).
struct Params { count: u32 }

// Elementwise kernels take QUADS vec4s (8 elements) per invocation: quad, quad + invocations,
// ... (elementwise.ts says why, and where the last quad's padding goes).
const QUADS: u32 = 2u;

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(2) var<storage, read> gradOutput: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> gradInput: array<vec4f>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  let invocations = groups.x * groups.y * 64u;
  for (var quad = 0u; quad < QUADS; quad++) {
    let index = invocation + quad * invocations;
    if (index < (params.count + 3u) / 4u) {
      output[index] = max(input[index], vec4f(0.0));
    }
  }
}

// d relu / dx = 1 where x > 0, else 0.
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  let invocations = groups.x * groups.y * 64u;
  for (var quad = 0u; quad < QUADS; quad++) {
    let index = invocation + quad * invocations;
    if (index < (params.count + 3u) / 4u) {
      gradInput[index] = select(vec4f(0.0), gradOutput[index], input[index] > vec4f(0.0));
    }
  }
}
