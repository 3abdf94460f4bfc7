// C[M, N] = A[M, K] * B[K, N], row-major. The engine's FLOP/s ceiling probe (bench/) and a
// building block for dense layers.
//
// Shaped for lavapipe (which runs 8 invocations of a workgroup in the lanes of one AVX
// register) and for GPUs alike: each invocation keeps ROWS x COLUMNS accumulators; its
// columns are interleaved with its neighbours' (column = base + lane + j * LANES), so the
// 8 lanes of a warp or vector load 8 adjacent B values, and every A value is one broadcast.
// ROWS and COLUMNS are specialised per adapter by the tuner (matmul.ts offers the variants).
struct Params { m: u32, n: u32, k: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const ROWS: u32 = 8u;
const COLUMNS: u32 = 8u;
const LANES: u32 = 8u;

@compute @workgroup_size(8, 8)
fn matmul(@builtin(local_invocation_id) local: vec3u, @builtin(workgroup_id) group: vec3u) {
  let columnBase = group.x * LANES * COLUMNS + local.x;
  let rowBase = (group.y * 8u + local.y) * ROWS;
  var sums: array<f32, ROWS * COLUMNS>;
  for (var kk = 0u; kk < params.k; kk++) {
    var bValues: array<f32, COLUMNS>;
    for (var j = 0u; j < COLUMNS; j++) {
      let column = columnBase + j * LANES;
      bValues[j] = select(0.0, b[kk * params.n + min(column, params.n - 1u)], column < params.n);
    }
    for (var i = 0u; i < ROWS; i++) {
      let aValue = a[min(rowBase + i, params.m - 1u) * params.k + kk];
      for (var j = 0u; j < COLUMNS; j++) {
        sums[i * COLUMNS + j] += aValue * bValues[j];
      }
    }
  }
  for (var i = 0u; i < ROWS; i++) {
    let row = rowBase + i;
    for (var j = 0u; j < COLUMNS; j++) {
      let column = columnBase + j * LANES;
      if (row < params.m && column < params.n) {
        c[row * params.n + column] = sums[i * COLUMNS + j];
      }
    }
  }
}
