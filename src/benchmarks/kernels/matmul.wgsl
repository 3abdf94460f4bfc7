// C[M, N] = A[M, K] * B[K, N], row-major. The engine's FLOP/s ceiling probe (bench/) and a
// building block for dense layers.
//
// Shaped for lavapipe (which runs 8 invocations of a workgroup in the lanes of one AVX
// register) and for GPUs alike: each invocation keeps ROWS x COLUMNS accumulators; its
// columns are interleaved with its neighbours' (column = base + lane + j * LANES), so the
// 8 lanes of a warp or vector load 8 adjacent B values, and every A value is one broadcast.
// ROWS and COLUMNS are specialised per adapter by the tuner (matmul.ts offers the variants).
//
// The accumulators are vec4s, four of an invocation's columns each: under Deno's wgpu an
// array of 64 scalar f32 accumulators ran at 4.8 GFLOP/s on lavapipe and 16 vec4s at 17.1;
// under Dawn the two are within noise (16.7-17.1 against 16.5-18.3).
struct Params { m: u32, n: u32, k: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

const ROWS: u32 = 8u;
// A multiple of 4.
const COLUMNS: u32 = 8u;
const QUADS: u32 = COLUMNS / 4u;
const LANES: u32 = 8u;

@compute @workgroup_size(8, 8)
fn matmul(@builtin(local_invocation_id) local: vec3u, @builtin(workgroup_id) group: vec3u) {
  let columnBase = group.x * LANES * COLUMNS + local.x;
  let rowBase = (group.y * 8u + local.y) * ROWS;
  var sums: array<vec4f, ROWS * QUADS>;
  for (var kk = 0u; kk < params.k; kk++) {
    // Columns past the end read the last column, so every load stays in bounds with no select;
    // their sums are never written.
    var bValues: array<vec4f, QUADS>;
    for (var q = 0u; q < QUADS; q++) {
      var quad: vec4f;
      for (var e = 0u; e < 4u; e++) {
        quad[e] = b[kk * params.n + min(columnBase + (q * 4u + e) * LANES, params.n - 1u)];
      }
      bValues[q] = quad;
    }
    for (var i = 0u; i < ROWS; i++) {
      let aValue = a[min(rowBase + i, params.m - 1u) * params.k + kk];
      for (var q = 0u; q < QUADS; q++) {
        sums[i * QUADS + q] += aValue * bValues[q];
      }
    }
  }
  for (var i = 0u; i < ROWS; i++) {
    let row = rowBase + i;
    for (var q = 0u; q < QUADS; q++) {
      for (var e = 0u; e < 4u; e++) {
        let column = columnBase + (q * 4u + e) * LANES;
        if (row < params.m && column < params.n) {
          c[row * params.n + column] = sums[i * QUADS + q][e];
        }
      }
    }
  }
}
