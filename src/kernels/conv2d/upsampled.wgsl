// conv2d with `upsample`: the upsampled weights, their gradient folded back, and the bias gradient.
// #include prelude.wgsl

// conv2d with `upsample` (factor f, nearest neighbour): a convolution over the upsampled image
// up[iy] = x[iy / f] is a transposed convolution of x with stride f. Along one axis, with K
// taps and padding p before:
//   out[y] = sum_k w[k] up[y + k - p] = sum_k w[k] x[(y + k - p) / f]
// and x[i] reaches out[y] through every tap k with f*i <= y + k - p < f*i + f. Writing
// u = y - f*i + (K - 1 - p), those taps are K-1-u <= k <= K-1-u+f-1, so
//   out[y] = sum over i, u with f*i + u - (K - 1 - p) = y of wt[u] x[i],
//   wt[u] = sum of w[k] for k in [K-1-u, K-1-u+f-1] (u = 0 .. K+f-2),
// the transposed convolution (backward_input) with stride f, K + f - 1 taps and padding
// K - 1 - p. For f = 2 and 3 taps, wt = [w2, w1+w2, w0+w1, w0]: each output reads 2 taps of
// x where it read 3 of up, 4 where 9 in 2-D. Its input gradient is the strided convolution
// (forward) of dL/dz with the same wt, 16 taps per x element where it took 9 for each of the
// 4 up elements over it, and dL/dwt is that strided convolution's weight gradient with dL/dz
// as its input and x as its output gradient (weight_gradient_partial): 16 multiply-adds per
// x element where 36. This kernel writes wt[ci, co, u, v] (the channels swap roles: the
// transposed convolution reads them as [its output channel, its input channel, ...]).
@compute @workgroup_size(64)
fn upsampled_weights(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  let f = params.upsample;
  let tapsY = params.kernelHeight + f - 1u;
  let tapsX = params.kernelWidth + f - 1u;
  if (index >= params.inChannels * params.outChannels * tapsY * tapsX) {
    return;
  }
  let v = index % tapsX;
  let u = (index / tapsX) % tapsY;
  let co = (index / (tapsX * tapsY)) % params.outChannels;
  let ci = index / (tapsX * tapsY * params.outChannels);
  // Taps k with K-1-u <= k <= K-1-u+f-1, clipped to the kernel (u <= K+f-2 keeps the lower
  // end's sum non-negative).
  let firstY = max(i32(params.kernelHeight) - 1 - i32(u), 0);
  let lastY = min(params.kernelHeight + f - 2u - u, params.kernelHeight - 1u);
  let firstX = max(i32(params.kernelWidth) - 1 - i32(v), 0);
  let lastX = min(params.kernelWidth + f - 2u - v, params.kernelWidth - 1u);
  let source = (co * params.inChannels + ci) * params.kernelHeight * params.kernelWidth;
  var total = 0.0;
  for (var ky = u32(firstY); ky <= lastY; ky++) {
    for (var kx = u32(firstX); kx <= lastX; kx++) {
      total += weight[source + ky * params.kernelWidth + kx];
    }
  }
  output[index] = total;
}

// dL/dw from dL/dwt (upsampled_weights' adjoint): wt[u] sums w[k] over K-1-u <= k <= K-1-u+f-1,
// so dL/dw[k] = sum of dL/dwt[u] over K-1-k <= u <= K-1-k+f-1 (always inside 0 .. K+f-2), and
// likewise along x. Reads dL/dwt[ci, co, u, v] from input (the strided convolution's weight
// gradient, its partial sums already added by sum_rows) and writes dL/dw to output.
@compute @workgroup_size(64)
fn upsampled_weight_gradient(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  let f = params.upsample;
  if (index >= params.outChannels * params.inChannels * params.kernelHeight * params.kernelWidth) {
    return;
  }
  let kx = index % params.kernelWidth;
  let ky = (index / params.kernelWidth) % params.kernelHeight;
  let ci = (index / (params.kernelWidth * params.kernelHeight)) % params.inChannels;
  let co = index / (params.kernelWidth * params.kernelHeight * params.inChannels);
  let tapsY = params.kernelHeight + f - 1u;
  let tapsX = params.kernelWidth + f - 1u;
  let first = (ci * params.outChannels + co) * tapsY * tapsX;
  var total = 0.0;
  for (var u = params.kernelHeight - 1u - ky; u < params.kernelHeight + f - 1u - ky; u++) {
    for (var v = params.kernelWidth - 1u - kx; v < params.kernelWidth + f - 1u - kx; v++) {
      total += input[first + u * tapsX + v];
    }
  }
  output[index] = total;
}

// dL/dbias[co] = sum over n, y, x of dL/dz[n, co, y, x], for conv2d with `upsample` (whose weight
// gradient runs as the strided convolution's, which never sums dL/dz alone): one invocation per
// (n, co) writes partialSums[n, co], and sum_rows adds the images. Where a plane of dL/dz is a
// whole number of quads, bias_gradient_partial_quads below takes it instead.
@compute @workgroup_size(64)
fn bias_gradient_partial(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  if (index >= params.batch * params.outChannels) {
    return;
  }
  let plane = params.outHeight * params.outWidth;
  var total = 0.0;
  for (var i = 0u; i < plane; i++) {
    total += gradOutput[index * plane + i];
  }
  partialSums[index] = total;
}

@group(0) @binding(8) var<storage, read> gradOutputQuads: array<vec4f>;

// The same sums read as vec4s, for planes of dL/dz a whole number of quads (outHeight * outWidth
// a multiple of 4, as every upsampled plane of the notebook's). LANES invocations share a plane:
// lane l adds its quads l, l + LANES, ..., so the lanes of a vector load adjacent quads, and
// writes partialSums[n * LANES + l, co]; sum_rows adds the rows. On lavapipe a vec4 access
// moves four floats for the cost of about two to three scalar ones (elementwise.ts), and it
// beats the scalar kernel above wherever the plane is large (docs/performance.md); splitting
// the plane over the lanes with scalar loads alone does not.
@compute @workgroup_size(64)
fn bias_gradient_partial_quads(@builtin(global_invocation_id) id: vec3u, @builtin(num_workgroups) groups: vec3u) {
  let index = id.x + id.y * groups.x * 64u;
  let lane = index % LANES;
  // n * outChannels + co.
  let plane = index / LANES;
  if (plane >= params.batch * params.outChannels) {
    return;
  }
  let quadsPerPlane = params.outHeight * params.outWidth / 4u;
  var total = vec4f(0.0);
  for (var quad = lane; quad < quadsPerPlane; quad += LANES) {
    total += gradOutputQuads[plane * quadsPerPlane + quad];
  }
  let n = plane / params.outChannels;
  let co = plane % params.outChannels;
  partialSums[(n * LANES + lane) * params.outChannels + co] = total.x + total.y + total.z + total.w;
}
