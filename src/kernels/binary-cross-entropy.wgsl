// Binary cross-entropy on probabilities, with Keras' clipping p' = clamp(p, eps, 1 - eps):
//   loss = -(t log p' + (1 - t) log(1 - p')),  eps = 1e-7.
// d loss / dp = (p' - t) / (p' (1 - p')) for eps <= p <= 1 - eps, and 0 outside, where the
//   clip is flat. Tie rule: at p = eps or p = 1 - eps exactly the gradient passes (as
//   TensorFlow's clip_by_value).
// #include loss.prelude.wgsl

const EPSILON: f32 = 1e-7;

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
