// Mean squared error: loss = (p - t)^2.
// d loss / dp = 2 (p - t).
// #include loss.prelude.wgsl

// #sum-quads losses
fn loss(index: u32) -> vec4f {
  let difference = prediction[index] - expected[index];
  return difference * difference;
}

// #each-quad
fn gradient(index: u32) {
  let g = gradOutput[0] * params.scale;
  gradPrediction[index] = g * 2.0 * (prediction[index] - expected[index]);
}
