// relu(x) = max(x, 0). Tie rule: the gradient at exactly x = 0 is 0 (the mask is x > 0).
struct Params { count: u32 }

// #include ../backend/elementwise.prelude.wgsl

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(2) var<storage, read> gradOutput: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> gradInput: array<vec4f>;
@group(0) @binding(4) var<uniform> params: Params;

// #each-quad
fn forward(index: u32) {
  output[index] = max(input[index], vec4f(0.0));
}

// d relu / dx = 1 where x > 0, else 0.
// #each-quad
fn backward(index: u32) {
  gradInput[index] = select(vec4f(0.0), gradOutput[index], input[index] > vec4f(0.0));
}
