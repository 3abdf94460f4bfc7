// output[i] = value. Used for constants, zero-initialised state and the tests' poison fill.
struct Params { count: u32, value: f32 }

// #include elementwise.prelude.wgsl

@group(0) @binding(0) var<storage, read_write> output: array<vec4f>;
@group(0) @binding(1) var<uniform> params: Params;

// #each-quad
fn fill(index: u32) {
  output[index] = vec4f(params.value);
}
