// Shared by the losses with mean reduction (loss.ts). Both entry points take the quads
// invocation, invocation + invocations, ... for each of `invocations` invocations. The mean
// is taken by the host: each invocation of `loss` writes the sum of its 8 losses, which
// sum.wgsl reduces (an eighth of the stores, and of the loads for the sum, that per-element
// losses took). `gradient` multiplies by scale = 1 / count and by dL/dmean = gradOutput[0].
struct Params { count: u32, scale: f32, invocations: u32 }

// #include ../backend/elementwise.prelude.wgsl

@group(0) @binding(0) var<storage, read> prediction: array<vec4f>;
@group(0) @binding(1) var<storage, read> expected: array<vec4f>;
@group(0) @binding(2) var<storage, read_write> losses: array<f32>;
@group(0) @binding(3) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(4) var<storage, read_write> gradPrediction: array<vec4f>;
@group(0) @binding(5) var<uniform> params: Params;
