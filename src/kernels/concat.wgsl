// Concatenation over channels (NCHW): the output's channels are the left input's, then the
// right input's. Each entry point copies one input's block of `count` channels, the ones from
// `first` on in the tensor of `channels`:
//   place: output[n, first + c, p] = input[n, c, p]
//   take:  gradInput[n, c, p] = gradOutput[n, first + c, p]
// The forward is a place of each input; the backward is a take for each:
//   z = concat(a, b)  =>  dL/da = dL/dz[:, :Ca],  dL/db = dL/dz[:, Ca:].
struct Params { batch: u32, channels: u32, first: u32, count: u32, plane: u32 }

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradInput: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

/** Where element `index` of the block's own tensor [batch, count, plane] lies in the whole tensor. */
fn inWhole(index: u32) -> u32 {
  let blockSize = params.count * params.plane;
  return ((index / blockSize) * params.channels + params.first) * params.plane + index % blockSize;
}

@compute @workgroup_size(64)
fn place(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  if (index >= params.batch * params.count * params.plane) {
    return;
  }
  output[inWhole(index)] = input[index];
}

@compute @workgroup_size(64)
fn take(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  if (index >= params.batch * params.count * params.plane) {
    return;
  }
  gradInput[index] = gradOutput[inWhole(index)];
}
