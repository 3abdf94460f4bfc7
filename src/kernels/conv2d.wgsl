// 2-D convolution (cross-correlation, as Keras and PyTorch), NCHW:
//   input [N, Cin, H, W], weight [Cout, Cin, KH, KW], bias [Cout], output [N, Cout, OH, OW],
//   output[n, co, oy, ox] = bias[co] + sum_{ci, ky, kx} weight[co, ci, ky, kx]
//                           * input[n, ci, oy*stride + ky - padTop, ox*stride + kx - padLeft]
// where positions outside the input read as zero (padding).
//
// Shaped for lavapipe and GPUs alike: each invocation keeps TILE_CHANNELS x TILE_X
// accumulators in registers (adjacent output columns on one thread, adjacent threads on
// adjacent column tiles), so every input value loaded is used TILE_CHANNELS times and
// every weight TILE_X times; no workgroup memory, no barriers.
struct Params {
  batch: u32, inChannels: u32, inHeight: u32, inWidth: u32,
  outChannels: u32, outHeight: u32, outWidth: u32,
  kernelHeight: u32, kernelWidth: u32, stride: u32, padTop: u32, padLeft: u32,
  hasBias: u32,
  // Weight and bias gradients: rows r = n * outHeight + oy are split into `splits` slices of
  // `rowsPerSplit` rows, each summed by its own invocation (then combined by sum_rows).
  splits: u32, rowsPerSplit: u32,
}

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;
@group(0) @binding(4) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(5) var<storage, read_write> gradInput: array<f32>;
@group(0) @binding(6) var<storage, read_write> partialSums: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

const TILE_X: u32 = 4u;
const TILE_CHANNELS: u32 = 4u;

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let tilesX = (params.outWidth + TILE_X - 1u) / TILE_X;
  let channelTiles = (params.outChannels + TILE_CHANNELS - 1u) / TILE_CHANNELS;
  var index = id.x + id.y * groups.x * 64u;
  if (index >= tilesX * params.outHeight * channelTiles * params.batch) {
    return;
  }
  let tileX = index % tilesX;
  index = index / tilesX;
  let oy = index % params.outHeight;
  index = index / params.outHeight;
  let channelTile = index % channelTiles;
  let n = index / channelTiles;
  let ox0 = tileX * TILE_X;
  let co0 = channelTile * TILE_CHANNELS;
  let weightsPerOutput = params.inChannels * params.kernelHeight * params.kernelWidth;

  // Channels past the end re-read the last channel's weights; their sums are never written.
  var weightBase: array<u32, TILE_CHANNELS>;
  for (var c = 0u; c < TILE_CHANNELS; c++) {
    weightBase[c] = min(co0 + c, params.outChannels - 1u) * weightsPerOutput;
  }

  var sums: array<f32, 16>; // TILE_CHANNELS * TILE_X, zero-initialised
  for (var ci = 0u; ci < params.inChannels; ci++) {
    let plane = (n * params.inChannels + ci) * params.inHeight * params.inWidth;
    for (var ky = 0u; ky < params.kernelHeight; ky++) {
      let iy = i32(oy * params.stride + ky) - i32(params.padTop);
      if (iy < 0 || iy >= i32(params.inHeight)) {
        continue;
      }
      let row = plane + u32(iy) * params.inWidth;
      for (var kx = 0u; kx < params.kernelWidth; kx++) {
        var values: array<f32, TILE_X>;
        for (var j = 0u; j < TILE_X; j++) {
          let ix = i32((ox0 + j) * params.stride + kx) - i32(params.padLeft);
          let inside = ix >= 0 && ix < i32(params.inWidth);
          values[j] = select(0.0, input[row + u32(clamp(ix, 0, i32(params.inWidth) - 1))], inside);
        }
        let tap = (ci * params.kernelHeight + ky) * params.kernelWidth + kx;
        for (var c = 0u; c < TILE_CHANNELS; c++) {
          let w = weight[weightBase[c] + tap];
          for (var j = 0u; j < TILE_X; j++) {
            sums[c * TILE_X + j] += values[j] * w;
          }
        }
      }
    }
  }

  for (var c = 0u; c < TILE_CHANNELS; c++) {
    let co = co0 + c;
    if (co >= params.outChannels) {
      break;
    }
    var offset = 0.0;
    if (params.hasBias != 0u) {
      offset = bias[co];
    }
    let outputRow = ((n * params.outChannels + co) * params.outHeight + oy) * params.outWidth;
    for (var j = 0u; j < TILE_X; j++) {
      if (ox0 + j < params.outWidth) {
        output[outputRow + ox0 + j] = sums[c * TILE_X + j] + offset;
      }
    }
  }
}

