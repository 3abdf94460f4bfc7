// conv2d forward, the plainest way: one output value per invocation, no tiles, no shared
// loads, no prelude. Where a reader starts; forward.wgsl computes the same sums with register
// tiles and shuffles. conv2d.ts runs it for `plain: true` (the parity cases check it like any
// kernel, and the lab's Inside view can run a layer with it).
//   output[n, co, oy, ox] = bias[co] + sum_{ci, ky, kx} weight[co, ci, ky, kx]
//                           * input[n, ci, oy*stride + ky - padTop, ox*stride + kx - padLeft]
// with positions outside the input reading as zero, then max(that, 0) when params.relu = 1.
struct Params {
  batch: u32, inChannels: u32, inHeight: u32, inWidth: u32,
  outChannels: u32, outHeight: u32, outWidth: u32,
  kernelHeight: u32, kernelWidth: u32, stride: u32, padTop: u32, padLeft: u32,
  hasBias: u32, relu: u32,
}

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

@compute @workgroup_size(64)
fn forward_plain(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  if (index >= params.batch * params.outChannels * params.outHeight * params.outWidth) {
    return;
  }
  // index = ((n * outChannels + co) * outHeight + oy) * outWidth + ox
  let ox = index % params.outWidth;
  let oy = (index / params.outWidth) % params.outHeight;
  let co = (index / (params.outWidth * params.outHeight)) % params.outChannels;
  let n = index / (params.outWidth * params.outHeight * params.outChannels);
  var sum = 0.0;
  if (params.hasBias != 0u) {
    sum = bias[co];
  }
  for (var ci = 0u; ci < params.inChannels; ci++) {
    for (var ky = 0u; ky < params.kernelHeight; ky++) {
      let iy = i32(oy * params.stride + ky) - i32(params.padTop);
      for (var kx = 0u; kx < params.kernelWidth; kx++) {
        let ix = i32(ox * params.stride + kx) - i32(params.padLeft);
        if (iy >= 0 && iy < i32(params.inHeight) && ix >= 0 && ix < i32(params.inWidth)) {
          let pixel = input[((n * params.inChannels + ci) * params.inHeight + u32(iy)) * params.inWidth + u32(ix)];
          sum += pixel * weight[((co * params.inChannels + ci) * params.kernelHeight + ky) * params.kernelWidth + kx];
        }
      }
    }
  }
  output[index] = select(sum, max(sum, 0.0), params.relu != 0u);
}
