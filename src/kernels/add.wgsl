// add: output = left + right.   accumulate: accumulator += addend (gradient accumulation).
struct Params { count: u32 }

// Elementwise kernels take QUADS vec4s (8 elements) per invocation: quad, quad + invocations,
// ... (elementwise.ts says why, and where the last quad's padding goes).
const QUADS: u32 = 2u;

@group(0) @binding(0) var<storage, read> left: array<vec4f>;
@group(0) @binding(1) var<storage, read> right: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> accumulator: array<vec4f>;
@group(0) @binding(4) var<storage, read> addend: array<vec4f>;
@group(0) @binding(5) var<uniform> params: Params;

@compute @workgroup_size(64)
fn add(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  let invocations = groups.x * groups.y * 64u;
  for (var quad = 0u; quad < QUADS; quad++) {
    let index = invocation + quad * invocations;
    if (index < (params.count + 3u) / 4u) {
      output[index] = left[index] + right[index];
    }
  }
}

@compute @workgroup_size(64)
fn accumulate(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  let invocations = groups.x * groups.y * 64u;
  for (var quad = 0u; quad < QUADS; quad++) {
    let index = invocation + quad * invocations;
    if (index < (params.count + 3u) / 4u) {
      accumulator[index] = accumulator[index] + addend[index];
    }
  }
}
