// The ceilings every benchmark divides by: plain, stand-alone kernels, timed beside the work
// in the same runtime and run, never the engine's own kernels (a slow engine kernel as the
// denominator makes the ceiling look low). The plain matmul (kernels/plain-matmul.wgsl) sets
// the adapter's FLOP/s; the plain direct conv (kernels/plain-conv.wgsl) the rate a conv pass
// or a training step can be held to; the engine's own matmul is measured as a row of its own.
// Both plain kernels are written with constant loops and unrolled on every runtime.
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import { Random } from '../random.ts';
import { fastestInAlternatingRounds, measure } from '../tuning/measure.ts';
import { tune } from '../tuning/tuner.ts';
import { matmul, plainMatmul } from './kernels/matmul.ts';
import { plainConv, plainConvFlops, type PlainConvShape } from './kernels/plain-conv.ts';

/** Work to time: `encode` encodes one run of `flops` FLOPs; `dispose` frees its tensors. */
export interface TimedWork {
  readonly flops: number;
  encode(): void;
  dispose(): void;
}

/**
 * The training step's ceiling conv: the notebook's 12-channel layers at full resolution
 * (32 x 32, 12 -> 12, 3 x 3 `same`), at the batch of the training it stands beside.
 */
export const TRAINING_CEILING_CONV: Omit<PlainConvShape, 'batch'> = {
  height: 32,
  width: 32,
  inChannels: 12,
  outChannels: 12,
};

function keptTensors(engine: Engine, shapes: readonly (readonly number[])[], seed: number): Tensor[] {
  const random = new Random(seed);
  return shapes.map((shape) => engine.tensor(random.values(shape.reduce((a, b) => a * b, 1)), [...shape]).keep());
}

function timedWork(tensors: readonly Tensor[], flops: number, encode: () => void): TimedWork {
  return { flops, encode, dispose: () => tensors.forEach((tensor) => tensor.dispose()) };
}

/**
 * The plain matmul at size^3 (size a multiple of 128), unrolled (`unroll` false: as written,
 * its loops left to the engine's setting).
 */
export function plainMatmulWork(engine: Engine, size: number, unroll = true): TimedWork {
  const [a, b] = keptTensors(
    engine,
    [
      [size, size],
      [size, size],
    ],
    1,
  );
  return timedWork([a!, b!], 2 * size ** 3, () => void plainMatmul(engine, a!, b!, unroll));
}

/** The plain direct conv at `shape`, unrolled (`unroll` false: as written). */
export function plainConvWork(engine: Engine, shape: PlainConvShape, unroll = true): TimedWork {
  const [input, weight] = keptTensors(
    engine,
    [
      [shape.batch, shape.height, shape.width, shape.inChannels],
      [3, 3, shape.inChannels, shape.outChannels],
    ],
    2,
  );
  return timedWork(
    [input!, weight!],
    plainConvFlops(shape),
    () => void plainConv(engine, input!, weight!, shape, unroll),
  );
}

/** The engine's own matmul at size^3, its tile tuned for this adapter first: a row beside the ceilings, never one of them. */
export async function engineMatmulWork(engine: Engine, size: number): Promise<TimedWork> {
  const [a, b] = keptTensors(
    engine,
    [
      [size, size],
      [size, size],
    ],
    1,
  );
  const encode = () => void matmul(engine, a!, b!);
  await tune(engine, encode);
  return timedWork([a!, b!], 2 * size ** 3, encode);
}

export const gigaflops = (work: TimedWork, milliseconds: number) => work.flops / milliseconds / 1e6;

/** A turn of fastestInAlternatingRounds that times `encode` (three samples, their median). */
export const timeRun = (engine: Engine, encode: () => void) => () => measure(engine, encode, { samples: 3 });

/** The same for `work`. */
export const timeWork = (engine: Engine, work: TimedWork) => timeRun(engine, () => work.encode());

/** GFLOP/s of each of `works`, the fastest of `rounds` alternating rounds each. */
export async function measureGigaflops(engine: Engine, works: readonly TimedWork[], rounds = 3): Promise<number[]> {
  const milliseconds = await fastestInAlternatingRounds(
    works.map((work) => timeWork(engine, work)),
    rounds,
  );
  return works.map((work, i) => gigaflops(work, milliseconds[i]!));
}

/** The plain matmul and the engine's matmul at size^3, alternating: GFLOP/s of each. */
export async function matmulRates(
  engine: Engine,
  size: number,
  rounds = 3,
): Promise<{ plainMatmulGflops: number; engineMatmulGflops: number }> {
  const works = [plainMatmulWork(engine, size), await engineMatmulWork(engine, size)];
  try {
    const [plainMatmulGflops, engineMatmulGflops] = await measureGigaflops(engine, works, rounds);
    return { plainMatmulGflops: plainMatmulGflops!, engineMatmulGflops: engineMatmulGflops! };
  } finally {
    works.forEach((work) => work.dispose());
  }
}
