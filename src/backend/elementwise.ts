// Elementwise kernels (add, scale, relu, the losses, the optimiser updates ...) read and write
// their tensors as vec4s, QUADS = 2 of them (8 elements) per invocation, strided by the
// invocation count: quad, quad + invocations, ... (see their QUADS const).
// Why vec4s: on lavapipe these kernels are bound by their storage accesses, and a vec4 access
// moves four floats for the cost of about two to three scalar ones, and 8 elements per
// invocation beat one (docs/performance.md, "Figures behind the code"). A GPU coalesces either way.
// The padding: a tensor of `count` elements covers ceil(count / 4) quads, the last of which may
// run up to 3 floats past `count`. Every storage buffer is sized in whole 16-byte steps
// (BufferPool.roundedSize), so those floats exist: an elementwise kernel computes on them and
// writes its results there, where nothing reads them, and a kernel that sums (the losses,
// binary accuracy) masks them out. The engine refuses to bind a buffer whose size is not a
// whole number of a binding's elements (Dispatcher.bindGroup, dispatch.ts).
export const ELEMENTS_PER_INVOCATION = 8;

export function elementwiseInvocations(count: number): number {
  return Math.ceil(count / ELEMENTS_PER_INVOCATION);
}
