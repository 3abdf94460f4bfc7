// Nearest-neighbour upsampling by an integer factor f, NCHW:
//   output[n, c, y, x] = input[n, c, y / f, x / f]   (integer division).
// Each invocation walks one input row with its lane's columns (ix = lane, lane + LANES, ...),
// so the only divisions are per row: lavapipe has no vector integer division.
struct Params { batch: u32, channels: u32, inHeight: u32, inWidth: u32, factor: u32 }

// #include rows.prelude.wgsl

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  let lane = index % LANES;
  let row = index / LANES; // (plane, input row)
  if (row >= params.batch * params.channels * params.inHeight) {
    return;
  }
  let outWidth = params.inWidth * params.factor;
  for (var ix = lane; ix < params.inWidth; ix += LANES) {
    let value = input[row * params.inWidth + ix];
    for (var dy = 0u; dy < params.factor; dy++) {
      let outputRow = (row * params.factor + dy) * outWidth + ix * params.factor;
      for (var dx = 0u; dx < params.factor; dx++) {
        output[outputRow + dx] = value;
      }
    }
  }
}

// Every output in the f x f block of (y, x) copies input (y, x), so
// dL/dinput[n, c, y, x] = sum over the block of dL/doutput.
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  let lane = index % LANES;
  let row = index / LANES;
  if (row >= params.batch * params.channels * params.inHeight) {
    return;
  }
  let outWidth = params.inWidth * params.factor;
  for (var ix = lane; ix < params.inWidth; ix += LANES) {
    var total = 0.0;
    for (var dy = 0u; dy < params.factor; dy++) {
      let outputRow = (row * params.factor + dy) * outWidth + ix * params.factor;
      for (var dx = 0u; dx < params.factor; dx++) {
        total += gradOutput[outputRow + dx];
      }
    }
    gradInput[row * params.inWidth + ix] = total;
  }
}
