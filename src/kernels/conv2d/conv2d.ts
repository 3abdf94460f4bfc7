// conv2d: input [N, Cin, H, W], weight [Cout, Cin, KH, KW], optional bias [Cout], and an
// optional ReLU fused into it (Keras' activation='relu'): the output is max(z, 0) of the
// convolution z, and the backward passes mask the incoming gradient by output > 0.
// With `upsample` f > 1 the input is first upsampled by nearest neighbour (each value an f x f
// block), as Keras' UpSampling2D before a Conv2D, without the upsampled image ever being
// stored: the forward pass is then a transposed convolution of the stored input (4 taps per
// output where 9, for f = 2 and 3 x 3 kernels; the derivation is in upsampled.wgsl).
// The kernels are in this folder, one .wgsl file per pass with a shared prelude; their tiles
// (what the tuner may vary) in tiles.ts; the float64 reference below is the specification they
// are tested against.
import { defineOp, type HostTensor } from '../op.ts';
import { requireFusedActivation } from '../../shapes.ts';
import {
  conv2dGeometry,
  transposedGeometry,
  type Conv2dActivation,
  type Conv2dAttributes,
  type Conv2dGeometry,
} from './geometry.ts';
import { forwardTile, LANES, transposedTile, weightGradientTile } from './tiles.ts';
import { encodeSumRows } from '../sum.ts';
import { relu } from '../relu.ts';
import { upsample2d } from '../upsample2d.ts';
import type { Tensor } from '../../backend/tensor.ts';
import type { Engine } from '../../backend/engine.ts';
import type { ParamsOf } from '../../backend/kernel-library.ts';
import { wgsl } from '#wgsl/kernels';

export {
  conv2dGeometry,
  upsampledMultiplyAddShare,
  type Conv2dActivation,
  type Conv2dAttributes,
  type Conv2dGeometry,
} from './geometry.ts';
import type { Op } from '../op.ts';

/**
 * Encodes dL/dweight of conv2d with `upsample` into gradWeight: the strided convolution's weight
 * gradient (dL/dwt), folded back. (A fold that added the partial sums' rows itself, one
 * dispatch fewer, was slower: its invocations each walk every row.)
 */
function upsampledWeightGradient(
  engine: Engine,
  g: Conv2dGeometry,
  input: Tensor,
  gradOutput: Tensor,
  gradWeight: Tensor,
): void {
  const t = transposedGeometry(g);
  const partialSums = encodeWeightGradientPartials(engine, t, gradOutput, input, false);
  const gradUpsampled = engine.empty(
    [t.outChannels, t.inChannels, t.kernelHeight, t.kernelWidth],
    'conv2d upsampled weight gradient',
  );
  encodeSumRows(engine, partialSums, 0, [gradUpsampled]);
  partialSums.dispose();
  engine.dispatch(wgsl.conv2dUpsampled, 'upsampled_weight_gradient', {
    bindings: { input: gradUpsampled, output: gradWeight },
    params: params(g, false, {}),
    invocations: gradWeight.size,
  });
  gradUpsampled.dispose();
}

/**
 * Encodes dL/dbias of conv2d with `upsample` into gradBias: dL/dz summed per image and channel
 * (per image, channel and lane where its planes are whole quads: bias_gradient_partial_quads),
 * then over the rows.
 */
function upsampledBiasGradient(engine: Engine, g: Conv2dGeometry, gradOutput: Tensor, gradBias: Tensor): void {
  const quads = (g.outHeight * g.outWidth) % 4 === 0;
  const partialSums = engine.empty([g.batch * (quads ? LANES : 1), g.outChannels], 'conv2d bias gradient partial sums');
  const request = { params: params(g, false, {}), invocations: partialSums.size };
  if (quads)
    engine.dispatch(wgsl.conv2dUpsampled, 'bias_gradient_partial_quads', {
      bindings: { gradOutputQuads: gradOutput, partialSums },
      ...request,
    });
  else
    engine.dispatch(wgsl.conv2dUpsampled, 'bias_gradient_partial', {
      bindings: { gradOutput, partialSums },
      ...request,
    });
  encodeSumRows(engine, partialSums, 0, [gradBias]);
  partialSums.dispose();
}

