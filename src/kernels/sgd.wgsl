// SGD with momentum, as Keras (nesterov off):
//   velocity = momentum * velocity - learningRate * gradient
//   weight   = weight + velocity
struct Params { count: u32, learningRate: f32, momentum: f32 }

// #include ../backend/elementwise.prelude.wgsl

@group(0) @binding(0) var<storage, read_write> weight: array<vec4f>;
@group(0) @binding(1) var<storage, read> gradient: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> velocity: array<vec4f>;
@group(0) @binding(3) var<uniform> params: Params;

// #each-quad
fn update(index: u32) {
  let v = params.momentum * velocity[index] - params.learningRate * gradient[index];
  velocity[index] = v;
  weight[index] = weight[index] + v;
}
