// Kernel benchmark: every op, forward and backward, at the notebook autoencoder's real
// shapes (batch 32 and 256), against the adapter's ceilings measured in the same run
// (kernel-bench.ts says how).
//   npm run bench:kernels [-- --batches 32] [--quick]   (Node + Dawn; default 32 and 256)
//   deno run --unstable-webgpu -A bench/kernels.ts
// Prints a table and writes bench/results/kernels.json (kernels-deno.json under Deno).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createEngine } from '../src/kernels/registry.ts';
import { runtimeName } from '../src/backend/device.ts';
import {
  COMMAND_LINE_OPTIONS,
  KernelBench,
  notebookWorkloads,
  type KernelRecord,
} from '../src/benchmarks/kernel-bench.ts';
import { batchSizesArgument, quick } from './arguments.ts';

const engine = await createEngine();
const bench = await KernelBench.create(
  engine,
  quick ? { matmulSize: 256, copyElements: 1024 * 1024, tune: false } : COMMAND_LINE_OPTIONS,
);
const ceilingsBefore = bench.ceilingsBefore;
console.log(`ceilings before: ${bench.describe(ceilingsBefore)}`);
for (const batch of batchSizesArgument([32, 256])) {
  for (const workload of notebookWorkloads(batch).slice(0, quick ? 4 : undefined)) {
    await bench.measure(workload, batch, (record) =>
      console.log(
        `${String(batch).padStart(4)}  ${record.shape.padEnd(25)} ${record.pass.padEnd(27)} ${record.milliseconds.toFixed(3).padStart(9)} ms`,
      ),
    );
  }
}

function printRow(record: KernelRecord): void {
  const rate =
    record.gflops !== undefined
      ? `${record.gflops.toFixed(2)} GFLOP/s`
      : `${record.gigabytesPerSecond!.toFixed(2)} GB/s`;
  const heuristic =
    record.heuristicMilliseconds === undefined
      ? ''
      : `  (heuristic variants ${record.heuristicMilliseconds.toFixed(3)} ms)`;
  const direct =
    record.directGflops === undefined
      ? ''
      : `  (${record.directGflops.toFixed(2)} GFLOP/s counted as the direct convolution)`;
  const beside =
    record.shareOfPlainConvBeside === undefined
      ? ''.padStart(7)
      : `${(100 * record.shareOfPlainConvBeside).toFixed(1).padStart(6)}%`;
  console.log(
    `${String(record.batch).padStart(4)}  ${record.shape.padEnd(25)} ${record.pass.padEnd(27)} ${record.milliseconds.toFixed(3).padStart(9)} ms  ${rate.padStart(16)}  ${(100 * record.shareOfCeiling).toFixed(1).padStart(5)}% ${beside}${heuristic}${direct}`,
  );
}

const { records, fastest, after: ceilingsAfter } = await bench.finish();
console.log(
  '\nshares of the faster of the two ceiling measurements (the plain matmul, the copy), and (conv passes) of the plain conv timed beside the pass:',
);
records.slice(3).forEach(printRow);
// The conv target: every conv pass the training step runs at >= 50% of the plain direct conv
// at its shape, timed beside it.
const stepConvPasses = records.filter(
  (record) => record.shareOfPlainConvBeside !== undefined && !record.comparisonOnly,
);
const below = stepConvPasses.filter((record) => record.shareOfPlainConvBeside! < 0.5);
console.log(
  `\nconv passes of the training step at >= 50% of the plain conv beside them: ${stepConvPasses.length - below.length} of ${stepConvPasses.length}` +
    (below.length
      ? `; below: ${below.map((record) => `${record.batch} ${record.shape} ${record.pass} ${(100 * record.shareOfPlainConvBeside!).toFixed(1)}%`).join(', ')}`
      : ''),
);
// Where the tuner kept every heuristic, the tuned and heuristic rounds timed the same code.
const sameCode = records.filter((record) => record.tunedIsHeuristic);
if (sameCode.length > 0) {
  const gaps = sameCode
    .map(
      (record) =>
        Math.max(record.milliseconds, record.heuristicMilliseconds!) /
          Math.min(record.milliseconds, record.heuristicMilliseconds!) -
        1,
    )
    .sort((a, b) => a - b);
  console.log(
    `noise: ${sameCode.length} passes kept every heuristic, so their tuned and heuristic rounds ran the same code; ` +
      `those two timings differ by ${(100 * gaps[Math.floor(gaps.length / 2)]!).toFixed(0)}% (median), up to ${(100 * gaps[gaps.length - 1]!).toFixed(0)}%`,
  );
}
console.log(`\nadapter: ${engine.adapterDescription}`);
console.log(
  `ceilings: ${bench.describe(fastest)} (before the passes: ${bench.describe(ceilingsBefore)}; after: ${bench.describe(ceilingsAfter)})`,
);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/kernels${runtimeName() === 'deno' ? '-deno' : ''}.json`;
writeFileSync(file, JSON.stringify(records, null, 2) + '\n');
console.log(`wrote ${file} (${records.length} records)`);
