// 2-D max pooling, NCHW: output[n, c, oy, ox] = max over the window rows
//   oy*stride - padTop .. + poolSize - 1 and columns ox*stride - padLeft .. + poolSize - 1,
//   ignoring window positions outside the input (padding never wins).
//
// Tie rule: when several window positions hold the maximum, the first in row-major window
// order (smallest row, then smallest column) is the arg-max and alone receives the gradient.
//
// With `relu` = 1 the output is max(window max, 0): a ReLU after the pool, which equals the
// pool of a ReLU (both are monotone), so a conv's ReLU can move here and its backward pass
// needs no mask of its own. The arg-max then passes the gradient only where its value is
// > 0 (relu's tie rule: none at exactly 0), and the pool already holds that value.
//
// Invocations walk rows with their lane's columns (x = lane, lane + LANES, ...), so integer
// divisions happen per row, not per element (lavapipe has no vector integer division).
struct Params {
  batch: u32, channels: u32, inHeight: u32, inWidth: u32, outHeight: u32, outWidth: u32,
  padTop: u32, padLeft: u32, relu: u32,
}

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradInput: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

const LANES: u32 = 8u;
// The window's size and stride, specialised per shape by the host: the window loops unroll.
const POOL_SIZE: u32 = 2u;
const STRIDE: u32 = 2u;

/** A window's arg-max, by the tie rule above: its flat index within the plane, and its value. */
struct WindowMax {
  position: u32,
  value: f32,
}

fn argMax(plane: u32, oy: u32, ox: u32) -> WindowMax {
  let top = i32(oy * STRIDE) - i32(params.padTop);
  let left = i32(ox * STRIDE) - i32(params.padLeft);
  var best = 0u;
  var bestValue = 0.0;
  var found = false;
  for (var dy = 0u; dy < POOL_SIZE; dy++) {
    let iy = top + i32(dy);
    if (iy < 0 || iy >= i32(params.inHeight)) {
      continue;
    }
    for (var dx = 0u; dx < POOL_SIZE; dx++) {
      let ix = left + i32(dx);
      if (ix < 0 || ix >= i32(params.inWidth)) {
        continue;
      }
      let position = u32(iy) * params.inWidth + u32(ix);
      let value = input[plane + position];
      if (!found || value > bestValue) { // strict '>': the first maximum wins ties
        best = position;
        bestValue = value;
        found = true;
      }
    }
  }
  return WindowMax(best, bestValue);
}

/** Whether the arg-max passes its gradient on: always, or under `relu` only where its value is > 0. */
fn passesGradient(windowMax: WindowMax) -> bool {
  return params.relu == 0u || windowMax.value > 0.0;
}

/** The output row an invocation walks (with its lane's columns) in forward and backward_windows. */
struct OutputRow {
  valid: bool,
  lane: u32,
  /** (plane, oy) flattened: the row's index in the output. */
  row: u32,
  oy: u32,
  /** The offset of the input plane. */
  plane: u32,
}

fn outputRow(invocation: u32) -> OutputRow {
  let row = invocation / LANES;
  let valid = row < params.batch * params.channels * params.outHeight;
  return OutputRow(valid, invocation % LANES, row, row % params.outHeight, (row / params.outHeight) * params.inHeight * params.inWidth);
}

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let walk = outputRow(id.x + id.y * groups.x * 64u);
  if (!walk.valid) {
    return;
  }
  let lane = walk.lane;
  let row = walk.row;
  let oy = walk.oy;
  let plane = walk.plane;
  for (var ox = lane; ox < params.outWidth; ox += LANES) {
    let value = argMax(plane, oy, ox).value;
    output[row * params.outWidth + ox] = select(value, max(value, 0.0), params.relu == 1u);
  }
}

// Non-overlapping windows (stride >= poolSize): every input position lies in at most one
// window, so each window writes its whole footprint: dL/doutput at the arg-max, 0 elsewhere.
// Positions outside every window are zeroed by the host first.
@compute @workgroup_size(64)
fn backward_windows(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let walk = outputRow(id.x + id.y * groups.x * 64u);
  if (!walk.valid) {
    return;
  }
  let lane = walk.lane;
  let row = walk.row;
  let oy = walk.oy;
  let plane = walk.plane;
  let top = i32(oy * STRIDE) - i32(params.padTop);
  for (var ox = lane; ox < params.outWidth; ox += LANES) {
    let windowMax = argMax(plane, oy, ox);
    let best = windowMax.position;
    let upstream = select(0.0, gradOutput[row * params.outWidth + ox], passesGradient(windowMax));
    let left = i32(ox * STRIDE) - i32(params.padLeft);
    for (var dy = 0u; dy < POOL_SIZE; dy++) {
      let iy = top + i32(dy);
      for (var dx = 0u; dx < POOL_SIZE; dx++) {
        let ix = left + i32(dx);
        if (iy >= 0 && iy < i32(params.inHeight) && ix >= 0 && ix < i32(params.inWidth)) {
          let position = u32(iy) * params.inWidth + u32(ix);
          gradInput[plane + position] = select(0.0, upstream, position == best);
        }
      }
    }
  }
}

// Overlapping windows (stride < poolSize): dL/dinput[i] = sum of dL/doutput[w] over the
// windows w whose arg-max is i, gathered per input element (no atomics): the windows
// containing (iy, ix) are those with oy*stride - padTop <= iy <= oy*stride - padTop + poolSize - 1.
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  let lane = index % LANES;
  let row = index / LANES; // (plane, iy)
  if (row >= params.batch * params.channels * params.inHeight) {
    return;
  }
  let iy = i32(row % params.inHeight);
  let planeIndex = row / params.inHeight;
  let plane = planeIndex * params.inHeight * params.inWidth;
  let stride = i32(STRIDE);
  let pool = i32(POOL_SIZE);
  // First window reaching iy: smallest oy with oy*stride >= iy + padTop - pool + 1.
  let oyStart = max(0, (iy + i32(params.padTop) - pool + 1 + stride - 1) / stride);
  let oyEnd = min(i32(params.outHeight) - 1, (iy + i32(params.padTop)) / stride);
  for (var x = lane; x < params.inWidth; x += LANES) {
    let ix = i32(x);
    let oxStart = max(0, (ix + i32(params.padLeft) - pool + 1 + stride - 1) / stride);
    let oxEnd = min(i32(params.outWidth) - 1, (ix + i32(params.padLeft)) / stride);
    let position = u32(iy) * params.inWidth + x;
    var total = 0.0;
    for (var oy = oyStart; oy <= oyEnd; oy++) {
      for (var ox = oxStart; ox <= oxEnd; ox++) {
        let windowMax = argMax(plane, u32(oy), u32(ox));
        if (windowMax.position == position && passesGradient(windowMax)) {
          total += gradOutput[(planeIndex * params.outHeight + u32(oy)) * params.outWidth + u32(ox)];
        }
      }
    }
    gradInput[plane + position] = total;
  }
}
