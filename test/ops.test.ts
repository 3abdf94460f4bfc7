// Every op in the registry, every case in the table: GPU forward and backward against the
// float64 reference, and the reference backward against finite differences.
import { describe, expect, it } from 'vitest';
import { ops, type OpName } from '../src/kernels/registry.ts';
import type { Op } from '../src/kernels/op.ts';
import { checkOp, failures } from '../src/checks/check.ts';
import { describeCase, opCases, type ParityCase } from '../src/checks/cases.ts';
import { testEngine } from './support/engine.ts';

const engine = await testEngine();

describe.skipIf(!engine)('op parity (GPU vs float64 reference vs finite differences)', () => {
  for (const name of Object.keys(ops) as OpName[]) {
    const op = ops[name] as Op<unknown>;
    const cases = opCases[name] as readonly ParityCase<unknown>[];
    describe(name, () => {
      cases.forEach((spec, index) => {
        it(describeCase(spec), async () => {
          const result = await checkOp(engine!, op, spec, 1000 + index);
          expect(failures(op, result)).toEqual([]);
          // Every differentiable input was compared on the GPU.
          op.differentiable.forEach((differentiable, i) => {
            if (differentiable && i < spec.inputs.length) expect(result.backward[i]).not.toBeNull();
          });
        });
      });
      it('has at least one case checked by finite differences', async () => {
        const small = cases.find((spec) => spec.inputs.every((input) => input.shape.reduce((a, b) => a * b, 1) <= 8192));
        expect(small).toBeDefined();
      });
    });
  }
});
