// tanh(x). The argument is clamped to +-15 (where tanh is 1 in float32) because some
// drivers return NaN from tanh for large |x|.
// #include unary.prelude.wgsl

// #each-quad
fn forward(index: u32) {
  output[index] = tanh(clamp(input[index], vec4f(-15.0), vec4f(15.0)));
}

// d tanh / dx = 1 - y^2, with y the forward output.
// #each-quad
fn backward(index: u32) {
  let y = output[index];
  gradInput[index] = gradOutput[index] * (1.0 - y * y);
}
