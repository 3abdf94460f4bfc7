// Reductions.
// sum_partial: each workgroup adds 2048 consecutive elements (8 per invocation, then a tree
//   in workgroup memory) and writes scale * total to output[workgroup]; repeated until one
//   value is left. Pairwise tree sums keep float32 rounding error near log2(n) ulps.
// sum_rows: output[column] = scale * sum over rows of input[row * rowLength + firstColumn + column]
//   for column < columns (combines the split partial sums of the conv weight and bias
//   gradients, which share rows: weights first, then biases).
// sum_rows_pair: the same sums, the first splitColumn columns into output and the rest into
//   outputTail: a conv's weight and bias gradients in one dispatch.
// broadcast: output[i] = scale * source[0] (the backward of a full sum or mean).
struct Params { count: u32, columns: u32, scale: f32, rowLength: u32, firstColumn: u32, splitColumn: u32 }

@group(0) @binding(0) var<storage, read> input: array<f32>;
@group(0) @binding(1) var<storage, read_write> output: array<f32>;
@group(0) @binding(2) var<uniform> params: Params;
@group(0) @binding(3) var<storage, read_write> outputTail: array<f32>;

const WORKGROUP: u32 = 256u;
const PER_INVOCATION: u32 = 8u;

var<workgroup> partial: array<f32, 256>;

@compute @workgroup_size(256)
fn sum_partial(@builtin(local_invocation_id) local: vec3u, @builtin(workgroup_id) group: vec3u,
               @builtin(num_workgroups) groups: vec3u) {
  let groupIndex = group.x + group.y * groups.x;
  let start = groupIndex * WORKGROUP * PER_INVOCATION;
  var total = 0.0;
  for (var k = 0u; k < PER_INVOCATION; k++) {
    let i = start + k * WORKGROUP + local.x;
    if (i < params.count) {
      total += input[i];
    }
  }
  partial[local.x] = total;
  workgroupBarrier();
  for (var stride = WORKGROUP / 2u; stride > 0u; stride = stride / 2u) {
    if (local.x < stride) {
      partial[local.x] += partial[local.x + stride];
    }
    workgroupBarrier();
  }
  // Workgroups past the end (a 2-D grid rounds up) contribute nothing and write nothing.
  if (local.x == 0u && start < params.count) {
    output[groupIndex] = partial[0] * params.scale;
  }
}

fn columnSum(column: u32) -> f32 {
  let rows = params.count / params.rowLength;
  var total = 0.0;
  for (var row = 0u; row < rows; row++) {
    total += input[row * params.rowLength + params.firstColumn + column];
  }
  return total * params.scale;
}

@compute @workgroup_size(64)
fn sum_rows(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let column = id.x + id.y * groups.x * 64u;
  if (column < params.columns) {
    output[column] = columnSum(column);
  }
}

@compute @workgroup_size(64)
fn sum_rows_pair(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let column = id.x + id.y * groups.x * 64u;
  if (column < params.splitColumn) {
    output[column] = columnSum(column);
  } else if (column < params.columns) {
    outputTail[column - params.splitColumn] = columnSum(column);
  }
}

@compute @workgroup_size(64)
fn broadcast(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  if (index < params.count) {
    output[index] = input[0] * params.scale;
  }
}