/** Encodes the upsampled weights wt[inChannels, outChannels, K + f - 1, K + f - 1] of conv2d with `upsample` f. */
function upsampledWeights(engine: Engine, weight: Tensor, g: Conv2dGeometry): Tensor {
  const t = transposedGeometry(g);
  const upsampled = engine.empty(
    [t.outChannels, t.inChannels, t.kernelHeight, t.kernelWidth],
    'conv2d upsampled weights',
  );
  engine.dispatch(wgsl.conv2dUpsampled, 'upsampled_weights', {
    bindings: { weight, output: upsampled },
    params: params(g, false, {}),
    invocations: upsampled.size,
  });
  return upsampled;
}

function params(
  geometry: Conv2dGeometry,
  hasBias: boolean,
  attributes: Conv2dAttributes,
  split = { splits: 1, rowsPerSplit: 1 },
): ParamsOf<typeof wgsl.conv2dForward, 'forward'> {
  return { ...geometry, hasBias: hasBias ? 1 : 0, relu: activationOf(attributes) === 'relu' ? 1 : 0, ...split };
}

function activationOf(attributes: Conv2dAttributes): Conv2dActivation {
  return requireFusedActivation(attributes.activation, 'conv2d activation');
}

/**
 * Encodes weight_gradient_partial: partial sums [rows, weights (+ biases)] of dL/dweight (and
 * dL/dbias with `hasBias`), one row per slice of rows and lane, for sum_rows to add.
 */
function encodeWeightGradientPartials(
  engine: Engine,
  g: Conv2dGeometry,
  input: Tensor,
  gradOutput: Tensor,
  hasBias: boolean,
): Tensor {
  const { split, partialRows, invocations, specialization } = weightGradientTile(engine, g);
  const weightCount = g.outChannels * g.inChannels * g.kernelHeight * g.kernelWidth;
  const partialSums = engine.empty(
    [partialRows, weightCount + (hasBias ? g.outChannels : 0)],
    'conv2d gradient partial sums',
  );
  engine.dispatch(wgsl.conv2dWeightGradient, 'weight_gradient_partial', {
    bindings: { input, gradOutput, partialSums },
    params: params(g, hasBias, {}, split),
    invocations,
    specialization,
  });
  return partialSums;
}

