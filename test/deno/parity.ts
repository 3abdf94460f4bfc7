// The GPU parity suite under Deno's own WebGPU (wgpu), not Dawn: the same cases and checks
// as test/ops.test.ts. Run: npm run test:deno (deno run --unstable-webgpu ...).
import { createEngine } from '../../src/runtime/device.ts';
import { ops, type OpName } from '../../src/kernels/registry.ts';
import type { Op } from '../../src/kernels/op.ts';
import { checkOp, failures } from '../parity/check.ts';
import { describeCase, opCases, type ParityCase } from '../parity/cases.ts';

const engine = await createEngine({ poison: Number.NaN });
console.log(`adapter: ${engine.adapterDescription}`);
let passed = 0;
let failed = 0;
for (const name of Object.keys(ops) as OpName[]) {
  const op = ops[name] as Op<unknown>;
  for (const [index, spec] of (opCases[name] as readonly ParityCase<unknown>[]).entries()) {
    let problems: string[];
    try {
      problems = failures(op, await checkOp(engine, op, spec, 1000 + index));
    } catch (error) {
      problems = [String(error)];
    }
    if (problems.length === 0) passed += 1;
    else {
      failed += 1;
      console.log(`FAIL ${name} ${describeCase(spec)}\n  ${problems.join('\n  ')}`);
    }
  }
}
console.log(`deno parity: ${passed} passed, ${failed} failed`);
if (failed > 0) Deno.exit(1);
