// The GPU parity suite in a browser page: the same cases and checks as test/ops.test.ts,
// on the browser's own WebGPU (navigator.gpu). scripts/browser-parity.mjs bundles this,
// serves it on 127.0.0.1 and reads window.parityResult from headless Chromium.
import { createEngine } from '../../src/runtime/device.ts';
import { ops, type OpName } from '../../src/kernels/registry.ts';
import type { Op } from '../../src/kernels/op.ts';
import { checkOp, failures } from '../parity/check.ts';
import { describeCase, opCases, type ParityCase } from '../parity/cases.ts';

interface ParityReport {
  adapter: string;
  passed: number;
  failed: number;
  failures: string[];
  error?: string;
}

async function run(): Promise<ParityReport> {
  console.log('parity: acquiring a WebGPU device');
  const engine = await createEngine({ poison: Number.NaN });
  console.log(`parity: ${engine.adapterDescription}`);
  const report: ParityReport = { adapter: engine.adapterDescription, passed: 0, failed: 0, failures: [] };
  for (const name of Object.keys(ops) as OpName[]) {
    const op = ops[name] as Op<unknown>;
    console.log(`parity: ${name}`);
    for (const [index, spec] of (opCases[name] as readonly ParityCase<unknown>[]).entries()) {
      let problems: string[];
      try {
        problems = failures(op, await checkOp(engine, op, spec, 1000 + index));
      } catch (error) {
        problems = [String(error)];
      }
      if (problems.length === 0) report.passed += 1;
      else {
        report.failed += 1;
        report.failures.push(`${name} ${describeCase(spec)}: ${problems.join('; ')}`);
      }
    }
  }
  return report;
}

const page = globalThis as unknown as { parityResult?: ParityReport };
run().then(
  (report) => (page.parityResult = report),
  (error) => (page.parityResult = { adapter: 'none', passed: 0, failed: 1, failures: [], error: String(error) }),
);