export const conv2d: Op<Conv2dAttributes> = defineOp<Conv2dAttributes>({
  name: 'conv2d',
  inputNames: ['input', 'weight', 'bias?'],
  differentiable: [true, true, true],
  outputShape([input, weight, bias], attributes) {
    const g = conv2dGeometry(input!, weight!, bias, attributes);
    activationOf(attributes);
    return [g.batch, g.outChannels, g.outHeight, g.outWidth];
  },
  forward(engine, [input, weight, bias], attributes, output) {
    const g = conv2dGeometry(input!.shape, weight!.shape, bias?.shape, attributes);
    if (attributes.plain) {
      const {
        splits: _splits,
        rowsPerSplit: _rows,
        upsample: _upsample,
        ...plainParams
      } = params(g, bias !== undefined, attributes);
      engine.dispatch(wgsl.conv2dPlain, 'forward_plain', {
        bindings: { input: input!, weight: weight!, bias: bias ?? weight!, output },
        params: plainParams,
        invocations: output.size,
      });
      return;
    }
    if (g.upsample === 1) {
      engine.dispatch(wgsl.conv2dForward, 'forward', {
        // Without a bias the weight is bound in its place (read-only, never read: hasBias = 0).
        bindings: { input: input!, weight: weight!, bias: bias ?? weight!, output },
        params: params(g, bias !== undefined, attributes),
        ...forwardTile(engine, g),
      });
      return;
    }
    // The transposed convolution of the stored input by the upsampled weights, whose epilogue
    // adds the bias and applies the ReLU.
    const transposed = transposedGeometry(g);
    const upsampled = upsampledWeights(engine, weight!, g);
    const { entryPoint, ...tiling } = transposedTile(engine, transposed);
    engine.dispatch(wgsl.conv2dInputGradient, entryPoint, {
      bindings: { weight: upsampled, gradOutput: input!, bias: bias ?? upsampled, gradInput: output },
      params: params(transposed, bias !== undefined, attributes),
      ...tiling,
    });
    upsampled.dispose();
  },
  // With z the convolution and y = relu(z) (or y = z): dL/dz = dL/dy * [y > 0] (or dL/dy).
  //   dL/dinput[n, ci, iy, ix] = sum over the taps that read it of weight * dL/dz  (backward_input)
  //   dL/dweight[co, ci, ky, kx] = sum over n, oy, ox of dL/dz * input             (weight_gradient_partial)
  //   dL/dbias[co] = sum over n, oy, ox of dL/dz                                    (the same pass)
  // Under a ReLU, dL/dz is computed once by relu.wgsl's backward ([y > 0] is [z > 0]): both
  // passes read it, and the weight gradient would otherwise load y once per input channel.
  // With `upsample` f, conv2d is a transposed convolution by the upsampled weights wt (derived
  // in conv2d/upsampled.wgsl), and its gradients are those of the strided convolution it transposes:
  //   dL/dinput = the strided convolution (forward) of dL/dz by wt
  //   dL/dwt = that convolution's weight gradient, with dL/dz as its input and the input as
  //            its output gradient; dL/dweight = the sums of dL/dwt that wt summed (upsampled_weight_gradient)
  //   dL/dbias[co] = sum of dL/dz over n, y, x (bias_gradient_partial and sum_rows).
  backward(
    engine,
    { inputs: [input, weight, bias], attributes, output, gradOutput: gradY, needsGradient, reservedGradient },
  ) {
    const g = conv2dGeometry(input!.shape, weight!.shape, bias?.shape, attributes);
    const hasBias = bias !== undefined;
    const wantsBias = hasBias && needsGradient[2]!;
    const gradOutput =
      activationOf(attributes) === 'relu'
        ? relu.backward(engine, {
            inputs: [output],
            output,
            attributes: {},
            gradOutput: gradY,
            needsGradient: [true],
          })[0]!
        : gradY;
    // The weight and bias gradients go where the tape reserved them (an optimiser's buffer), if it did.
    const gradWeight = needsGradient[1]
      ? (reservedGradient?.(1) ?? engine.empty(weight!.shape, 'conv2d weight gradient'))
      : null;
    const gradBias = wantsBias ? (reservedGradient?.(2) ?? engine.empty(bias!.shape, 'conv2d bias gradient')) : null;
    if (g.upsample > 1) {
      if (gradWeight) upsampledWeightGradient(engine, g, input!, gradOutput, gradWeight);
      if (gradBias) upsampledBiasGradient(engine, g, gradOutput, gradBias);
    } else if (gradWeight || gradBias) {
      const partialSums = encodeWeightGradientPartials(engine, g, input!, gradOutput, hasBias);
      // The partial sums' rows hold the weights' columns, then the biases'.
      if (gradWeight && gradBias) encodeSumRows(engine, partialSums, 0, [gradWeight, gradBias]);
      else if (gradWeight) encodeSumRows(engine, partialSums, 0, [gradWeight]);
      else if (gradBias) encodeSumRows(engine, partialSums, weight!.size, [gradBias]);
      partialSums.dispose();
    }
    let gradInput: Tensor | null = null;
    if (needsGradient[0]) {
      gradInput = engine.empty(input!.shape, 'conv2d input gradient');
      if (g.upsample === 1) {
        const { entryPoint, ...tiling } = transposedTile(engine, g);
        engine.dispatch(wgsl.conv2dInputGradient, entryPoint, {
          // No bias, no ReLU: the epilogue is the forward pass's with `upsample`.
          bindings: { weight: weight!, gradOutput, bias: weight!, gradInput },
          params: params(g, false, {}),
          ...tiling,
        });
      } else {
        const transposed = transposedGeometry(g);
        const upsampled = upsampledWeights(engine, weight!, g);
        engine.dispatch(wgsl.conv2dForward, 'forward', {
          bindings: { input: gradOutput, weight: upsampled, bias: upsampled, output: gradInput },
          params: params(transposed, false, {}),
          ...forwardTile(engine, transposed),
        });
        upsampled.dispose();
      }
    }
    if (gradOutput !== gradY) gradOutput.dispose();
    return [gradInput, gradWeight, gradBias];
  },
  reference: {
    forward([input, weight, bias], attributes) {
      const g = conv2dGeometry(input!.shape, weight!.shape, bias?.shape, attributes);
      const read = upsampledReference(input!, g);
      const output = new Float64Array(g.batch * g.outChannels * g.outHeight * g.outWidth);
      forEachTap(g, (outputIndex, inputIndex, weightIndex) => {
        output[outputIndex] += read[inputIndex]! * weight!.data[weightIndex]!;
      });
      if (bias) {
        const plane = g.outHeight * g.outWidth;
        output.forEach((_, i) => (output[i] += bias.data[Math.floor(i / plane) % g.outChannels]!));
      }
      if (activationOf(attributes) === 'relu') output.forEach((z, i) => (output[i] = Math.max(z, 0)));
      return output;
    },
    backward({ inputs: [input, weight, bias], attributes, output, gradOutput: gradY }) {
      const g = conv2dGeometry(input!.shape, weight!.shape, bias?.shape, attributes);
      // y = relu(z): dL/dz = dL/dy where y > 0, else 0 (the gradient at exactly 0 is 0).
      const relu = activationOf(attributes) === 'relu';
      const gradOutput = {
        data: relu ? gradY.data.map((upstream, i) => (output.data[i]! > 0 ? upstream : 0)) : gradY.data,
      };
      const read = upsampledReference(input!, g);
      const gradRead = new Float64Array(read.length);
      const gradWeight = new Float64Array(weight!.data.length);
      // Each tap y[o] += x[i] w[k] contributes dL/dx[i] += w[k] dL/dy[o] and dL/dw[k] += x[i] dL/dy[o].
      forEachTap(g, (outputIndex, inputIndex, weightIndex) => {
        const upstream = gradOutput.data[outputIndex]!;
        gradRead[inputIndex] += weight!.data[weightIndex]! * upstream;
        gradWeight[weightIndex] += read[inputIndex]! * upstream;
      });
      // With `upsample`, x was read upsampled: its gradient is upsample2d's backward of gradRead.
      const gradInput =
        g.upsample === 1
          ? gradRead
          : upsample2d.reference.backward({
              inputs: [input!],
              attributes: { factor: g.upsample },
              output: { shape: [g.batch, g.inChannels, g.inHeight, g.inWidth], data: read },
              gradOutput: { shape: [g.batch, g.inChannels, g.inHeight, g.inWidth], data: gradRead },
              needsGradient: [true],
            })[0]!;
      let gradBias: Float64Array | null = null;
      if (bias) {
        // y[n, co, ...] += b[co]  =>  dL/db[co] = sum of dL/dy over n, oy, ox.
        gradBias = new Float64Array(g.outChannels);
        const plane = g.outHeight * g.outWidth;
        gradOutput.data.forEach((upstream, i) => (gradBias![Math.floor(i / plane) % g.outChannels] += upstream));
      }
      return [gradInput, gradWeight, gradBias];
    },
  },
});

