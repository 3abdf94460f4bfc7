// output = left - right
struct Params { count: u32 }

// #include ../backend/elementwise.prelude.wgsl

@group(0) @binding(0) var<storage, read> left: array<vec4f>;
@group(0) @binding(1) var<storage, read> right: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(3) var<uniform> params: Params;

// #each-quad
fn subtract(index: u32) {
  output[index] = left[index] - right[index];
}
