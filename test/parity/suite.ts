// Every op in the registry, every case in the table, through the three checks: the loop
// shared by the Deno runner and the browser page (vitest runs the same cases one test each).
import type { Engine } from '../../src/backend/engine.ts';
import { ops, type OpName } from '../../src/kernels/registry.ts';
import type { Op } from '../../src/kernels/op.ts';
import { checkOp, failures } from './check.ts';
import { describeCase, opCases, type ParityCase } from './cases.ts';
import { checkVariants, variantCases } from './variants.ts';

export interface SuiteReport {
  passed: number;
  failed: number;
  /** One line per failed case: the op, the case and what failed. */
  failures: string[];
}

/** The op cases, then every tunable variant of the variant cases (each candidate counts as one case). */
export async function runParitySuite(engine: Engine, onOp: (name: OpName | 'variants') => void = () => {}): Promise<SuiteReport> {
  const report: SuiteReport = { passed: 0, failed: 0, failures: [] };
  for (const name of Object.keys(ops) as OpName[]) {
    const op = ops[name] as Op<unknown>;
    onOp(name);
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
  onOp('variants');
  for (const [index, spec] of variantCases.entries()) {
    for (const result of await checkVariants(engine, spec, 2000 + index)) {
      if (result.problems.length === 0) report.passed += 1;
      else {
        report.failed += 1;
        report.failures.push(`${result.key} with ${result.candidate}: ${result.problems.join('; ')}`);
      }
    }
  }
  return report;
}
