// add: output = left + right.   accumulate: accumulator += addend (gradient accumulation).
struct Params { count: u32 }

// #include ../backend/elementwise.prelude.wgsl

@group(0) @binding(0) var<storage, read> left: array<vec4f>;
@group(0) @binding(1) var<storage, read> right: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> accumulator: array<vec4f>;
@group(0) @binding(4) var<storage, read> addend: array<vec4f>;
@group(0) @binding(5) var<uniform> params: Params;

// #each-quad
fn add(index: u32) {
  output[index] = left[index] + right[index];
}

// #each-quad
fn accumulate(index: u32) {
  accumulator[index] = accumulator[index] + addend[index];
}
