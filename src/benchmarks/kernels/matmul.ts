// Dense matrix product on the GPU (matmul.wgsl) and its float64 reference.
import { ShapeError } from '../../errors.ts';
import { formatShape } from '../../shapes.ts';
import type { Engine } from '../../backend/engine.ts';
import type { Tensor } from '../../backend/tensor.ts';
import { wgsl } from '#wgsl/benchmarks';

/** matmul.wgsl: a workgroup of 8 x 8 invocations; each lane's columns interleave with 7 others'. */
const WORKGROUP_SIDE = 8;
const LANES = 8;

/**
 * Accumulators per invocation: the heuristic first (16 x 8, the plain kernel's tile, which beat
 * 8 x 8 on lavapipe and on SwiftShader), then smaller tiles for the tuner. COLUMNS is a
 * multiple of 4 (matmul.wgsl accumulates in vec4s).
 */
const TILES = [
  [16, 8],
  [8, 8],
  [4, 8],
  [8, 4],
  [4, 4],
  [2, 8],
  [2, 4],
  [1, 8],
  [1, 4],
].map(([ROWS, COLUMNS]) => ({ ROWS: ROWS!, COLUMNS: COLUMNS! }));

/** Encodes C = A B for A [m, k] and B [k, n]. */
export function matmul(engine: Engine, a: Tensor, b: Tensor): Tensor {
  if (a.shape.length !== 2 || b.shape.length !== 2 || a.shape[1] !== b.shape[0]) {
    throw new ShapeError(`matmul: expected [m, k] x [k, n], got ${formatShape(a.shape)} x ${formatShape(b.shape)}`);
  }
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const c = engine.empty([m, n], 'matmul');
  const tile = engine.tuning.choose(`matmul ${m}x${k} * ${k}x${n}`, () => TILES);
  engine.dispatch(wgsl.matmul, 'matmul', {
    bindings: { a, b, c },
    params: { m, n, k },
    specialization: tile,
    workgroups: [Math.ceil(n / (LANES * tile.COLUMNS)), Math.ceil(m / (WORKGROUP_SIDE * tile.ROWS))],
  });
  return c;
}

/**
 * Encodes C = A B with plain-matmul.wgsl, the ceiling: m a multiple of 128, n of 64. `unroll`
 * true unrolls its constant loops before compiling on any runtime; false leaves that to the
 * engine (which unrolls on wgpu unless created with unrollLoops: false).
 */
export function plainMatmul(engine: Engine, a: Tensor, b: Tensor, unroll: boolean): Tensor {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  if (m % 128 !== 0 || n % 64 !== 0 || b.shape[0] !== k)
    throw new ShapeError(
      `plainMatmul: needs m % 128 = 0 and n % 64 = 0, got ${formatShape(a.shape)} x ${formatShape(b.shape)}`,
    );
  const c = engine.empty([m, n], 'plain matmul');
  engine.dispatch(wgsl.plainMatmul, 'plain_matmul', {
    bindings: { a, b, c },
    params: { m, n, k },
    specialization: { UNROLL_LOOPS: unroll ? 1 : 0 },
    workgroups: [n / 64, m / 128],
  });
  return c;
}

export function referenceMatmul(a: Float64Array, b: Float64Array, m: number, k: number, n: number): Float64Array {
  const c = new Float64Array(m * n);
  for (let i = 0; i < m; i++)
    for (let kk = 0; kk < k; kk++) for (let j = 0; j < n; j++) c[i * n + j] += a[i * k + kk]! * b[kk * n + j]!;
  return c;
}

/** Encodes a copy of `input` (the bandwidth probe). */
export function copy(engine: Engine, input: Tensor): Tensor {
  const output = engine.empty(input.shape, 'copy');
  const invocations = Math.ceil(input.size / 16); // copy.wgsl: 4 vec4s per invocation
  engine.dispatch(wgsl.copy, 'copy', { bindings: { input, output }, params: { count: input.size }, invocations });
  return output;
}
