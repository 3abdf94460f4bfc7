// conv2d weight and bias gradients: partial sums over slices of rows, added by sum.wgsl.
// #include prelude.wgsl

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