// dL/dinput[n, ci, iy, ix] = sum_{co, ky, kx} weight[co, ci, ky, kx] * dL/doutput[n, co, oy, ox]
//   over the output positions that read (iy, ix): oy*stride + ky - padTop = iy and
//   ox*stride + kx - padLeft = ix, i.e. oy = (iy + padTop - ky) / stride when that divides
//   exactly and lands inside the output. Gathered per input element: no atomics needed.
@compute @workgroup_size(64)
fn backward_input(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let tilesX = (params.inWidth + TILE_X - 1u) / TILE_X;
  let channelTiles = (params.inChannels + TILE_CHANNELS - 1u) / TILE_CHANNELS;
  var index = id.x + id.y * groups.x * 64u;
  if (index >= tilesX * params.inHeight * channelTiles * params.batch) {
    return;
  }
  let tileX = index % tilesX;
  index = index / tilesX;
  let iy = index % params.inHeight;
  index = index / params.inHeight;
  let channelTile = index % channelTiles;
  let n = index / channelTiles;
  let ix0 = tileX * TILE_X;
  let ci0 = channelTile * TILE_CHANNELS;
  let stride = i32(params.stride);

  var sums: array<f32, 16>;
  for (var co = 0u; co < params.outChannels; co++) {
    let gradPlane = (n * params.outChannels + co) * params.outHeight * params.outWidth;
    for (var ky = 0u; ky < params.kernelHeight; ky++) {
      let oyScaled = i32(iy + params.padTop) - i32(ky);
      if (oyScaled < 0 || oyScaled % stride != 0 || oyScaled / stride >= i32(params.outHeight)) {
        continue;
      }
      let gradRow = gradPlane + u32(oyScaled / stride) * params.outWidth;
      for (var kx = 0u; kx < params.kernelWidth; kx++) {
        var values: array<f32, TILE_X>;
        for (var j = 0u; j < TILE_X; j++) {
          let oxScaled = i32(ix0 + j + params.padLeft) - i32(kx);
          let ox = oxScaled / stride;
          let inside = oxScaled >= 0 && oxScaled % stride == 0 && ox < i32(params.outWidth);
          values[j] = select(0.0, gradOutput[gradRow + u32(clamp(ox, 0, i32(params.outWidth) - 1))], inside);
        }
        for (var c = 0u; c < TILE_CHANNELS; c++) {
          let ci = min(ci0 + c, params.inChannels - 1u);
          let w = weight[((co * params.inChannels + ci) * params.kernelHeight + ky) * params.kernelWidth + kx];
          for (var j = 0u; j < TILE_X; j++) {
            sums[c * TILE_X + j] += values[j] * w;
          }
        }
      }
    }
  }

  for (var c = 0u; c < TILE_CHANNELS; c++) {
    let ci = ci0 + c;
    if (ci >= params.inChannels) {
      break;
    }
    let inputRow = ((n * params.inChannels + ci) * params.inHeight + iy) * params.inWidth;
    for (var j = 0u; j < TILE_X; j++) {
      if (ix0 + j < params.inWidth) {
        gradInput[inputRow + ix0 + j] = sums[c * TILE_X + j];
      }
    }
  }
}

// dL/dweight[co, ci, ky, kx] = sum_{n, oy, ox} dL/doutput[n, co, oy, ox]
//                              * input[n, ci, oy*stride + ky - padTop, ox*stride + kx - padLeft]
// One invocation per (split, weight element) sums its slice of rows into
// partialSums[split, weight element]; sum_rows (sum.wgsl) adds the slices.
@compute @workgroup_size(64)
fn weight_gradient_partial(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let weightCount = params.outChannels * params.inChannels * params.kernelHeight * params.kernelWidth;
  let index = id.x + id.y * groups.x * 64u;
  if (index >= weightCount * params.splits) {
    return;
  }
  let weightIndex = index % weightCount;
  let split = index / weightCount;
  let kx = weightIndex % params.kernelWidth;
  var rest = weightIndex / params.kernelWidth;
  let ky = rest % params.kernelHeight;
  rest = rest / params.kernelHeight;
  let ci = rest % params.inChannels;
  let co = rest / params.inChannels;

  // Only the ox whose input column ix = ox*stride + kx - padLeft lies inside [0, inWidth).
  let stride = i32(params.stride);
  let firstScaled = i32(params.padLeft) - i32(kx);
  let oxStart = u32(max(0, (firstScaled + stride - 1) / stride));
  // Integer division truncates towards zero, so a negative bound (a kernel column past the
  // padded input) must not be divided: it means no ox at all.
  let lastScaled = i32(params.inWidth) - 1 + i32(params.padLeft) - i32(kx);
  let oxEnd = select(0u, u32(min(lastScaled / stride + 1, i32(params.outWidth))), lastScaled >= 0);

  let rowStart = split * params.rowsPerSplit;
  let rowEnd = min(rowStart + params.rowsPerSplit, params.batch * params.outHeight);
  var total = 0.0;
  for (var r = rowStart; r < rowEnd; r++) {
    let n = r / params.outHeight;
    let oy = r % params.outHeight;
    let iy = i32(oy * params.stride + ky) - i32(params.padTop);
    if (iy < 0 || iy >= i32(params.inHeight)) {
      continue;
    }
    let gradRow = ((n * params.outChannels + co) * params.outHeight + oy) * params.outWidth;
    let inputRow = ((n * params.inChannels + ci) * params.inHeight + u32(iy)) * params.inWidth;
    for (var ox = oxStart; ox < oxEnd; ox++) {
      total += gradOutput[gradRow + ox] * input[inputRow + ox * params.stride + kx - params.padLeft];
    }
  }
  partialSums[split * weightCount + weightIndex] = total;
}

// dL/dbias[co] = sum_{n, oy, ox} dL/doutput[n, co, oy, ox], split over rows as above.
@compute @workgroup_size(64)
fn bias_gradient_partial(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  if (index >= params.outChannels * params.splits) {
    return;
  }
  let co = index % params.outChannels;
  let split = index / params.outChannels;
  let rowStart = split * params.rowsPerSplit;
  let rowEnd = min(rowStart + params.rowsPerSplit, params.batch * params.outHeight);
  var total = 0.0;
  for (var r = rowStart; r < rowEnd; r++) {
    let n = r / params.outHeight;
    let oy = r % params.outHeight;
    let gradRow = ((n * params.outChannels + co) * params.outHeight + oy) * params.outWidth;
    for (var ox = 0u; ox < params.outWidth; ox++) {
      total += gradOutput[gradRow + ox];
    }
  }
  partialSums[split * params.outChannels + co] = total;
}
