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
import { AelabError } from '../errors.ts';
import { Module } from '../nn/modules.ts';
import { formatGradcheck, gradcheck } from '../checks/gradcheck.ts';
import { importUserModule } from './user-module.ts';
import type { Tensor } from '../backend/tensor.ts';

export const CHECK_USAGE = `aelab check [--ops conv2d,maxPool2d,...] [--json FILE] | --model FILE [--batch 2]
  runs the gradient checks on this adapter: every op's cases, GPU forward and backward against
  the float64 reference (relative error < ${FLOAT32_TOLERANCE}) and the reference backward against
  central finite differences (< ${GRADIENT_CHECK_TOLERANCE}), then every conv kernel variant; exit 1 on any failure
  --ops LIST        only these ops (comma-separated; 'variants' for the conv variants)
  --json FILE       also write the rows and the adapter as JSON
  --model FILE      instead, gradcheck your own model: FILE (.js, or .ts) exports a default
                    function that builds it from the engine it is given, and inputShape, one
                    example's shape such as [1, 28, 28]
  --batch N         examples in the model's input (default 2)
`;

/** Returns the exit status: 0 when every case passed, 1 otherwise. */
export async function check(argv: string[]): Promise<number> {
  const options = parseOptions(argv, {
    ops: { type: 'string' },
    json: { type: 'string' },
    model: { type: 'string' },
    batch: { type: 'integer', default: 2 },
  });
  if (options.model !== null) {
    if (options.ops !== null) throw new UsageError('--model and --ops check different things; give one');
    if (options.batch < 1) throw new UsageError('--batch must be at least 1');
    return checkModel(options.model, options.batch);
  }
  const known = [...Object.keys(ops), 'variants'];
  const only =
    options.ops === null
      ? undefined
      : options.ops
          .split(',')
          .map((name) => name.trim())
          .filter((name) => name !== '');
  const unknown = only?.filter((name) => !known.includes(name)) ?? [];
  if (unknown.length > 0)
    throw new UsageError(
      `--ops: unknown ${unknown.map((name) => `'${name}'`).join(', ')}; the ops are ${known.join(', ')}`,
    );
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
    const file = {
      aelab: VERSION,
      runtime: runtimeName(),
      adapter: engine.adapterDescription,
      date: new Date().toISOString(),
      passed: report.passed,
      failed: report.failed,
      rows: report.rows,
    };
    writeFileAtomic(
      options.json,
      JSON.stringify(
        file,
        (_, value) => (typeof value === 'number' && !Number.isFinite(value) ? String(value) : value),
        2,
      ) + '\n',
    );
    out(`wrote ${options.json}`);
  }
  return report.failed === 0 && report.passed > 0 ? 0 : 1;
}

/** gradcheck on the model a user's file builds; exit 0 when it passes. */
async function checkModel(file: string, batch: number): Promise<number> {
  const exports = await importUserModule(file);
  const build = exports['default'] ?? exports['model'];
  const inputShape = exports['inputShape'];
  if (typeof build !== 'function' && !(build instanceof Module)) {
    throw new AelabError(
      `--model ${file}: export default a function that builds the model from an engine (or the model itself); it exports ${Object.keys(exports).join(', ') || 'nothing'}`,
    );
  }
  if (!Array.isArray(inputShape) || !inputShape.every((dimension) => Number.isInteger(dimension) && dimension > 0)) {
    throw new AelabError(`--model ${file}: export inputShape, one example's shape such as [1, 28, 28]`);
  }
  const engine = await createEngine({ poison: Number.NaN });
  const model = (build instanceof Module ? build : (build as (backend: unknown) => unknown)(engine)) as Module<Tensor>;
  if (!(model instanceof Module))
    throw new AelabError(`--model ${file}: its default export returned ${String(model)}, not a Module`);
  process.stdout.write(
    `adapter: ${engine.adapterDescription}\nmodel: ${file}, input [${[batch, ...inputShape].join(', ')}]\n`,
  );
  model.build(inputShape);
  const report = await gradcheck(model, [batch, ...inputShape], { engine });
  process.stdout.write(`${formatGradcheck(report)}\n`);
  return report.passed ? 0 : 1;
}
