// Adam, as Keras (epsilon outside the square root, bias correction folded into the step):
//   m = m + (1 - beta1) * (gradient - m)
//   v = v + (1 - beta2) * (gradient^2 - v)
//   weight = weight - stepSize * m / (sqrt(v) + epsilon),
//   stepSize = learningRate * sqrt(1 - beta2^t) / (1 - beta1^t), computed in float64 by the host.
struct Params { count: u32, stepSize: f32, beta1: f32, beta2: f32, epsilon: f32 }

// #include ../backend/elementwise.prelude.wgsl

@group(0) @binding(0) var<storage, read_write> weight: array<vec4f>;
@group(0) @binding(1) var<storage, read> gradient: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> firstMoment: array<vec4f>;
@group(0) @binding(3) var<storage, read_write> secondMoment: array<vec4f>;
@group(0) @binding(4) var<uniform> params: Params;

// #each-quad
fn update(index: u32) {
  let g = gradient[index];
  let m = firstMoment[index] + (1.0 - params.beta1) * (g - firstMoment[index]);
  let v = secondMoment[index] + (1.0 - params.beta2) * (g * g - secondMoment[index]);
  firstMoment[index] = m;
  secondMoment[index] = v;
  weight[index] = weight[index] - params.stepSize * m / (sqrt(v) + params.epsilon);
}
