// 2-D convolution (cross-correlation, as Keras and PyTorch), NCHW:
//   input [N, Cin, H, W], weight [Cout, Cin, KH, KW], bias [Cout], output [N, Cout, OH, OW],
//   output[n, co, oy, ox] = bias[co] + sum_{ci, ky, kx} weight[co, ci, ky, kx]
//                           * input[n, ci, oy*stride + ky - padTop, ox*stride + kx - padLeft]
// where positions outside the input read as zero (padding). With params.relu = 1 the output
// is max(that, 0) (Keras' activation='relu', fused into the epilogue). The backward passes
// read dL/dz, the incoming gradient already masked by the ReLU (conv2d.ts runs relu.wgsl's
// backward once over it: reading the output in every invocation here would load it once
// per input channel).
//
// Shaped for lavapipe (which runs 8 invocations in the lanes of one AVX register) and for
// GPUs alike: each invocation keeps a register tile of TILE_CHANNELS channels x TILE_Y rows
// x TILE_X columns, and its columns are interleaved with its neighbours' (x = base + lane +
// j * LANES) so the lanes of a vector or warp load adjacent floats. No workgroup memory, no
// barriers. On lavapipe (Mesa 25.0) every storage load is done lane by lane with a bounds
// check, even a weight that all lanes share: one costs about nine multiply-adds (measured),
// so a tile's speed is its multiply-adds per load, and large tiles win (conv2d.ts).
// Where the device has subgroups (backend/subgroups.ts), the lanes of a group share the
// weights they all need: each loads a few and takes the rest from its neighbours by shuffles.
// TILE_CHANNELS, TILE_X, TILE_Y, TAP_ROWS, KERNEL_WIDTH, STRIDE, SUBGROUP_SHUFFLES,
// LANES_ON_CHANNELS, WINDOW_Y and WINDOW_X are specialised per shape by the host;
// SUBGROUP_SIZE, where kernels shuffle, by the kernel library (the device's).
struct Params {
  batch: u32, inChannels: u32, inHeight: u32, inWidth: u32,
  outChannels: u32, outHeight: u32, outWidth: u32,
  kernelHeight: u32, kernelWidth: u32, stride: u32, padTop: u32, padLeft: u32,
  hasBias: u32,
  relu: u32,
  // Weight and bias gradients: rows r = n * outHeight + oy are split into `splits` slices of
  // `rowsPerSplit` rows; each (slice, lane) pair writes its own partial sum, and sum_rows
  // (sum.wgsl) adds them.
  splits: u32, rowsPerSplit: u32,
  // conv2d with `upsample`: the nearest-neighbour factor its input is read through
  // (upsampled_weights, upsampled_weight_gradient).
  upsample: u32,
}

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read> weight: array<f32>;
@group(0) @binding(2) var<storage, read> bias: array<f32>;
@group(0) @binding(3) var<storage, read_write> output: array<f32>;
@group(0) @binding(4) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(5) var<storage, read_write> gradInput: array<f32>;
@group(0) @binding(6) var<storage, read_write> partialSums: array<f32>;
@group(0) @binding(7) var<uniform> params: Params;

const LANES: u32 = 8u;
const TILE_X: u32 = 4u;
const TILE_CHANNELS: u32 = 4u;
// Rows per invocation in the forward pass and the input gradient (each weight loaded serves
// TILE_Y x TILE_X outputs).
const TILE_Y: u32 = 1u;
// Weight gradients: whole kernel rows per invocation, KERNEL_WIDTH taps each.
const TAP_ROWS: u32 = 3u;
const KERNEL_WIDTH: u32 = 3u;
const WINDOW_TAPS: u32 = TAP_ROWS * KERNEL_WIDTH;
// The input gradient divides by the stride in its inner loop; as a constant (specialised,
// equal to params.stride) the division folds away for stride 1 and becomes a shift or a
// multiply otherwise, where a runtime divisor is scalarised on lavapipe.
const STRIDE: u32 = 1u;
// 1: tileWeights shares weight loads between the lanes of a group through subgroup shuffles
// (only where the device has subgroups of a fixed SUBGROUP_SIZE, a multiple of LANES, made of
// consecutive invocations: the host checks). 0: every lane loads every weight it uses.
const SUBGROUP_SHUFFLES: u32 = 0u;
const SUBGROUP_SIZE: u32 = 8u;
// Weights each lane loads for its group when they share: channels lane, lane + LANES, ...
const SHARED_LOADS: u32 = (TILE_CHANNELS + LANES - 1u) / LANES;
// Weight gradient: 1 puts the lanes of a group on LANES input channels (needs
// SUBGROUP_SHUFFLES), 0 on columns.
const LANES_ON_CHANNELS: u32 = 0u;
// backward_input_all_phases: the rows and columns of dL/dz under one input position's
// STRIDE x STRIDE phases (conv2d.ts, allPhasesWindow).
const WINDOW_Y: u32 = 2u;
const WINDOW_X: u32 = 2u;
// 1: the engine unrolls this variant's constant-count loops itself (kernel-library.ts), as it
// does everywhere on wgpu. Lavapipe leaves backward_input_all_phases' nest of tap loops rolled
// (its register tile is then indexed at run time), which made it 1.3-1.5x slower than unrolled.
const UNROLL_LOOPS: u32 = 0u;
// backward_input_all_phases: the kernel's height and padding (equal to params.kernelHeight,
// params.padTop and params.padLeft; its width is KERNEL_WIDTH), so that once its loops are
// unrolled every tap index is known when the kernel is compiled.
const KERNEL_HEIGHT: u32 = 3u;
const PAD_TOP: u32 = 1u;
const PAD_LEFT: u32 = 1u;
// The weights of one dL/dz channel for the tile's channels, every tap, and how many of them
// each lane of a group loads when they share them (backward_input_all_phases).
const TAP_BLOCK: u32 = TILE_CHANNELS * KERNEL_HEIGHT * KERNEL_WIDTH;
const TAP_BLOCK_LOADS: u32 = (TAP_BLOCK + LANES - 1u) / LANES;
// Forward pass and backward_input: 1 loads each row of the tile's window once per kernel
// column, to serve every kernel row that reads it (needs KERNEL_HEIGHT and STRIDE
// specialised); 0 loads a row per tile row and kernel row. For 8 rows of a 3x3 kernel: 10
// loads where 24. Its window is indexed by loop counters, so it pays only unrolled (the host
// asks for UNROLL_LOOPS with it where lanes shuffle; conv2d.ts).
const ROW_WINDOW: u32 = 0u;
// The forward's window: output row ty reads input rows ty * STRIDE .. ty * STRIDE + KERNEL_HEIGHT - 1.
const WINDOW_ROWS: u32 = (TILE_Y - 1u) * STRIDE + KERNEL_HEIGHT;
// backward_input's: a phase's input rows meet at most TAPS_PER_PHASE kernel rows, each one
// dL/dz row further up (see backward_input).
const TAPS_PER_PHASE: u32 = (KERNEL_HEIGHT + STRIDE - 1u) / STRIDE;
const GRADIENT_WINDOW_ROWS: u32 = TILE_Y + TAPS_PER_PHASE - 1u;

