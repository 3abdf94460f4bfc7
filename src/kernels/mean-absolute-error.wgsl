// Mean absolute error: loss = abs(p - t).
// d loss / dp = sign(p - t). Tie rule: the gradient at p = t exactly is 0 (WGSL's sign(0) = 0).
// #include loss.prelude.wgsl

// #sum-quads losses
fn loss(index: u32) -> vec4f {
  return abs(prediction[index] - expected[index]);
}

// #each-quad
fn gradient(index: u32) {
  let g = gradOutput[0] * params.scale;
  gradPrediction[index] = g * sign(prediction[index] - expected[index]);
}
