// Binary cross-entropy from logits x, stable for any x:
//   loss = max(x, 0) - x t + log(1 + exp(-abs(x)))   (= BCE of sigmoid(x), without overflow)
// d loss / dx = sigmoid(x) - t.
// #include loss.prelude.wgsl

// #sum-quads losses
fn loss(index: u32) -> vec4f {
  let x = prediction[index];
  return max(x, vec4f(0.0)) - x * expected[index] + log(1.0 + exp(-abs(x)));
}

// #each-quad
fn gradient(index: u32) {
  let g = gradOutput[0] * params.scale;
  let x = prediction[index];
  let e = exp(-abs(x));
  let probability = select(e / (1.0 + e), 1.0 / (1.0 + e), x >= vec4f(0.0));
  gradPrediction[index] = g * (probability - expected[index]);
}
