// Shared by the kernels that walk image rows (max-pool2d, upsample2d): their tensors as scalar
// arrays, and LANES adjacent invocations on adjacent columns of a row.
@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<storage, read> gradOutput: array<f32>;
@group(0) @binding(3) var<storage, read_write> gradInput: array<f32>;
@group(0) @binding(4) var<uniform> params: Params;

const LANES: u32 = 8u;
