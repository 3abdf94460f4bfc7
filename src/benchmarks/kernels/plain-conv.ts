// The plain direct convolution (plain-conv.wgsl), a ceiling for the engine's conv passes, and
// its float64 reference.
import { ShapeError } from '../../errors.ts';
import type { Engine } from '../../backend/engine.ts';
import type { Tensor } from '../../backend/tensor.ts';
import { wgsl } from '#wgsl/benchmarks';

/** Adjacent pixels of a row per invocation (plain-conv.wgsl's PIXELS). */
export const PLAIN_CONV_PIXELS = 8;

export interface PlainConvShape {
  readonly batch: number;
  readonly height: number;
  readonly width: number;
  readonly inChannels: number;
  readonly outChannels: number;
}

/** FLOPs of one run, every tap counted, padding included, as the engine's conv passes count theirs (2 N H W Cout Cin 9). */
export function plainConvFlops(shape: PlainConvShape): number {
  return 2 * shape.batch * shape.height * shape.width * shape.inChannels * shape.outChannels * 9;
}

/**
 * Encodes the 3x3 `same` convolution of input [N, H, W, Cin] by weight [3, 3, Cin, Cout] into
 * [N, H, W, Cout]. `unroll` true unrolls its constant loops before compiling on any runtime;
 * false leaves that to the engine (which unrolls on wgpu).
 */
export function plainConv(
  engine: Engine,
  input: Tensor,
  weight: Tensor,
  shape: PlainConvShape,
  unroll: boolean,
): Tensor {
  const { batch, height, width, inChannels, outChannels } = shape;
  if (width % PLAIN_CONV_PIXELS !== 0)
    throw new ShapeError(`plainConv: the width (${width}) must be a multiple of ${PLAIN_CONV_PIXELS}`);
  if (input.size !== batch * height * width * inChannels || weight.size !== 9 * inChannels * outChannels) {
    throw new ShapeError(
      `plainConv: input of ${input.size} and weight of ${weight.size} elements do not fit ${JSON.stringify(shape)}`,
    );
  }
  const output = engine.empty([batch, height, width, outChannels], 'plain conv');
  engine.dispatch(wgsl.plainConv, 'plain_conv', {
    bindings: { input, weight, output },
    params: { batch, height, width, inChannels },
    specialization: { IN_CHANNELS: inChannels, OUT_CHANNELS: outChannels, UNROLL_LOOPS: unroll ? 1 : 0 },
    invocations: (batch * height * width) / PLAIN_CONV_PIXELS,
  });
  return output;
}

export function referencePlainConv(input: Float64Array, weight: Float64Array, shape: PlainConvShape): Float64Array {
  const { batch, height, width, inChannels, outChannels } = shape;
  const output = new Float64Array(batch * height * width * outChannels);
  for (let n = 0; n < batch; n++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        for (let ky = 0; ky < 3; ky++)
          for (let kx = 0; kx < 3; kx++) {
            const iy = y + ky - 1;
            const ix = x + kx - 1;
            if (iy < 0 || iy >= height || ix < 0 || ix >= width) continue;
            for (let ci = 0; ci < inChannels; ci++) {
              const value = input[((n * height + iy) * width + ix) * inChannels + ci]!;
              for (let co = 0; co < outChannels; co++) {
                output[((n * height + y) * width + x) * outChannels + co] +=
                  value * weight[((ky * 3 + kx) * inChannels + ci) * outChannels + co]!;
              }
            }
          }
  return output;
}
