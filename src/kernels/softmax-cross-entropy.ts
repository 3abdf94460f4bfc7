// The mean over pixels of the cross-entropy between softmax(logits) over the channel axis and
// soft targets, fused as the BCE from logits is (no log of a probability rounded to 0):
//   L = (1 / P) sum over pixels p of l_p,  l_p = sum over c of t[p, c] (lse_p - x[p, c])
// with P = N x H x W pixels. A pixel's targets need not sum to 1: their sum is its weight
// (Zhang et al.'s class rebalancing multiplies each pixel's soft targets by its weight).
// Kernels in softmax-cross-entropy.wgsl; the float64 reference below is their specification.
import { defineOp } from './op.ts';
import { requireSameShape, type Shape } from '../shapes.ts';
import { channelGeometry, forEachPixel, type ChannelGeometry } from './softmax.ts';
import { encodeSum } from './sum.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

const geometry = (shape: Shape) => channelGeometry(shape, 'softmaxCrossEntropy', 'logits ');

/** Each pixel's loss l_p and softmax, in float64. */
function pixelsOf(
  logits: Float64Array,
  targets: Float64Array,
  g: ChannelGeometry,
  visit: (base: number, loss: number, probability: (c: number) => number) => void,
): void {
  forEachPixel(g, (base) => {
    let largest = -Infinity;
    for (let c = 0; c < g.channels; c++) largest = Math.max(largest, logits[base + c * g.plane]!);
    let total = 0;
    for (let c = 0; c < g.channels; c++) total += Math.exp(logits[base + c * g.plane]! - largest);
    const logSumExp = largest + Math.log(total);
    let loss = 0;
    for (let c = 0; c < g.channels; c++)
      loss += targets[base + c * g.plane]! * (logSumExp - logits[base + c * g.plane]!);
    visit(base, loss, (c) => Math.exp(logits[base + c * g.plane]! - logSumExp));
  });
}

export const softmaxCrossEntropy: Op<Record<string, never>> = defineOp<Record<string, never>>({
  name: 'softmaxCrossEntropy',
  inputNames: ['logits', 'targets'],
  differentiable: [true, false],
  outputShape([logits, targets]) {
    geometry(logits!);
    requireSameShape(logits!, targets!, 'softmaxCrossEntropy (logits, targets)');
    return [];
  },
  forward(engine, [logits, targets], _attributes, output) {
    const g = geometry(logits!.shape);
    const pixels = g.batch * g.plane;
    const losses = engine.empty([pixels], 'softmaxCrossEntropy per pixel');
    engine.dispatch(wgsl.softmaxCrossEntropy, 'loss', {
      bindings: { logits: logits!, targets: targets!, losses },
      params: { ...g, scale: 1 },
      invocations: pixels,
    });
    encodeSum(engine, losses, output, 1 / pixels);
    losses.dispose();
  },
  // dL/dx[p, k] = dL/dL_out (softmax(x_p)[k] T_p - t[p, k]) / P,  T_p = sum over c of t[p, c].
  backward(engine, { inputs: [logits, targets], gradOutput }) {
    const g = geometry(logits!.shape);
    const pixels = g.batch * g.plane;
    const gradLogits = engine.empty(logits!.shape, 'softmaxCrossEntropy gradient');
    engine.dispatch(wgsl.softmaxCrossEntropy, 'gradient', {
      bindings: { logits: logits!, targets: targets!, gradOutput, gradLogits },
      params: { ...g, scale: 1 / pixels },
      invocations: pixels,
    });
    return [gradLogits, null];
  },
  reference: {
    forward([logits, targets]) {
      const g = geometry(logits!.shape);
      let total = 0;
      pixelsOf(logits!.data, targets!.data, g, (_base, loss) => (total += loss));
      return Float64Array.of(total / (g.batch * g.plane));
    },
    backward({ inputs: [logits, targets], gradOutput }) {
      const g = geometry(logits!.shape);
      const t = targets!.data;
      const scale = gradOutput.data[0]! / (g.batch * g.plane);
      const gradLogits = new Float64Array(t.length);
      pixelsOf(logits!.data, t, g, (base, _loss, probability) => {
        let mass = 0;
        for (let c = 0; c < g.channels; c++) mass += t[base + c * g.plane]!;
        for (let c = 0; c < g.channels; c++)
          gradLogits[base + c * g.plane] = scale * (probability(c) * mass - t[base + c * g.plane]!);
      });
      return [gradLogits, null];
    },
  },
});
