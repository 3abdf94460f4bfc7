// sigmoid(x) = 1 / (1 + exp(-x)), evaluated so that exp never overflows.
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
      let x = input[index];
      let e = exp(-abs(x));
      output[index] = select(e / (1.0 + e), 1.0 / (1.0 + e), x >= vec4f(0.0));
    }
  }
}

// d sigmoid / dx = y (1 - y), with y the forward output (the saved output, not recomputed).
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  let invocations = groups.x * groups.y * 64u;
  for (var quad = 0u; quad < QUADS; quad++) {
    let index = invocation + quad * invocations;
    if (index < (params.count + 3u) / 4u) {
      let y = output[index];
      gradInput[index] = gradOutput[index] * y * (1.0 - y);
    }
  }
}