/**
 * A position on one axis of a plane `size` long (a row or a column, padding included): whether
 * it lies inside the plane, and the index to load, clamped into the plane so that every load
 * is in bounds (select() then replaces a load outside the plane by the padding's zero).
 */
struct AxisPosition {
  inside: bool,
  index: u32,
}

fn axisPosition(position: i32, size: u32) -> AxisPosition {
  return AxisPosition(position >= 0 && position < i32(size), u32(clamp(position, 0, i32(size) - 1)));
}

/**
 * The element of an input plane (starting at `plane`) at a row and a column, or the padding's
 * zero where either lies outside it. The load itself is always in bounds (axisPosition clamps).
 */
fn inputAt(plane: u32, row: AxisPosition, column: AxisPosition) -> f32 {
  return select(0.0, input[plane + row.index * params.inWidth + column.index], row.inside && column.inside);
}

/** The same for a plane of dL/dz (backward_input's input). */
fn gradOutputAt(plane: u32, row: AxisPosition, column: AxisPosition) -> f32 {
  return select(0.0, gradOutput[plane + row.index * params.outWidth + column.index], row.inside && column.inside);
}

/** Forward pass: the input column that output column `x` reads through tap column kx. */
fn forwardInputColumn(x: u32, kx: u32) -> AxisPosition {
  return axisPosition(i32(x * STRIDE + kx) - i32(params.padLeft), params.inWidth);
}

/**
 * backward_input: the dL/dz column that column `x` of phase `phaseX` (input column
 * phaseX + x * STRIDE) reads through tap column kx, one of the phase's taps. oxScaled is then
 * a multiple of STRIDE, so the division is exact and a negative oxScaled gives a negative
 * column: axisPosition's test is the whole test.
 */
fn transposedColumn(phaseX: u32, x: u32, kx: u32) -> AxisPosition {
  let oxScaled = i32(phaseX + x * STRIDE + params.padLeft) - i32(kx);
  return axisPosition(oxScaled / i32(STRIDE), params.outWidth);
}

/** Where each of a row tile's channels starts in `weight`, for tileWeights. */
struct TileWeightOffsets {
  /** Channel c of the tile (every lane uses all of them). */
  channel: array<u32, TILE_CHANNELS>,
  /** With SUBGROUP_SHUFFLES: the channels this lane loads for its group, lane + k * LANES. */
  loadedHere: array<u32, SHARED_LOADS>,
  /** With SUBGROUP_SHUFFLES: the subgroup lane of the group's first invocation. */
  groupStart: u32,
}

/**
 * Offsets of the tile's channels channel0 .. channel0 + TILE_CHANNELS - 1 (of `channels`, each
 * `channelStride` weights apart). Channels past the end re-read the last channel's weights;
 * their sums are never written. A lane's shared loads past the tile's last channel are
 * loaded and never taken.
 */
fn tileWeightOffsets(channel0: u32, channels: u32, channelStride: u32, localIndex: u32) -> TileWeightOffsets {
  var offsets: TileWeightOffsets;
  let lane = localIndex % LANES;
  for (var c = 0u; c < TILE_CHANNELS; c++) {
    offsets.channel[c] = min(channel0 + c, channels - 1u) * channelStride;
  }
  for (var k = 0u; k < SHARED_LOADS; k++) {
    offsets.loadedHere[k] = min(channel0 + k * LANES + lane, channels - 1u) * channelStride;
  }
  offsets.groupStart = groupStartLane(localIndex);
  return offsets;
}

/**
 * The subgroup lane of the first invocation of this invocation's group of LANES. Subgroups are
 * consecutive invocations of SUBGROUP_SIZE (a multiple of LANES): 0 when the two sizes are
 * equal, as on lavapipe.
 */
fn groupStartLane(localIndex: u32) -> u32 {
  return localIndex % SUBGROUP_SIZE - localIndex % LANES;
}

/**
 * A value per channel of a TILE_CHANNELS tile that the group of lanes starting at subgroup lane
 * `groupStart` loaded between them: lane l loaded channels l, l + LANES, ... as its `loaded`,
 * so channel c is lane c % LANES's (c / LANES)-th.
 */
fn shareAcrossGroup(loaded: array<f32, SHARED_LOADS>, groupStart: u32) -> array<f32, TILE_CHANNELS> {
  var values: array<f32, TILE_CHANNELS>;
  for (var c = 0u; c < TILE_CHANNELS; c++) {
    values[c] = shuffleFromLane(loaded[c / LANES], groupStart + c % LANES);
  }
  return values;
}

/**
 * The weights of the tile's channels at one tap (`tap` past each channel's offset). The lanes
 * of a group share a tile's channels, so they all need the same weights: with
 * SUBGROUP_SHUFFLES each lane loads SHARED_LOADS of them and takes the rest from the lanes
 * that loaded them (on lavapipe a load costs about nine multiply-adds, a shuffle about one).
 */
