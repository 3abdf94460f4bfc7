// C[M, N] = A[M, K] * B[K, N], row-major, M a multiple of 128 and N of 64: the plainest
// register-tiled matmul, the ceiling the engine's matmul is held to under each runtime
// (bench/runtime-round.ts). Scalar f32 storage, no workgroup memory, no bounds checks; each of
// a workgroup's 64 invocations keeps 16 rows x 8 columns of sums, its columns interleaved
// with its 7 neighbours' (column = base + j * 8 + lane), so 8 lanes load 8 adjacent B values.
struct Params { m: u32, n: u32, k: u32 }

@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> c: array<f32>;
@group(0) @binding(3) var<uniform> params: Params;

// 1: the engine unrolls the constant loops below before compiling (as it does for wgpu anyway).
const UNROLL_LOOPS: u32 = 0u;

@compute @workgroup_size(8, 8)
fn plain_matmul(@builtin(local_invocation_id) local: vec3u, @builtin(workgroup_id) group: vec3u) {
  let columnBase = group.x * 64u + local.x;
  let rowBase = (group.y * 8u + local.y) * 16u;
  var sums: array<f32, 128>;
  for (var kk = 0u; kk < params.k; kk++) {
    var bValues: array<f32, 8>;
    for (var j = 0u; j < 8u; j++) {
      bValues[j] = b[kk * params.n + columnBase + j * 8u];
    }
    for (var i = 0u; i < 16u; i++) {
      let aValue = a[(rowBase + i) * params.k + kk];
      for (var j = 0u; j < 8u; j++) {
        sums[i * 8u + j] += aValue * bValues[j];
      }
    }
  }
  for (var i = 0u; i < 16u; i++) {
    for (var j = 0u; j < 8u; j++) {
      c[(rowBase + i) * params.n + columnBase + j * 8u] = sums[i * 8u + j];
    }
  }
}
