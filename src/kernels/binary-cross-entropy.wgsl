// Binary cross-entropy on probabilities, with Keras' clipping p' = clamp(p, eps, 1 - eps):
//   loss = -(t log p' + (1 - t) log(1 - p')),  eps = 1e-7.
// d loss / dp = (p' - t) / (p' (1 - p')) for eps <= p <= 1 - eps, and 0 outside, where the
//   clip is flat. Tie rule: at p = eps or p = 1 - eps exactly the gradient passes (as
//   TensorFlow's clip_by_value).
// Both entry points take the quads invocation, invocation + invocations, ... for each of
// `invocations` invocations. The mean over all elements is taken by the host: each invocation
// of `loss` writes the sum of its 8 losses, which sum.wgsl reduces (an eighth of the
// stores, and of the loads for the sum, that per-element losses took). `gradient` multiplies
// by scale = 1 / count and by dL/dmean = gradOutput[0].
struct Params { count: u32, scale: f32, invocations: u32 }

// #include ../backend/elementwise.prelude.wgsl

const EPSILON: f32 = 1e-7;

@group(0) @binding(0) var<storage, read> prediction: array<vec4f>;
@group(0) @binding(1) var<storage, read> expected: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> losses: array<f32>;
@group(0) @binding(3) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(4) var<storage, read_write> gradPrediction: array<vec4f>;
@group(0) @binding(5) var<uniform> params: Params;

// #sum-quads losses
fn loss(index: u32) -> vec4f {
  let p = clamp(prediction[index], vec4f(EPSILON), vec4f(1.0 - EPSILON));
  let t = expected[index];
  return -(t * log(p) + (1.0 - t) * log(1.0 - p));
}

// #each-quad
fn gradient(index: u32) {
  let g = gradOutput[0] * params.scale;
  let raw = prediction[index];
  let p = clamp(raw, vec4f(EPSILON), vec4f(1.0 - EPSILON));
  let inside = (raw >= vec4f(EPSILON)) & (raw <= vec4f(1.0 - EPSILON));
  gradPrediction[index] = select(vec4f(0.0), g * (p - expected[index]) / (p * (1.0 - p)), inside);
}
