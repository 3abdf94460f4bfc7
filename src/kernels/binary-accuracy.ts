// A metric, not a loss: no input is differentiable, so the tape never records it.
import { defineOp } from './op.ts';
import { requireSameShape } from '../shapes.ts';
import { encodeSum } from './sum.ts';
import { elementwiseInvocations } from '../backend/elementwise.ts';
import { wgsl } from '#wgsl/kernels';
import type { Op } from './op.ts';

/** mean(target == (prediction > 0.5 ? 1 : 0)), as Keras' binary_accuracy with threshold 0.5. */
export const binaryAccuracy: Op<Record<string, never>> = defineOp<Record<string, never>>({
  name: 'binaryAccuracy',
  inputNames: ['prediction', 'target'],
  differentiable: [false, false],
  outputShape([prediction, target]) {
    requireSameShape(prediction!, target!, 'binaryAccuracy (prediction, target)');
    return [];
  },
  forward(engine, [prediction, target], _attributes, output) {
    const count = prediction!.size;
    const invocations = elementwiseInvocations(count);
    const matches = engine.empty([invocations], 'binaryAccuracy matches per invocation');
    engine.dispatch(wgsl.binaryAccuracy, 'forward', {
      bindings: { prediction: prediction!, expected: target!, matches },
      params: { count, invocations },
      invocations,
    });
    encodeSum(engine, matches, output, 1 / count);
    matches.dispose();
  },
  backward: () => [null, null],
  reference: {
    forward([prediction, target]) {
      let hits = 0;
      prediction!.data.forEach((p, i) => (hits += target!.data[i] === (p > 0.5 ? 1 : 0) ? 1 : 0));
      return Float64Array.of(hits / prediction!.data.length);
    },
    backward: () => [null, null],
  },
});
