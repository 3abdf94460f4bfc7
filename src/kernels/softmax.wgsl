// softmax over the channel axis of [N, C, ...] (NCHW: the C values at each pixel):
//   y[c] = exp(x[c] - m) / sum over k of exp(x[k] - m),  m = max over k of x[k]
// (subtracting the largest value changes nothing but keeps exp from overflowing).
struct Params { batch: u32, channels: u32, plane: u32 }

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradInput: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

// #include channels.prelude.wgsl

@compute @workgroup_size(64)
fn forward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let pixel = pixelOf(id, groups);
  if (pixel >= params.batch * params.plane) {
    return;
  }
  let base = firstChannel(pixel);
  var largest = input[base];
  for (var c = 1u; c < params.channels; c++) {
    largest = max(largest, input[base + c * params.plane]);
  }
  var total = 0.0;
  for (var c = 0u; c < params.channels; c++) {
    let e = exp(input[base + c * params.plane] - largest);
    output[base + c * params.plane] = e;
    total += e;
  }
  let inverse = 1.0 / total;
  for (var c = 0u; c < params.channels; c++) {
    output[base + c * params.plane] *= inverse;
  }
}

// With y the saved output and g = dL/dy: dy[c]/dx[k] = y[c] ([c = k] - y[k]), so
//   dL/dx[k] = sum over c of g[c] y[c] ([c = k] - y[k]) = y[k] (g[k] - sum over c of g[c] y[c]).
@compute @workgroup_size(64)
fn backward(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let pixel = pixelOf(id, groups);
  if (pixel >= params.batch * params.plane) {
    return;
  }
  let base = firstChannel(pixel);
  var weighted = 0.0;
  for (var c = 0u; c < params.channels; c++) {
    weighted += gradOutput[base + c * params.plane] * output[base + c * params.plane];
  }
  for (var c = 0u; c < params.channels; c++) {
    let i = base + c * params.plane;
    gradInput[i] = output[i] * (gradOutput[i] - weighted);
  }
}
