// RMSprop, as Keras (not centred, no momentum; epsilon inside the square root):
//   meanSquare = rho * meanSquare + (1 - rho) * gradient^2
//   weight     = weight - learningRate * gradient / sqrt(meanSquare + epsilon)
struct Params { count: u32, learningRate: f32, rho: f32, epsilon: f32 }

// #include ../backend/elementwise.prelude.wgsl

@group(0) @binding(0) var<storage, read_write> weight: array<vec4f>;
@group(0) @binding(1) var<storage, read> gradient: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> meanSquare: array<vec4f>;
@group(0) @binding(3) var<uniform> params: Params;

// #each-quad
fn update(index: u32) {
  let g = gradient[index];
  let s = params.rho * meanSquare[index] + (1.0 - params.rho) * g * g;
  meanSquare[index] = s;
  weight[index] = weight[index] - params.learningRate * g / sqrt(s + params.epsilon);
}
