// Shared by the kernels over the channel axis of [N, C, ...] (softmax, softmaxCrossEntropy):
// one invocation per pixel (n, p), its C values `plane` floats apart, adjacent invocations on
// adjacent pixels so that the lanes of a vector or warp read adjacent floats. The including
// file declares `params` with batch, channels and plane.

/** This invocation's pixel, or a value >= params.batch * params.plane past the last. */
fn pixelOf(id: vec3u, groups: vec3u) -> u32 {
  return id.x + id.y * groups.x * 64u;
}

/** The index of pixel `pixel`'s channel 0. */
fn firstChannel(pixel: u32) -> u32 {
  return (pixel / params.plane) * params.channels * params.plane + pixel % params.plane;
}
