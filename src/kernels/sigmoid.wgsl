// sigmoid(x) = 1 / (1 + exp(-x)), evaluated so that exp never overflows.
struct Params { count: u32 }

// #include ../backend/elementwise.prelude.wgsl

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(2) var<storage, read> gradOutput: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> gradInput: array<vec4f>;
@group(0) @binding(4) var<uniform> params: Params;

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
