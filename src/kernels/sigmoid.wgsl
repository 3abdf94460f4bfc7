// sigmoid(x) = 1 / (1 + exp(-x)), evaluated so that exp never overflows.
// #include unary.prelude.wgsl

// #each-quad
fn forward(index: u32) {
  let x = input[index];
  let e = exp(-abs(x));
  output[index] = select(e / (1.0 + e), 1.0 / (1.0 + e), x >= vec4f(0.0));
}

// d sigmoid / dx = y (1 - y), with y the forward output (the saved output, not recomputed).
// #each-quad
fn backward(index: u32) {
  let y = output[index];
  gradInput[index] = gradOutput[index] * y * (1.0 - y);
}
