// aelab check: the gradient-check suite on this machine's adapter, so a user can check a GPU
// or a driver before trusting it. Every op's parity cases (GPU against the float64 reference,
// the reference against finite differences) and every conv variant the tuner may choose.
import process from 'node:process';
import { parseOptions, UsageError } from './arguments.ts';
import { writeFileAtomic } from '../files.ts';
import { createEngine, ops } from '../kernels/registry.ts';
import { runParitySuite } from '../checks/suite.ts';
import { CHECK_COLUMNS, checkCells, checkLine } from '../checks/table.ts';
import { FLOAT32_TOLERANCE, GRADIENT_CHECK_TOLERANCE } from '../checks/check.ts';
import { runtimeName } from '../backend/device.ts';
import { VERSION } from '../version.ts';

export const CHECK_USAGE = `aelab check [--ops conv2d,maxPool2d,...] [--json FILE]
  runs the gradient checks on this adapter: every op's cases, GPU forward and backward against
  the float64 reference (relative error < ${FLOAT32_TOLERANCE}) and the reference backward against
  central finite differences (< ${GRADIENT_CHECK_TOLERANCE}), then every conv kernel variant; exit 1 on any failure
  --ops LIST        only these ops (comma-separated; 'variants' for the conv variants)
  --json FILE       also write the rows and the adapter as JSON
`;

/** Returns the exit status: 0 when every case passed, 1 otherwise. */
export async function check(argv: string[]): Promise<number> {
  const options = parseOptions(argv, { ops: { type: 'string' }, json: { type: 'string' } });
  const known = [...Object.keys(ops), 'variants'];
  const only = options.ops === null ? undefined : options.ops.split(',').map((name) => name.trim()).filter((name) => name !== '');
  const unknown = only?.filter((name) => !known.includes(name)) ?? [];
  if (unknown.length > 0) throw new UsageError(`--ops: unknown ${unknown.map((name) => `'${name}'`).join(', ')}; the ops are ${known.join(', ')}`);
  if (only?.length === 0) throw new UsageError('--ops: no op named');
  // Poison: every buffer starts as NaN, so an element a kernel fails to write shows as a failure.
  const engine = await createEngine({ poison: Number.NaN });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  out(`adapter: ${engine.adapterDescription}`);
  out(checkLine([...CHECK_COLUMNS]));
  const report = await runParitySuite(engine, { only, onRow: (row) => out(checkLine(checkCells(row))) });
  for (const failure of report.failures) out(`FAIL ${failure}`);
  out(`check: ${report.passed} passed, ${report.failed} failed`);
  if (options.json !== null) {
    const file = { aelab: VERSION, runtime: runtimeName(), adapter: engine.adapterDescription, date: new Date().toISOString(), passed: report.passed, failed: report.failed, rows: report.rows };
    writeFileAtomic(options.json, JSON.stringify(file, (_, value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value), 2) + '\n');
    out(`wrote ${options.json}`);
  }
  return report.failed === 0 && report.passed > 0 ? 0 : 1;
}
