// Nearest-neighbour upsampling by an integer factor f, NCHW:
//   output[n, c, y, x] = input[n, c, y / f, x / f]   (integer division).
struct Params { batch: u32, channels: u32, inHeight: u32, inWidth: u32, factor: u32 }

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradInput: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  let outWidth = params.inWidth * params.factor;
  let outPlane = params.inHeight * params.factor * outWidth;
  if (index >= params.batch * params.channels * outPlane) {
    return;
  }
  let x = index % outWidth;
  let y = (index % outPlane) / outWidth;
  let plane = index / outPlane;
  output[index] = input[(plane * params.inHeight + y / params.factor) * params.inWidth + x / params.factor];
}

// Every output in the f x f block of (y, x) copies input (y, x), so
// dL/dinput[n, c, y, x] = sum over the block of dL/doutput.
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  let inPlane = params.inHeight * params.inWidth;
  if (index >= params.batch * params.channels * inPlane) {
    return;
  }
  let x = index % params.inWidth;
  let y = (index % inPlane) / params.inWidth;
  let plane = index / inPlane;
  let outWidth = params.inWidth * params.factor;
  var total = 0.0;
  for (var dy = 0u; dy < params.factor; dy++) {
    let row = (plane * params.inHeight * params.factor + y * params.factor + dy) * outWidth + x * params.factor;
    for (var dx = 0u; dx < params.factor; dx++) {
      total += gradOutput[row + dx];
    }
  }
  gradInput[index] = total;
}
