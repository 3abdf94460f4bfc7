// Elementwise kernels (add, scale, relu, the losses, the optimiser updates ...) take
// ELEMENTS elements per invocation, strided by the invocation count (see their ELEMENTS
// const); this is how many invocations cover `count` elements.
export const ELEMENTS_PER_INVOCATION = 8;

export function elementwiseInvocations(count: number): number {
  return Math.ceil(count / ELEMENTS_PER_INVOCATION);
}