/** The input as the convolution reads it: upsampled by nearest neighbour (upsample2d's reference), or itself. */
function upsampledReference(input: HostTensor, g: Conv2dGeometry): Float64Array {
  if (g.upsample === 1) return input.data;
  return upsample2d.reference.forward([input], { factor: g.upsample }, [g.batch, g.inChannels, g.inHeight, g.inWidth]);
}

/** Visits every (output, input, weight) index triple of the convolution that lands inside the input. */
function forEachTap(
  g: Conv2dGeometry,
  visit: (outputIndex: number, inputIndex: number, weightIndex: number) => void,
): void {
  for (let n = 0; n < g.batch; n++)
    for (let co = 0; co < g.outChannels; co++)
      for (let oy = 0; oy < g.outHeight; oy++)
        for (let ox = 0; ox < g.outWidth; ox++) {
          const outputIndex = ((n * g.outChannels + co) * g.outHeight + oy) * g.outWidth + ox;
          for (let ci = 0; ci < g.inChannels; ci++)
            for (let ky = 0; ky < g.kernelHeight; ky++) {
              const iy = oy * g.stride + ky - g.padTop;
              if (iy < 0 || iy >= g.inHeight) continue;
              for (let kx = 0; kx < g.kernelWidth; kx++) {
                const ix = ox * g.stride + kx - g.padLeft;
                if (ix < 0 || ix >= g.inWidth) continue;
                visit(
                  outputIndex,
                  ((n * g.inChannels + ci) * g.inHeight + iy) * g.inWidth + ix,
                  ((co * g.inChannels + ci) * g.kernelHeight + ky) * g.kernelWidth + kx,
                );
              }
            }
        }
}
