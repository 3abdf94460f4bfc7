// Cross-entropy between softmax(x) over the channel axis of [N, C, ...] and targets t of the
// same shape, summed over the channels at each pixel:
//   l = sum over c of t[c] (lse - x[c]),  lse = m + log(sum over k of exp(x[k] - m)),  m = max x
// (= -sum t[c] log softmax(x)[c], without ever taking the log of a rounded-down probability).
// Targets need not sum to 1: a pixel's target mass is its weight, so class-rebalanced soft
// targets (w t with t a distribution) make the weighted cross-entropy in one input.
// `loss` writes each pixel's l (sum.wgsl takes the mean).
struct Params { batch: u32, channels: u32, plane: u32, scale: f32 }

@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> targets: array<f32>;
@group(0) @binding(2) var<storage, read_write> losses: array<f32>;
@group(0) @binding(3) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(4) var<storage, read_write> gradLogits: array<f32>;
@group(0) @binding(5) var<uniform> params: Params;

// #include channels.prelude.wgsl

fn largestLogit(base: u32) -> f32 {
  var largest = logits[base];
  for (var c = 1u; c < params.channels; c++) {
    largest = max(largest, logits[base + c * params.plane]);
  }
  return largest;
}

/** sum over c of exp(x[c] - largest). */
fn exponentialSum(base: u32, largest: f32) -> f32 {
  var total = 0.0;
  for (var c = 0u; c < params.channels; c++) {
    total += exp(logits[base + c * params.plane] - largest);
  }
  return total;
}

@compute @workgroup_size(64)
fn loss(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let pixel = pixelOf(id, groups);
  if (pixel >= params.batch * params.plane) {
    return;
  }
  let base = firstChannel(pixel);
  let largest = largestLogit(base);
  let logSumExp = largest + log(exponentialSum(base, largest));
  var total = 0.0;
  for (var c = 0u; c < params.channels; c++) {
    let i = base + c * params.plane;
    total += targets[i] * (logSumExp - logits[i]);
  }
  losses[pixel] = total;
}

// dl/dx[k] = sum over c of t[c] (softmax(x)[k] - [c = k]) = softmax(x)[k] T - t[k],  T = sum t[c];
// times dL/dl = gradOutput[0] * scale (scale = 1 / pixels: the mean).
@compute @workgroup_size(64)
fn gradient(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let pixel = pixelOf(id, groups);
  if (pixel >= params.batch * params.plane) {
    return;
  }
  let base = firstChannel(pixel);
  let largest = largestLogit(base);
  let inverseTotal = 1.0 / exponentialSum(base, largest);
  var mass = 0.0;
  for (var c = 0u; c < params.channels; c++) {
    mass += targets[base + c * params.plane];
  }
  let g = gradOutput[0] * params.scale;
  for (var c = 0u; c < params.channels; c++) {
    let i = base + c * params.plane;
    gradLogits[i] = g * (exp(logits[i] - largest) * inverseTotal * mass - targets[i]);
  }
}
