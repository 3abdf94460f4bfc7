// out[n, y, x, co] = sum_{ky, kx, ci} in[n, y + ky - 1, x + kx - 1, ci] * w[ky, kx, ci, co]:
// the plainest direct 3x3 convolution with `same` padding, NHWC, no bias: the ceiling the
// engine's conv passes and its training are held to (src/benchmarks/kernels/plain-conv.ts). Scalar f32
// storage, no workgroup memory. Each invocation keeps PIXELS adjacent pixels of one row x
// OUT_CHANNELS channels of sums; for each kernel row and input channel it loads the PIXELS + 2
// inputs its pixels read (the padding's zeros by select, every load clamped in bounds), then
// per kernel column OUT_CHANNELS weights shared by its pixels. The input-channel loop keeps a
// runtime count: unrolled, the body would run to thousands of lines. The width must be a
// multiple of PIXELS.
struct Params { batch: u32, height: u32, width: u32, inChannels: u32 }

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read_write> output: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const IN_CHANNELS: u32 = 12u;
const OUT_CHANNELS: u32 = 12u;
const PIXELS: u32 = 8u;
// 1: the engine unrolls the constant loops below before compiling (as it does for wgpu anyway).
const UNROLL_LOOPS: u32 = 0u;

@compute @workgroup_size(64)
fn plain_conv(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let blocks = params.width / PIXELS;
  let invocation = id.x + id.y * groups.x * 64u;
  let x0 = (invocation % blocks) * PIXELS;
  let y = (invocation / blocks) % params.height;
  let n = invocation / (blocks * params.height);
  if (n >= params.batch) {
    return;
  }
  var sums: array<f32, PIXELS * OUT_CHANNELS>;
  for (var ky = 0u; ky < 3u; ky++) {
    let iy = i32(y + ky) - 1;
    let rowInside = iy >= 0 && iy < i32(params.height);
    let row = (n * params.height + u32(clamp(iy, 0, i32(params.height) - 1))) * params.width;
    for (var ci = 0u; ci < params.inChannels; ci++) {
      var window: array<f32, PIXELS + 2u>;
      for (var p = 0u; p < PIXELS + 2u; p++) {
        let ix = i32(x0 + p) - 1;
        let inside = rowInside && ix >= 0 && ix < i32(params.width);
        window[p] = select(0.0, input[(row + u32(clamp(ix, 0, i32(params.width) - 1))) * IN_CHANNELS + ci], inside);
      }
      for (var kx = 0u; kx < 3u; kx++) {
        var w: array<f32, OUT_CHANNELS>;
        for (var co = 0u; co < OUT_CHANNELS; co++) {
          w[co] = weight[((ky * 3u + kx) * IN_CHANNELS + ci) * OUT_CHANNELS + co];
        }
        for (var p = 0u; p < PIXELS; p++) {
          for (var co = 0u; co < OUT_CHANNELS; co++) {
            sums[p * OUT_CHANNELS + co] += window[p + kx] * w[co];
          }
        }
      }
    }
  }
  let base = ((n * params.height + y) * params.width + x0) * OUT_CHANNELS;
  for (var p = 0u; p < PIXELS; p++) {
    for (var co = 0u; co < OUT_CHANNELS; co++) {
      output[base + p * OUT_CHANNELS + co] = sums[p * OUT_CHANNELS + co];
    }
  }
}
