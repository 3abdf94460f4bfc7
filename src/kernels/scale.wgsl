// output = factor * input. Also the copy and negation used by add's and subtract's backward.
struct Params { count: u32, factor: f32 }

// #include ../backend/elementwise.prelude.wgsl

@group(0) @binding(0) var<storage, read> input: array<vec4f>;
@group(0) @binding(1) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(2) var<uniform> params: Params;

// #each-quad
fn scale(index: u32) {
  output[index] = params.factor * input[index];
}
