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
// check, even a weight that all lanes share: one costs several multiply-adds,
// so a tile's speed is its multiply-adds per load, and large tiles win (conv2d.ts).
// Where the device has subgroups (tuning/subgroups.ts), the lanes of a group share the
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
// (its register tile is then indexed at run time, in memory), which is slower than unrolled.
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
