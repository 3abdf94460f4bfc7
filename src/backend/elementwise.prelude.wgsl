// Shared by every elementwise kernel (#include). They take QUADS vec4s (8 elements) per
// invocation: quad, quad + invocations, ... (elementwise.ts says why, and where the last
// quad's padding goes). Their loop frames are written once, in scripts/embed-wgsl.mjs
// (#each-quad, #sum-quads); a kernel writes what it does to one quad at `index`.
const QUADS: u32 = 2u;

/** The sum of a quad's elements that lie before `count`: the last quad's others are padding. */
fn sumBeforeCount(values: vec4f, quad: u32) -> f32 {
  let inside = vec4u(quad * 4u) + vec4u(0u, 1u, 2u, 3u) < vec4u(params.count);
  return dot(select(vec4f(0.0), values, inside), vec4f(1.0));
}
