// Every op in the registry, every case in the table: GPU forward and backward against the
// float64 reference, and the reference backward against finite differences.
import { describe, expect, it } from 'vitest';
import { ops, type OpName } from '../../src/kernels/registry.ts';
import type { Op } from '../../src/kernels/op.ts';
import { checkOp, failures, type ParityResult } from '../../src/checks/check.ts';
import { describeCase, opCases, type ParityCase } from '../../src/checks/cases.ts';
import { testEngine } from '../support/engine.ts';

const engine = await testEngine();

describe.skipIf(!engine)('op parity (GPU vs float64 reference vs finite differences)', () => {
  for (const name of Object.keys(ops) as OpName[]) {
    const op = ops[name] as Op<unknown>;
    const cases = opCases[name] as readonly ParityCase<unknown>[];
    const results: ParityResult[] = [];
    describe(name, () => {
      cases.forEach((spec, index) => {
        it(describeCase(spec), async () => {
          const result = await checkOp(engine!, op, spec, 1000 + index);
          results.push(result);
          expect(failures(op, result)).toEqual([]);
          // Every differentiable input's gradient was compared on the GPU, as a finite number.
          op.differentiable.forEach((differentiable, i) => {
            if (differentiable && i < spec.inputs.length) expect(result.backward[i]).toBeTypeOf('number');
          });
        });
      });
      it('checks every differentiable input against finite differences in at least one case', () => {
        expect(results).toHaveLength(cases.length);
        op.differentiable.forEach((differentiable, i) => {
          if (!differentiable) return;
          const checked = results.filter((result) => typeof result.gradientCheck[i] === 'number');
          expect(checked.length, `${op.inputNames[i]}: no case ran its finite differences`).toBeGreaterThan(0);
        });
      });
    });
  }
});
