// Every op in the registry, every case in the table, through the three checks: the loop
// shared by `aelab check`, the lab's Gradients view, the Deno runner and the browser test page
// (vitest runs the same cases one test each).
import type { Engine } from '../backend/engine.ts';
import { ops, type OpName } from '../kernels/registry.ts';
import type { Op } from '../kernels/op.ts';
import { checkOp, failures, type ParityResult } from './check.ts';
import { describeCase, opCases, type ParityCase } from './cases.ts';
import { checkVariants, variantCases } from './variants.ts';

/** One checked case: the largest relative error of each check (null: the check does not apply). */
export interface CheckRow {
  readonly op: string;
  readonly case: string;
  /** GPU forward against the float64 reference. */
  readonly forward: number | null;
  /** GPU backward against the reference backward, the worst input. */
  readonly backward: number | null;
  /** Reference backward against central finite differences, the worst input. */
  readonly finiteDifferences: number | null;
  readonly passed: boolean;
  /** What failed, one line each; empty when the case passed. */
  readonly problems: readonly string[];
}

export interface SuiteReport {
  passed: number;
  failed: number;
  /** One line per failed case: the op, the case and what failed. */
  failures: string[];
  rows: CheckRow[];
}

export interface SuiteOptions {
  /** Called as each op (or the variants) starts. */
  readonly onOp?: (name: OpName | 'variants') => void;
  /** Called after each case. */
  readonly onRow?: (row: CheckRow) => void;
  /** Only these ops (default: every op, then the conv variants). */
  readonly only?: readonly string[];
}

const worst = (errors: readonly (number | null)[]): number | null => {
  const present = errors.filter((error): error is number => error !== null);
  return present.length === 0
    ? null
    : present.some((error) => !Number.isFinite(error))
      ? Infinity
      : Math.max(...present);
};

function rowOf(op: string, spec: ParityCase<unknown>, result: ParityResult | null, problems: string[]): CheckRow {
  return {
    op,
    case: describeCase(spec),
    forward: result?.forward ?? null,
    backward: result ? worst(result.backward) : null,
    finiteDifferences: result ? worst(result.gradientCheck) : null,
    passed: problems.length === 0,
    problems,
  };
}

/** The op cases, then every tunable variant of the variant cases (each candidate counts as one case). */
export async function runParitySuite(
  engine: Engine,
  options: SuiteOptions | ((name: OpName | 'variants') => void) = {},
): Promise<SuiteReport> {
  const { onOp = () => {}, onRow = () => {}, only } = typeof options === 'function' ? { onOp: options } : options;
  const report: SuiteReport = { passed: 0, failed: 0, failures: [], rows: [] };
  const record = (row: CheckRow, failure: string) => {
    report.rows.push(row);
    if (row.passed) report.passed += 1;
    else {
      report.failed += 1;
      report.failures.push(failure);
    }
    onRow(row);
  };
  const selected = (name: string) => !only || only.includes(name);
  for (const name of (Object.keys(ops) as OpName[]).filter(selected)) {
    const op = ops[name] as Op<unknown>;
    onOp(name);
    for (const [index, spec] of (opCases[name] as readonly ParityCase<unknown>[]).entries()) {
      let result: ParityResult | null = null;
      let problems: string[];
      try {
        result = await checkOp(engine, op, spec, 1000 + index);
        problems = failures(op, result);
      } catch (error) {
        problems = [String(error)];
      }
      record(rowOf(name, spec, result, problems), `${name} ${describeCase(spec)}: ${problems.join('; ')}`);
    }
  }
  if (!selected('variants')) return report;
  onOp('variants');
  for (const [index, spec] of variantCases.entries()) {
    for (const result of await checkVariants(engine, spec, 2000 + index)) {
      const row = {
        ...rowOf('conv2d variant', spec, result.errors, result.problems),
        case: `${result.key} with ${result.candidate}`,
      };
      record(row, `${result.key} with ${result.candidate}: ${result.problems.join('; ')}`);
    }
  }
  return report;
}