fn tileWeights(offsets: TileWeightOffsets, tap: u32) -> array<f32, TILE_CHANNELS> {
  var weights: array<f32, TILE_CHANNELS>;
  if (SUBGROUP_SHUFFLES == 0u) {
    for (var c = 0u; c < TILE_CHANNELS; c++) {
      weights[c] = weight[offsets.channel[c] + tap];
    }
  } else {
    var loaded: array<f32, SHARED_LOADS>;
    for (var k = 0u; k < SHARED_LOADS; k++) {
      loaded[k] = weight[offsets.loadedHere[k] + tap];
    }
    weights = shareAcrossGroup(loaded, offsets.groupStart);
  }
  return weights;
}

/**
 * Which register tile an invocation owns in the row-tiled entry points (forward: output
 * rows and channels; input gradient: input rows and channels). Invocations enumerate
 * (lane, column block, row, channel tile, image), lane fastest.
 */
struct RowTile {
  valid: bool,
  /** This invocation's first column; the others are x0 + j * LANES. */
  x0: u32,
  row: u32,
  /** The tile's first channel. */
  channel0: u32,
  image: u32,
}

fn rowTile(invocation: u32, width: u32, height: u32, channels: u32, images: u32) -> RowTile {
  let blockWidth = LANES * TILE_X;
  let xBlocks = (width + blockWidth - 1u) / blockWidth;
  let channelTiles = (channels + TILE_CHANNELS - 1u) / TILE_CHANNELS;
  var index = invocation;
  let lane = index % LANES;
  index = index / LANES;
  let xBlock = index % xBlocks;
  index = index / xBlocks;
  let row = index % height;
  index = index / height;
  return RowTile(index < channelTiles * images, xBlock * blockWidth + lane, row, (index % channelTiles) * TILE_CHANNELS, index / channelTiles);
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) id: vec3u, @builtin(local_invocation_index) localIndex: u32, @builtin(num_workgroups) groups: vec3u) {
  // Tiles of TILE_Y rows: rowTile enumerates row blocks, each starting at row * TILE_Y.
  let rowBlocks = (params.outHeight + TILE_Y - 1u) / TILE_Y;
  let tile = rowTile(id.x + id.y * groups.x * 64u, params.outWidth, rowBlocks, params.outChannels, params.batch);
  if (!tile.valid) {
    return;
  }
  let x0 = tile.x0;
  let oy0 = tile.row * TILE_Y;
  let co0 = tile.channel0;
  let n = tile.image;
  let weightsPerOutput = params.inChannels * params.kernelHeight * params.kernelWidth;
  let weightOffsets = tileWeightOffsets(co0, params.outChannels, weightsPerOutput, localIndex);

  var sums: array<f32, TILE_CHANNELS * TILE_Y * TILE_X>; // zero-initialised
  for (var ci = 0u; ci < params.inChannels; ci++) {
    let plane = (n * params.inChannels + ci) * params.inHeight * params.inWidth;
    if (ROW_WINDOW == 1u) {
      // Output row oy0 + ty reads window row ty * STRIDE + ky through kernel row ky.
      var windowRows: array<AxisPosition, WINDOW_ROWS>;
      for (var r = 0u; r < WINDOW_ROWS; r++) {
        windowRows[r] = axisPosition(i32(oy0 * STRIDE + r) - i32(params.padTop), params.inHeight);
      }
      for (var kx = 0u; kx < params.kernelWidth; kx++) {
        var window: array<f32, WINDOW_ROWS * TILE_X>;
        for (var j = 0u; j < TILE_X; j++) {
          let column = forwardInputColumn(x0 + j * LANES, kx);
          for (var r = 0u; r < WINDOW_ROWS; r++) {
            window[r * TILE_X + j] = inputAt(plane, windowRows[r], column);
          }
        }
        for (var ky = 0u; ky < KERNEL_HEIGHT; ky++) {
          let weights = tileWeights(weightOffsets, (ci * KERNEL_HEIGHT + ky) * params.kernelWidth + kx);
          for (var c = 0u; c < TILE_CHANNELS; c++) {
            for (var ty = 0u; ty < TILE_Y; ty++) {
              for (var j = 0u; j < TILE_X; j++) {
                sums[(c * TILE_Y + ty) * TILE_X + j] += window[(ty * STRIDE + ky) * TILE_X + j] * weights[c];
              }
            }
          }
        }
      }
      continue;
    }
    for (var ky = 0u; ky < params.kernelHeight; ky++) {
      // Rows outside the input (or past the output) read as zero.
      var rows: array<AxisPosition, TILE_Y>;
      for (var ty = 0u; ty < TILE_Y; ty++) {
        rows[ty] = axisPosition(i32((oy0 + ty) * STRIDE + ky) - i32(params.padTop), params.inHeight);
      }
      for (var kx = 0u; kx < params.kernelWidth; kx++) {
        var values: array<f32, TILE_Y * TILE_X>;
        for (var j = 0u; j < TILE_X; j++) {
          let column = forwardInputColumn(x0 + j * LANES, kx);
          for (var ty = 0u; ty < TILE_Y; ty++) {
            values[ty * TILE_X + j] = inputAt(plane, rows[ty], column);
          }
        }
        let weights = tileWeights(weightOffsets, (ci * params.kernelHeight + ky) * params.kernelWidth + kx);
        for (var c = 0u; c < TILE_CHANNELS; c++) {
          for (var k = 0u; k < TILE_Y * TILE_X; k++) {
            sums[c * TILE_Y * TILE_X + k] += values[k] * weights[c];
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
    for (var ty = 0u; ty < TILE_Y; ty++) {
      let oy = oy0 + ty;
      if (oy >= params.outHeight) {
        break;
      }
      let outputRow = ((n * params.outChannels + co) * params.outHeight + oy) * params.outWidth;
      for (var j = 0u; j < TILE_X; j++) {
        let ox = x0 + j * LANES;
        if (ox < params.outWidth) {
          let value = sums[(c * TILE_Y + ty) * TILE_X + j] + offset;
          output[outputRow + ox] = select(value, max(value, 0.0), params.relu != 0u);
        }
      }
    }
  }
}

// dL/dinput[n, ci, iy, ix] = sum_{co, ky, kx} weight[co, ci, ky, kx] * dL/dz[n, co, oy, ox]
//   over the output positions that read (iy, ix): oy*stride + ky - padTop = iy and
//   ox*stride + kx - padLeft = ix, i.e. oy = (iy + padTop - ky) / stride when that divides
//   exactly and lands inside the output. Gathered per input element: no atomics needed.
//   Tiled like the forward pass, with TILE_CHANNELS input channels per invocation.
// With a stride s > 1 only the taps with ky = iy + padTop (mod s) divide exactly, so the
// input rows and columns fall into s x s phases by iy mod s and ix mod s: an invocation takes
// rows and columns of one phase (iy = py + s * r, ix = px + s * c, its lanes on adjacent c),
// and all of them read the same taps, every s-th from ky = (py + padTop) mod s. No tap is
// visited to be discarded, and the lanes still share their weights.
// This is the transposed convolution, which is also how conv2d with `upsample` runs its
// forward pass (conv2d.ts): there gradOutput is its input, weight the upsampled weights,
// gradInput its output, and params.hasBias and params.relu add the bias and apply the ReLU.
@compute @workgroup_size(64)
fn backward_input(@builtin(global_invocation_id) id: vec3u, @builtin(local_invocation_index) localIndex: u32, @builtin(num_workgroups) groups: vec3u) {
  // Tiles of TILE_Y rows of one phase; rowTile's images enumerate (image, phase).
  let phaseHeight = (params.inHeight + STRIDE - 1u) / STRIDE;
  let phaseWidth = (params.inWidth + STRIDE - 1u) / STRIDE;
  let rowBlocks = (phaseHeight + TILE_Y - 1u) / TILE_Y;
  let tile = rowTile(id.x + id.y * groups.x * 64u, phaseWidth, rowBlocks, params.inChannels, params.batch * STRIDE * STRIDE);
  if (!tile.valid) {
    return;
  }
  let n = tile.image / (STRIDE * STRIDE);
  let phaseY = (tile.image / STRIDE) % STRIDE;
  let phaseX = tile.image % STRIDE;
  let x0 = tile.x0;
  let r0 = tile.row * TILE_Y;
  let ci0 = tile.channel0;
  let kernelArea = params.kernelHeight * params.kernelWidth;
  // weight[co, ci0 + c, ky, kx] is channel c's offset plus (co * inChannels) * kernelArea + tap.
  let weightOffsets = tileWeightOffsets(ci0, params.inChannels, kernelArea, localIndex);
  // The first tap of the phase on each axis; oy = (iy + padTop - ky) / STRIDE then divides exactly.
  let firstTapY = (phaseY + params.padTop) % STRIDE;
  let firstTapX = (phaseX + params.padLeft) % STRIDE;

  var sums: array<f32, TILE_CHANNELS * TILE_Y * TILE_X>;
  for (var co = 0u; co < params.outChannels; co++) {
    let gradPlane = (n * params.outChannels + co) * params.outHeight * params.outWidth;
    let outputChannelWeights = co * params.inChannels * kernelArea;
    if (ROW_WINDOW == 1u) {
      // Input row r0 + ty of the phase reads, through tap row ky = firstTapY + m * STRIDE, the
      // dL/dz row (iy + padTop - ky) / STRIDE = firstRow + r0 + ty - m, with
      // firstRow = (phaseY + padTop) / STRIDE. Over the tile's rows and the phase's taps that is
      // the window firstRow + r0 - (TAPS_PER_PHASE - 1) .. firstRow + r0 + TILE_Y - 1, and
      // tile row ty takes window row ty + TAPS_PER_PHASE - 1 - m.
      let windowTop = i32((phaseY + params.padTop) / STRIDE + r0) - i32(TAPS_PER_PHASE - 1u);
      var windowRows: array<AxisPosition, GRADIENT_WINDOW_ROWS>;
      for (var r = 0u; r < GRADIENT_WINDOW_ROWS; r++) {
        windowRows[r] = axisPosition(windowTop + i32(r), params.outHeight);
      }
      for (var kx = firstTapX; kx < params.kernelWidth; kx += STRIDE) {
        var window: array<f32, GRADIENT_WINDOW_ROWS * TILE_X>;
        for (var j = 0u; j < TILE_X; j++) {
          let column = transposedColumn(phaseX, x0 + j * LANES, kx);
          for (var r = 0u; r < GRADIENT_WINDOW_ROWS; r++) {
            window[r * TILE_X + j] = gradOutputAt(gradPlane, windowRows[r], column);
          }
        }
        for (var m = 0u; m < TAPS_PER_PHASE; m++) {
          // A phase whose first tap is not row 0 has one tap fewer where STRIDE does not divide
          // the kernel's height.
          let ky = firstTapY + m * STRIDE;
          if (ky < KERNEL_HEIGHT) {
            let weights = tileWeights(weightOffsets, outputChannelWeights + ky * params.kernelWidth + kx);
            for (var c = 0u; c < TILE_CHANNELS; c++) {
              for (var ty = 0u; ty < TILE_Y; ty++) {
                for (var j = 0u; j < TILE_X; j++) {
                  sums[(c * TILE_Y + ty) * TILE_X + j] += window[(ty + TAPS_PER_PHASE - 1u - m) * TILE_X + j] * weights[c];
                }
              }
            }
          }
        }
      }
      continue;
    }
    for (var ky = firstTapY; ky < params.kernelHeight; ky += STRIDE) {
      // The dL/dz row each input row reads through tap row ky, if any (exact, as in transposedColumn).
      var rows: array<AxisPosition, TILE_Y>;
      for (var ty = 0u; ty < TILE_Y; ty++) {
        let iy = phaseY + (r0 + ty) * STRIDE;
        let oyScaled = i32(iy + params.padTop) - i32(ky);
        rows[ty] = axisPosition(oyScaled / i32(STRIDE), params.outHeight);
      }
      for (var kx = firstTapX; kx < params.kernelWidth; kx += STRIDE) {
        var values: array<f32, TILE_Y * TILE_X>;
        for (var j = 0u; j < TILE_X; j++) {
          let column = transposedColumn(phaseX, x0 + j * LANES, kx);
          for (var ty = 0u; ty < TILE_Y; ty++) {
            values[ty * TILE_X + j] = gradOutputAt(gradPlane, rows[ty], column);
          }
        }
        let weights = tileWeights(weightOffsets, outputChannelWeights + ky * params.kernelWidth + kx);
        for (var c = 0u; c < TILE_CHANNELS; c++) {
          for (var k = 0u; k < TILE_Y * TILE_X; k++) {
            sums[c * TILE_Y * TILE_X + k] += values[k] * weights[c];
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
    var offset = 0.0;
    if (params.hasBias != 0u) {
      offset = bias[ci];
    }
    for (var ty = 0u; ty < TILE_Y; ty++) {
      let iy = phaseY + (r0 + ty) * STRIDE;
      if (iy >= params.inHeight) {
        break;
      }
      let inputRow = ((n * params.inChannels + ci) * params.inHeight + iy) * params.inWidth;
      for (var j = 0u; j < TILE_X; j++) {
        let ix = phaseX + (x0 + j * LANES) * STRIDE;
        if (ix < params.inWidth) {
          let value = sums[(c * TILE_Y + ty) * TILE_X + j] + offset;
          gradInput[inputRow + ix] = select(value, max(value, 0.0), params.relu != 0u);
        }
      }
    }
  }
}

// The input gradient (transposed convolution) for stride s > 1, all s x s phases at once: an
// invocation owns TILE_Y input-row blocks i (rows s*i .. s*i + s - 1) at one block column j,
// for TILE_CHANNELS channels. Input row s*i + r reads, through tap ky, dL/dz row
// (s*i + r + padTop - ky) / s = i + d wherever s divides r + padTop - ky. Over every phase r
// and tap, d runs over dLow .. dLow + WINDOW_Y - 1, so the invocation loads that window of
// dL/dz once per output channel, (TILE_Y + WINDOW_Y - 1) x WINDOW_X values, and every phase
// takes its taps from it: for stride 2 and 4 x 4 taps (an upsampled 3 x 3 conv) 3 x 3 values
// a block where backward_input loads 2 x 2 for each of its 4 phases, 16. It pays where the
// channels are few (each loaded value then feeds few multiply-adds in backward_input: the
// notebook's upsampled 12->3 conv): the tuner offers it beside backward_input for stride > 1.
// Unrolled (UNROLL_LOOPS) and with SUBGROUP_SHUFFLES, its weights too are loaded once per dL/dz
// channel: the lanes of a group load the TILE_CHANNELS x kernel-area block between them (every
// LANES-th each: 6 loads a lane for 3 channels of 4 x 4 taps, where a load per tap took 16),
// and each tap takes its weights from the lanes that loaded them. Which lane and which of its
// loads is then a compile-time index; in rolled loops it would be a run-time one, which cost
// 2-2.5x on lavapipe, so rolled variants load a tap's weights as backward_input does.
// The epilogue is backward_input's (bias, ReLU), for conv2d with `upsample`.
@compute @workgroup_size(64)
fn backward_input_all_phases(@builtin(global_invocation_id) id: vec3u, @builtin(local_invocation_index) localIndex: u32, @builtin(num_workgroups) groups: vec3u) {
  let blockRows = (params.inHeight + STRIDE - 1u) / STRIDE;
  let blockColumns = (params.inWidth + STRIDE - 1u) / STRIDE;
  let tile = rowTile(id.x + id.y * groups.x * 64u, blockColumns, (blockRows + TILE_Y - 1u) / TILE_Y, params.inChannels, params.batch);
  if (!tile.valid) {
    return;
  }
  let n = tile.image;
  let j = tile.x0;
  let i0 = tile.row * TILE_Y;
  let ci0 = tile.channel0;
  let kernelArea = KERNEL_HEIGHT * KERNEL_WIDTH;
  let weightOffsets = tileWeightOffsets(ci0, params.inChannels, kernelArea, localIndex);
  let sharedBlock = SUBGROUP_SHUFFLES != 0u && UNROLL_LOOPS != 0u;
  // dLow = ceil((padTop + 1 - kernelHeight) / s); the host offers this kernel only where
  // padTop < kernelHeight (and padLeft < kernelWidth), so the numerator is at most 0.
  let dLowY = -i32((KERNEL_HEIGHT - 1u - PAD_TOP) / STRIDE);
  let dLowX = -i32((KERNEL_WIDTH - 1u - PAD_LEFT) / STRIDE);

  var sums: array<f32, TILE_CHANNELS * STRIDE * STRIDE * TILE_Y>;
  for (var co = 0u; co < params.outChannels; co++) {
    let gradPlane = (n * params.outChannels + co) * params.outHeight * params.outWidth;
    var window: array<f32, (TILE_Y + WINDOW_Y - 1u) * WINDOW_X>;
    for (var a = 0u; a < TILE_Y + WINDOW_Y - 1u; a++) {
      let oy = i32(i0 + a) + dLowY;
      let row = axisPosition(oy, params.outHeight);
      for (var b = 0u; b < WINDOW_X; b++) {
        window[a * WINDOW_X + b] = gradOutputAt(gradPlane, row, axisPosition(i32(j + b) + dLowX, params.outWidth));
      }
    }
    let outputChannelWeights = co * params.inChannels * kernelArea;
    // The shared block: this lane's share of the weights [TILE_CHANNELS, kernel area] from the
    // tile's first channel on (channels past the last re-read its last weight; their sums are
    // never written).
    var loadedWeights: array<f32, TAP_BLOCK_LOADS>;
    if (sharedBlock) {
      let blockStart = outputChannelWeights + ci0 * kernelArea;
      let blockEnd = outputChannelWeights + params.inChannels * kernelArea - 1u;
      for (var k = 0u; k < TAP_BLOCK_LOADS; k++) {
        loadedWeights[k] = weight[min(blockStart + k * LANES + localIndex % LANES, blockEnd)];
      }
    }
    for (var ry = 0u; ry < STRIDE; ry++) {
      for (var dy = 0u; dy < WINDOW_Y; dy++) {
        // The tap row that takes input row s*i + ry to dL/dz row i + dLowY + dy.
        let ky = i32(ry + PAD_TOP) - i32(STRIDE) * (i32(dy) + dLowY);
        if (ky >= 0 && ky < i32(KERNEL_HEIGHT)) {
          for (var rx = 0u; rx < STRIDE; rx++) {
            for (var dx = 0u; dx < WINDOW_X; dx++) {
              let kx = i32(rx + PAD_LEFT) - i32(STRIDE) * (i32(dx) + dLowX);
              if (kx >= 0 && kx < i32(KERNEL_WIDTH)) {
                let tap = u32(ky) * KERNEL_WIDTH + u32(kx);
                var weights: array<f32, TILE_CHANNELS>;
                if (sharedBlock) {
                  for (var c = 0u; c < TILE_CHANNELS; c++) {
                    let element = c * kernelArea + tap;
                    weights[c] = shuffleFromLane(loadedWeights[element / LANES], weightOffsets.groupStart + element % LANES);
                  }
                } else {
                  weights = tileWeights(weightOffsets, outputChannelWeights + tap);
                }
                for (var t = 0u; t < TILE_Y; t++) {
                  let value = window[(t + dy) * WINDOW_X + dx];
                  for (var c = 0u; c < TILE_CHANNELS; c++) {
                    sums[((c * STRIDE + ry) * STRIDE + rx) * TILE_Y + t] += value * weights[c];
                  }
                }
              }
            }
          }
        }
      }
    }
  }

  // The epilogue: as backward_input's, the bias and the ReLU where conv2d with `upsample` asks.
  for (var c = 0u; c < TILE_CHANNELS; c++) {
    if (ci0 + c >= params.inChannels) {
      break;
    }
    var offset = 0.0;
    if (params.hasBias != 0u) {
      offset = bias[ci0 + c];
    }
    for (var t = 0u; t < TILE_Y; t++) {
      for (var ry = 0u; ry < STRIDE; ry++) {
        for (var rx = 0u; rx < STRIDE; rx++) {
          let iy = STRIDE * (i0 + t) + ry;
          let ix = STRIDE * j + rx;
          if (iy < params.inHeight && ix < params.inWidth) {
            let value = sums[((c * STRIDE + ry) * STRIDE + rx) * TILE_Y + t] + offset;
            gradInput[((n * params.inChannels + ci0 + c) * params.inHeight + iy) * params.inWidth + ix] = select(value, max(value, 0.0), params.relu != 0u);
          }
        }
      }
    }
  }
}

// dL/dweight[co, ci, ky, kx] = sum_{n, oy, ox} dL/dz[n, co, oy, ox]
//                              * input[n, ci, oy*stride + ky - padTop, ox*stride + kx - padLeft]
// dL/dbias[co] = sum_{n, oy, ox} dL/dz[n, co, oy, ox]
// where dL/dz (bound as gradOutput) is dL/doutput, masked first under a fused ReLU.
// An invocation owns TILE_CHANNELS output channels x TAP_ROWS whole kernel rows (TAP_ROWS x
// KERNEL_WIDTH taps) of one input channel. It walks its lane's columns (ox = lane, lane +
// LANES, ...) and, down each column, its slice of rows r = n * outHeight + oy. Or, with
// LANES_ON_CHANNELS (which needs SUBGROUP_SHUFFLES), the lanes of a group take LANES
// consecutive input channels and walk every column together: the dL/dz values they all need
// are then loaded once per group (each lane loads every LANES-th and takes the others by
// shuffles), which leaves a lane 1 + KERNEL_WIDTH loads per row where it had TILE_CHANNELS +
// KERNEL_WIDTH, at the price of idle lanes where the input channels are fewer. The input values
// under its taps form a TAP_ROWS x KERNEL_WIDTH window that slides down by `stride` rows from
// one output row to the next: only the rows entering it are loaded (one row of KERNEL_WIDTH
// values for stride 1, where loading every tap costs nine), the rest move up in registers.
// Each dL/dz value loaded is used by every tap and each input value by TILE_CHANNELS channels.
// It writes partialSums[split * LANES + lane, weight element] (with LANES_ON_CHANNELS, each
// lane its own channel's elements of partialSums[split, ...]). The invocations of input
// channel 0 and the first tap tile, which see each dL/dz element exactly once, also sum the
// bias gradient into the columns after the weights: no separate pass over dL/dz for it.
@compute @workgroup_size(64)
fn weight_gradient_partial(@builtin(global_invocation_id) id: vec3u, @builtin(local_invocation_index) localIndex: u32, @builtin(num_workgroups) groups: vec3u) {
  let kernelArea = params.kernelHeight * KERNEL_WIDTH;
  let tapTiles = (params.kernelHeight + TAP_ROWS - 1u) / TAP_ROWS;
  let channelTiles = (params.outChannels + TILE_CHANNELS - 1u) / TILE_CHANNELS;
  let onChannels = LANES_ON_CHANNELS == 1u;
  // Input channels per group of lanes: one, or LANES of them.
  let inputSlots = select(params.inChannels, (params.inChannels + LANES - 1u) / LANES, onChannels);
  var index = id.x + id.y * groups.x * 64u;
  if (index >= LANES * params.splits * tapTiles * inputSlots * channelTiles) {
    return;
  }
  let lane = index % LANES;
  index = index / LANES;
  let split = index % params.splits;
  index = index / params.splits;
  let tapTile = index % tapTiles;
  index = index / tapTiles;
  let slot = index % inputSlots;
  let co0 = (index / inputSlots) * TILE_CHANNELS;
  // Lanes past the last input channel (LANES_ON_CHANNELS) re-read it and write nothing.
  let ownChannel = select(slot, slot * LANES + lane, onChannels);
  let ci = min(ownChannel, params.inChannels - 1u);
  let ky0 = tapTile * TAP_ROWS;
  let seesEachElementOnce = ownChannel == 0u && tapTile == 0u;
  // dL/dz of channel co0 + c is loaded by the group's lane c % LANES (LANES_ON_CHANNELS).
  var upstreamLoadedHere: array<u32, SHARED_LOADS>;
  for (var k = 0u; k < SHARED_LOADS; k++) {
    upstreamLoadedHere[k] = min(co0 + k * LANES + lane, params.outChannels - 1u);
  }
  let groupStart = groupStartLane(localIndex);

  // Each tap row's offset from oy*stride; rows past the kernel repeat the last one and are
  // never written.
  var tapY: array<i32, TAP_ROWS>;
  for (var k = 0u; k < TAP_ROWS; k++) {
    tapY[k] = i32(min(ky0 + k, params.kernelHeight - 1u)) - i32(params.padTop);
  }

  var sums: array<f32, TILE_CHANNELS * WINDOW_TAPS>;
  var biasSums: array<f32, TILE_CHANNELS>;
  let rowStart = split * params.rowsPerSplit;
  let rowEnd = min(rowStart + params.rowsPerSplit, params.batch * params.outHeight);
  for (var ox = select(lane, 0u, onChannels); ox < params.outWidth; ox += select(LANES, 1u, onChannels)) {
    var columns: array<AxisPosition, KERNEL_WIDTH>;
    for (var kx = 0u; kx < KERNEL_WIDTH; kx++) {
      columns[kx] = axisPosition(i32(ox * STRIDE + kx) - i32(params.padLeft), params.inWidth);
    }
    // window[k * KERNEL_WIDTH + kx]: the input under tap (ky0 + k, kx) at output (oy, ox).
    var window: array<f32, WINDOW_TAPS>;
    // The slice's first row, and the first row of each image, fill the whole window.
    var refill = true;
    var n = rowStart / params.outHeight;
    var oy = rowStart % params.outHeight;
    for (var r = rowStart; r < rowEnd; r++) {
      let plane = (n * params.inChannels + ci) * params.inHeight * params.inWidth;
      for (var k = 0u; k < TAP_ROWS; k++) {
        // Row k takes row k + STRIDE's values from the row before only where that is a tap
        // row of the kernel: past its last row the tap rows repeat it (tapY), not move on.
        if (refill || k + STRIDE >= TAP_ROWS || ky0 + k + STRIDE >= params.kernelHeight) {
          let row = axisPosition(i32(oy * STRIDE) + tapY[k], params.inHeight);
          for (var kx = 0u; kx < KERNEL_WIDTH; kx++) {
            window[k * KERNEL_WIDTH + kx] = inputAt(plane, row, columns[kx]);
          }
        } else {
          // Row oy's tap row k + stride is row oy + 1's tap row k.
          for (var kx = 0u; kx < KERNEL_WIDTH; kx++) {
            window[k * KERNEL_WIDTH + kx] = window[(k + STRIDE) * KERNEL_WIDTH + kx];
          }
        }
      }
      var upstream: array<f32, TILE_CHANNELS>;
      let position = oy * params.outWidth + ox;
      if (onChannels) {
        var loaded: array<f32, SHARED_LOADS>;
        for (var k = 0u; k < SHARED_LOADS; k++) {
          loaded[k] = gradOutput[(n * params.outChannels + upstreamLoadedHere[k]) * params.outHeight * params.outWidth + position];
        }
        upstream = shareAcrossGroup(loaded, groupStart);
      } else {
        for (var c = 0u; c < TILE_CHANNELS; c++) {
          upstream[c] = gradOutput[(n * params.outChannels + min(co0 + c, params.outChannels - 1u)) * params.outHeight * params.outWidth + position];
        }
      }
      if (seesEachElementOnce) {
        for (var c = 0u; c < TILE_CHANNELS; c++) {
          biasSums[c] += upstream[c];
        }
      }
      for (var t = 0u; t < WINDOW_TAPS; t++) {
        for (var c = 0u; c < TILE_CHANNELS; c++) {
          sums[c * WINDOW_TAPS + t] += upstream[c] * window[t];
        }
      }
      oy += 1u;
      refill = oy == params.outHeight;
      if (refill) {
        oy = 0u;
        n += 1u;
      }
    }
  }

  if (ownChannel >= params.inChannels) {
    return;
  }
  let weightCount = params.outChannels * params.inChannels * kernelArea;
  let partialRow = select(split * LANES + lane, split, onChannels) * (weightCount + params.hasBias * params.outChannels);
  for (var c = 0u; c < TILE_CHANNELS; c++) {
    let co = co0 + c;
    if (co >= params.outChannels) {
      break;
    }
    for (var t = 0u; t < WINDOW_TAPS; t++) {
      if (ky0 + t / KERNEL_WIDTH < params.kernelHeight) {
        partialSums[partialRow + (co * params.inChannels + ci) * kernelArea + ky0 * KERNEL_WIDTH + t] = sums[c * WINDOW_TAPS + t];
      }
    }
    if (seesEachElementOnce && params.hasBias != 0u) {
      partialSums[partialRow + weightCount + co] = biasSums[c];
    }
  }
}

// conv2d with `upsample` (factor f, nearest neighbour): a convolution over the upsampled image
// up[iy] = x[iy / f] is a transposed convolution of x with stride f. Along one axis, with K
// taps and padding p before:
//   out[y] = sum_k w[k] up[y + k - p] = sum_k w[k] x[(y + k - p) / f]
// and x[i] reaches out[y] through every tap k with f*i <= y + k - p < f*i + f. Writing
// u = y - f*i + (K - 1 - p), those taps are K-1-u <= k <= K-1-u+f-1, so
//   out[y] = sum over i, u with f*i + u - (K - 1 - p) = y of wt[u] x[i],
//   wt[u] = sum of w[k] for k in [K-1-u, K-1-u+f-1] (u = 0 .. K+f-2),
// the transposed convolution (backward_input) with stride f, K + f - 1 taps and padding
// K - 1 - p. For f = 2 and 3 taps, wt = [w2, w1+w2, w0+w1, w0]: each output reads 2 taps of
// x where it read 3 of up, 4 where 9 in 2-D. Its input gradient is the strided convolution
// (forward) of dL/dz with the same wt, 16 taps per x element where it took 9 for each of the
// 4 up elements over it, and dL/dwt is that strided convolution's weight gradient with dL/dz
// as its input and x as its output gradient (weight_gradient_partial): 16 multiply-adds per
// x element where 36. This kernel writes wt[ci, co, u, v] (the channels swap roles: the
// transposed convolution reads them as [its output channel, its input channel, ...]).
@compute @workgroup_size(64)
fn upsampled_weights(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  let f = params.upsample;
  let tapsY = params.kernelHeight + f - 1u;
  let tapsX = params.kernelWidth + f - 1u;
  if (index >= params.inChannels * params.outChannels * tapsY * tapsX) {
    return;
  }
  let v = index % tapsX;
  let u = (index / tapsX) % tapsY;
  let co = (index / (tapsX * tapsY)) % params.outChannels;
  let ci = index / (tapsX * tapsY * params.outChannels);
  // Taps k with K-1-u <= k <= K-1-u+f-1, clipped to the kernel (u <= K+f-2 keeps the lower
  // end's sum non-negative).
  let firstY = max(i32(params.kernelHeight) - 1 - i32(u), 0);
  let lastY = min(params.kernelHeight + f - 2u - u, params.kernelHeight - 1u);
  let firstX = max(i32(params.kernelWidth) - 1 - i32(v), 0);
  let lastX = min(params.kernelWidth + f - 2u - v, params.kernelWidth - 1u);
  let source = (co * params.inChannels + ci) * params.kernelHeight * params.kernelWidth;
  var total = 0.0;
  for (var ky = u32(firstY); ky <= lastY; ky++) {
    for (var kx = u32(firstX); kx <= lastX; kx++) {
      total += weight[source + ky * params.kernelWidth + kx];
    }
  }
  output[index] = total;
}

// dL/dw from dL/dwt (upsampled_weights' adjoint): wt[u] sums w[k] over K-1-u <= k <= K-1-u+f-1,
// so dL/dw[k] = sum of dL/dwt[u] over K-1-k <= u <= K-1-k+f-1 (always inside 0 .. K+f-2), and
// likewise along x. Reads dL/dwt[ci, co, u, v] from input (the strided convolution's weight
// gradient, its partial sums already added by sum_rows) and writes dL/dw to output.
@compute @workgroup_size(64)
fn upsampled_weight_gradient(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  let f = params.upsample;
  if (index >= params.outChannels * params.inChannels * params.kernelHeight * params.kernelWidth) {
    return;
  }
  let kx = index % params.kernelWidth;
  let ky = (index / params.kernelWidth) % params.kernelHeight;
  let ci = (index / (params.kernelWidth * params.kernelHeight)) % params.inChannels;
  let co = index / (params.kernelWidth * params.kernelHeight * params.inChannels);
  let tapsY = params.kernelHeight + f - 1u;
  let tapsX = params.kernelWidth + f - 1u;
  let first = (ci * params.outChannels + co) * tapsY * tapsX;
  var total = 0.0;
  for (var u = params.kernelHeight - 1u - ky; u < params.kernelHeight + f - 1u - ky; u++) {
    for (var v = params.kernelWidth - 1u - kx; v < params.kernelWidth + f - 1u - kx; v++) {
      total += input[first + u * tapsX + v];
    }
  }
  output[index] = total;
}

// dL/dbias[co] = sum over n, y, x of dL/dz[n, co, y, x], for conv2d with `upsample` (whose weight
// gradient runs as the strided convolution's, which never sums dL/dz alone): one invocation per
// (n, co) writes partialSums[n, co], and sum_rows adds the images. Where a plane of dL/dz is a
// whole number of quads, bias_gradient_partial_quads below takes it instead.
@compute @workgroup_size(64)
fn bias_gradient_partial(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  if (index >= params.batch * params.outChannels) {
    return;
  }
  let plane = params.outHeight * params.outWidth;
  var total = 0.0;
  for (var i = 0u; i < plane; i++) {
    total += gradOutput[index * plane + i];
  }
  partialSums[index] = total;
}

@group(0) @binding(8) var<storage, read> gradOutputQuads: array<vec4f>;

// The same sums read as vec4s, for planes of dL/dz a whole number of quads (outHeight * outWidth
// a multiple of 4, as every upsampled plane of the notebook's). LANES invocations share a plane:
// lane l adds its quads l, l + LANES, ..., so the lanes of a vector load adjacent quads, and
// writes partialSums[n * LANES + l, co]; sum_rows adds the rows. On lavapipe a vec4 access
// moves four floats for the cost of about two to three scalar ones (elementwise.ts). Measured
// against the scalar kernel above on lavapipe, alternating: 1.84x as fast on the notebook's
// last bias gradient at batch 256 ([256, 3, 32, 32]) and 1.65x on [256, 12, 16, 16]; at batch
// 32, 1.75x and 0.91x (0.21 against 0.19 ms: there both are near the cost of a dispatch).
// Splitting the plane over the lanes with scalar loads alone measured 0.78-1.08x.
@compute @workgroup_size(64)
fn bias_gradient_partial_quads(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  let lane = index % LANES;
  // n * outChannels + co.
  let plane = index / LANES;
  if (plane >= params.batch * params.outChannels) {
    return;
  }
  let quadsPerPlane = params.outHeight * params.outWidth / 4u;
  var total = vec4f(0.0);
  for (var quad = lane; quad < quadsPerPlane; quad += LANES) {
    total += gradOutputQuads[plane * quadsPerPlane + quad];
  }
  let n = plane / params.outChannels;
  let co = plane % params.outChannels;
  partialSums[(n * LANES + lane) * params.outChannels + co] = total.x + total.y + total.z + total.w;
}
