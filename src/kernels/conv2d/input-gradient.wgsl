// conv2d input gradient: the transposed convolution, phase by phase or all phases at once.
// #include prelude.wgsl

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
// loads is then a compile-time index; in rolled loops it would be a run-time one, far slower
// on lavapipe, so rolled variants load a tap's weights as backward_input does.
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
