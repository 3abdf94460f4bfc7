// relu(x) = max(x, 0). Tie rule: the gradient at exactly x = 0 is 0 (the mask is x > 0).
struct Params { count: u32 }

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradInput: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  if (index < params.count) {
    output[index] = max(input[index], 0.0);
  }
}

// d relu / dx = 1 where x > 0, else 0.
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  if (index < params.count) {
    gradInput[index] = select(0.0, gradOutput[index], input[index] > 0.0);
  }
}
