// conv2d forward: the convolution, with its bias and ReLU epilogue (conv2d.ts, forward).
// #include prelude.wgsl

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
