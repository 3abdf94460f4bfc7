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
// The common 2x2 pool of stride 2 without padding, on rows a whole number of quads wide (the
// notebook's), has kernels of its own at the end: forward_quads and backward_quads.
struct Params {
  batch: u32, channels: u32, inHeight: u32, inWidth: u32, outHeight: u32, outWidth: u32,
  padTop: u32, padLeft: u32, relu: u32,
}

// #include rows.prelude.wgsl
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

// forward_quads and backward_quads: the 2x2 pool of stride 2 without padding, on input rows
// of 4 * QUADS_PER_ROW columns and an even number of rows. An invocation takes a vec4 of 4
// adjacent columns from a window row and the vec4 below it, i.e. two windows side by side,
// and writes their two outputs as a vec2 (forward) or their 8 gradients as two vec4s
// (backward). On lavapipe a vec4 access costs far less than four scalar ones (elementwise.ts),
// and neighbouring lanes take neighbouring quads, where the kernels above read every second
// column (faster at the notebook's shapes, forward and backward: docs/performance.md).
// Output row r (over batch, channels and rows) reads input rows 2r and 2r + 1, so the pair
// of windows at index i of the output pairs has its top quad at i + (i / QUADS_PER_ROW) *
// QUADS_PER_ROW. Same tie rule and ReLU as above.
@group(0) @binding(5) var<storage, read> inputQuads: array<vec4f>;
@group(0) @binding(6) var<storage, read_write> outputPairs: array<vec2f>;
@group(0) @binding(7) var<storage, read> gradOutputPairs: array<vec2f>;
@group(0) @binding(8) var<storage, read_write> gradInputQuads: array<vec4f>;

// inWidth / 4, specialised per shape: the division by it compiles to a multiply.
const QUADS_PER_ROW: u32 = 8u;
// Window pairs per invocation, strided by the invocation count.
const PAIRS: u32 = 2u;

/** The arg-max of two side-by-side windows (0-3 in row-major window order) and their maxima. */
struct PairMax {
  best: vec2u,
  value: vec2f,
}

fn pairMax(top: vec4f, bottom: vec4f) -> PairMax {
  // The windows are (x, y) and (z, w) of each row; strict '>' keeps the first maximum.
  var best = vec2u(0u);
  var value = top.xz;
  var better = top.yw > value;
  best = select(best, vec2u(1u), better);
  value = select(value, top.yw, better);
  better = bottom.xz > value;
  best = select(best, vec2u(2u), better);
  value = select(value, bottom.xz, better);
  better = bottom.yw > value;
  best = select(best, vec2u(3u), better);
  value = select(value, bottom.yw, better);
  return PairMax(best, value);
}

fn topQuad(pair: u32) -> u32 {
  return pair + (pair / QUADS_PER_ROW) * QUADS_PER_ROW;
}

fn pairCount() -> u32 {
  return params.batch * params.channels * params.outHeight * QUADS_PER_ROW;
}

@compute @workgroup_size(64)
fn forward_quads(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  let invocations = groups.x * groups.y * 64u;
  for (var step = 0u; step < PAIRS; step++) {
    let pair = invocation + step * invocations;
    if (pair < pairCount()) {
      let top = topQuad(pair);
      let value = pairMax(inputQuads[top], inputQuads[top + QUADS_PER_ROW]).value;
      outputPairs[pair] = select(value, max(value, vec2f(0.0)), params.relu == 1u);
    }
  }
}

@compute @workgroup_size(64)
fn backward_quads(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let invocation = id.x + id.y * groups.x * 64u;
  let invocations = groups.x * groups.y * 64u;
  for (var step = 0u; step < PAIRS; step++) {
    let pair = invocation + step * invocations;
    if (pair < pairCount()) {
      let top = topQuad(pair);
      let windows = pairMax(inputQuads[top], inputQuads[top + QUADS_PER_ROW]);
      // As passesGradient: always, or under `relu` only where the maximum is > 0.
      let passes = vec2<bool>(params.relu == 0u) | (windows.value > vec2f(0.0));
      let upstream = select(vec2f(0.0), gradOutputPairs[pair], passes).xxyy;
      let best = windows.best.xxyy;
      gradInputQuads[top] = select(vec4f(0.0), upstream, best == vec4u(0u, 1u, 0u, 1u));
      gradInputQuads[top + QUADS_PER_ROW] = select(vec4f(0.0), upstream, best == vec4u(2u, 3u, 2u, 3u));
    }
  }
}
