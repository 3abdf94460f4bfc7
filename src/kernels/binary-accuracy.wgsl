// Keras' binary accuracy, elementwise: 1 where the target equals the prediction thresholded
// at 0.5 (prediction > 0.5 -> 1, else 0), else 0. Each of the `invocations` writes how many
// of its 8 elements match (as the losses do), and sum.wgsl takes the mean.
// With continuous targets (pixel values) only targets of exactly 0 or 1 can ever match.
struct Params { count: u32, invocations: u32 }

// #include ../backend/elementwise.prelude.wgsl

@group(0) @binding(0) var<storage, read> prediction: array<vec4f>;
@group(0) @binding(1) var<storage, read> expected: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> matches: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// #sum-quads matches
fn forward(index: u32) -> vec4f {
  let predicted = select(vec4f(0.0), vec4f(1.0), prediction[index] > vec4f(0.5));
  return select(vec4f(0.0), vec4f(1.0), expected[index] == predicted);
}
