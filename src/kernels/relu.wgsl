// relu(x) = max(x, 0). Tie rule: the gradient at exactly x = 0 is 0 (the mask is x > 0).
// #include unary.prelude.wgsl

// #each-quad
fn forward(index: u32) {
  output[index] = max(input[index], vec4f(0.0));
}

// d relu / dx = 1 where x > 0, else 0.
// #each-quad
fn backward(index: u32) {
  gradInput[index] = select(vec4f(0.0), gradOutput[index], input[index] > vec4f(0.0));
}
