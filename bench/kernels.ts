// Kernel benchmark: every op, forward and backward, at the notebook autoencoder's real
// shapes (batch 32 and 256), against the adapter's ceilings measured in the same run, before
// the passes and after them: the engine's own matmul for FLOP/s and its copy kernel for
// bandwidth. The conv passes are timed with the variants the tuner picks for this adapter
// (tuned here first) and, in alternation, with the kernels' heuristic variants and with the
// engine's matmul, whose share they report beside the before-and-after one (the fastest of
// five alternating rounds each: on a busy machine noise only adds time).
//   npm run bench:kernels            (Node + Dawn)
//   deno run --unstable-webgpu -A bench/kernels.ts
// Prints a table and writes bench/results/kernels.json (kernels-deno.json under Deno).
import { mkdirSync, writeFileSync } from 'node:fs';
import { createEngine } from '../src/kernels/registry.ts';
import { runtimeName } from '../src/backend/device.ts';
import { ops, type OpName } from '../src/kernels/registry.ts';
import type { Op } from '../src/kernels/op.ts';
import { copy } from './kernels/matmul.ts';
import { sizeOf, type Shape } from '../src/shapes.ts';
import { upsampledMultiplyAddShare } from '../src/kernels/conv2d/conv2d.ts';
import { Random } from '../src/random.ts';
import type { Tensor } from '../src/backend/tensor.ts';
import { fastestOf } from '../src/tuning/measure.ts';
import { tune } from '../src/tuning/tuner.ts';
import { replacesHeuristic } from '../src/tuning/table.ts';
import { matmulCeilingMilliseconds, tunedHeuristicAndCeiling, tunedMatmul } from './variants.ts';
import { gpuBackend } from '../src/nn/gpu-backend.ts';

interface KernelRecord {
  op: string;
  pass: string;
  shape: string;
  batch: number;
  milliseconds: number;
  /** The same pass with the heuristic kernel variants (tunable passes only). */
  heuristicMilliseconds?: number;
  /** By the FLOPs the kernels execute. */
  gflops?: number;
  /** conv2d with upsample: by the direct convolution's FLOPs over the upsampled image (what it stands for). */
  directGflops?: number;
  gigabytesPerSecond?: number;
  /** Of the matmul GFLOP/s for compute-bound passes, of the copy GB/s for the rest. */
  shareOfCeiling: number;
  /**
   * Compute-bound passes: the engine's matmul (BESIDE_MATMUL_SIZE^3, its tile tuned) timed in
   * the same alternating rounds as the pass, and the pass's share of it (tuned variants).
   */
  besideMatmulGflops?: number;
  shareOfMatmulBeside?: number;
  /** Tunable passes: the variant the tuner chose for each of the pass's keys (JSON). */
  tunedVariants?: Record<string, string>;
  /**
   * Tunable passes: whether the tuner kept the heuristic at every key, so that the tuned and
   * heuristic timings are of the same code: their gap is this run's noise.
   */
  tunedIsHeuristic?: boolean;
  /** A pass for comparison only, which the training step does not run (see Workload.inTrainingStep). */
  comparisonOnly?: boolean;
  adapter: string;
}

const engine = await createEngine();
const random = new Random(1);
const upload = (shape: Shape, low = -1, high = 1): Tensor => engine.tensor(random.values(sizeOf(shape), low, high), shape).keep();

// ---- ceilings, measured before the op passes and again after them; the faster of each
// counts: on this VM noise only adds time, and the machine's speed drifts within a run.
const MATMUL_SIZE = 1024;
const COPY_ELEMENTS = 16 * 1024 * 1024;
/** The matmul's GFLOP/s and the copy's GB/s (it reads and writes every element) from their milliseconds. */
const ceilingRates = ({ matmulMs, copyMs }: { matmulMs: number; copyMs: number }) => ({
  gflops: (2 * MATMUL_SIZE ** 3) / matmulMs / 1e6,
  gigabytesPerSecond: (2 * 4 * COPY_ELEMENTS) / copyMs / 1e6,
});
const describeCeilings = (ceilings: { matmulMs: number; copyMs: number }) => {
  const { gflops, gigabytesPerSecond } = ceilingRates(ceilings);
  return `matmul ${MATMUL_SIZE}^3 ${gflops.toFixed(2)} GFLOP/s, copy ${gigabytesPerSecond.toFixed(2)} GB/s`;
};
async function measureCeilings(): Promise<{ matmulMs: number; copyMs: number }> {
  const matmulMs = await matmulCeilingMilliseconds(engine, MATMUL_SIZE);
  const source = upload([COPY_ELEMENTS]);
  const copyMs = await fastestOf(engine, () => void copy(engine, source));
  source.dispose();
  return { matmulMs, copyMs };
}
const ceilingsBefore = await measureCeilings();
console.log(`ceilings before: ${describeCeilings(ceilingsBefore)}`);

// The matmul timed beside each compute-bound pass, in the same alternating rounds: these VMs'
// speed moves by 2x within an hour, which a ceiling measured only before and after the passes
// would put on the passes' shares. 512^3 (about as long as the slowest passes) measured level
// with 1,024^3 here: 4.33 against 3.87 GFLOP/s in alternating rounds.
const BESIDE_MATMUL_SIZE = 512;
const { encode: besideMatmul } = await tunedMatmul(engine, BESIDE_MATMUL_SIZE);

const records: KernelRecord[] = [];

/** One op application at the model's shapes: inputs, attributes, and the work it does. */
interface Workload {
  readonly name: OpName;
  readonly label: string;
  readonly inputs: readonly { shape: Shape; low?: number; high?: number }[];
  readonly attributes: unknown;
  /**
   * Which of its passes the training step runs (default all): none (the unfused
   * upsample-then-conv pair, shown for comparison), or not the input gradient (the first conv,
   * whose input is the data).
   */
  readonly inTrainingStep?: 'none' | 'not the input gradient';
}

function notebookWorkloads(batch: number): Workload[] {
  // Each pass as the model's training step runs it (Sequential's fusions, modules.ts): the
  // hidden convs carry their fused ReLU, except the two before a max-pool, which hand it to the
  // pool; the decoder's upsample-then-conv pairs run as conv2d with upsample ('upsample+conv'),
  // and the plain upsample and conv rows at those shapes are the unfused pair, for comparison.
  const conv = (label: string, inChannels: number, outChannels: number, size: number, activation: 'relu' | 'linear', upsample = 1, inTrainingStep?: Workload['inTrainingStep']): Workload => ({
    name: 'conv2d', label, ...(inTrainingStep ? { inTrainingStep } : {}),
    inputs: [{ shape: [batch, inChannels, size / upsample, size / upsample] }, { shape: [outChannels, inChannels, 3, 3] }, { shape: [outChannels] }],
    attributes: { padding: 'same', activation, ...(upsample > 1 ? { upsample } : {}) },
  });
  const image = (channels: number, size: number) => [batch, channels, size, size];
  return [
    conv('conv 3->8 @32', 3, 8, 32, 'linear', 1, 'not the input gradient'),
    { name: 'maxPool2d', label: 'pool+relu 8@32', inputs: [{ shape: image(8, 32) }], attributes: { poolSize: 2, padding: 'same', activation: 'relu' } },
    conv('conv 8->12 @16', 8, 12, 16, 'linear'),
    { name: 'maxPool2d', label: 'pool+relu 12@16', inputs: [{ shape: image(12, 16) }], attributes: { poolSize: 2, padding: 'same', activation: 'relu' } },
    conv('conv 12->16 @8', 12, 16, 8, 'relu'),
    { name: 'upsample2d', label: 'upsample 16@8', inputs: [{ shape: image(16, 8) }], attributes: { factor: 2 }, inTrainingStep: 'none' },
    conv('conv 16->12 @16', 16, 12, 16, 'relu', 1, 'none'),
    conv('upsample+conv 16->12 @16', 16, 12, 16, 'relu', 2),
    { name: 'upsample2d', label: 'upsample 12@16', inputs: [{ shape: image(12, 16) }], attributes: { factor: 2 }, inTrainingStep: 'none' },
    conv('conv 12->3 @32', 12, 3, 32, 'linear', 1, 'none'),
    conv('upsample+conv 12->3 @32', 12, 3, 32, 'linear', 2),
    { name: 'sigmoid', label: 'sigmoid 3@32', inputs: [{ shape: image(3, 32) }], attributes: {} },
    { name: 'binaryCrossEntropy', label: 'bce 3@32', inputs: [{ shape: image(3, 32), low: 0.05, high: 0.95 }, { shape: image(3, 32), low: 0.05, high: 0.95 }], attributes: {} },
  ];
}

/**
 * FLOPs of a conv pass (2 per multiply-add) as its kernels execute them and as the direct
 * convolution counts them, or bytes moved by a memory-bound pass.
 */
function work(workload: Workload, pass: string, outputSize: number): { flops?: number; directFlops?: number; bytes?: number } {
  const inputSize = sizeOf(workload.inputs[0]!.shape);
  if (workload.name === 'conv2d') {
    const [, inChannels, kernel] = workload.inputs[1]!.shape as [number, number, number];
    // The whole backward computes the input and the weight gradients: twice the forward.
    const passes = pass === 'backward input+weight+bias' ? 2 : 1;
    const directFlops = 2 * passes * outputSize * inChannels * kernel * kernel;
    const upsample = (workload.attributes as { upsample?: number }).upsample ?? 1;
    return { flops: directFlops * (upsample === 1 ? 1 : upsampledMultiplyAddShare(kernel, kernel, upsample)), directFlops };
  }
  const floats =
    pass === 'forward' ? inputSize * workload.inputs.length + outputSize : inputSize * (workload.inputs.length + 1) + outputSize;
  return { bytes: 4 * floats };
}

for (const batch of [32, 256]) {
  for (const workload of notebookWorkloads(batch)) {
    const op = ops[workload.name] as Op<unknown>;
    const inputs = workload.inputs.map(({ shape, low, high }) => upload(shape, low, high));
    const output = gpuBackend(engine).forward(op, inputs, workload.attributes).keep();
    const gradOutput = upload(output.shape);
    const passes: [string, () => void][] = [['forward', () => void gpuBackend(engine).forward(op, inputs, workload.attributes)]];
    const backward = (needsGradient: boolean[]) => () =>
      void gpuBackend(engine).backward(op, { inputs, output, attributes: workload.attributes, gradOutput, needsGradient });
    if (workload.name === 'conv2d') {
      // The weight-gradient pass also masks the gradient by the fused ReLU for the input
      // gradient, so the input gradient is timed within the whole backward.
      passes.push(['backward weight+bias', backward([false, true, true])], ['backward input+weight+bias', backward([true, true, true])]);
    } else {
      passes.push(['backward', backward(op.differentiable.slice())]);
    }
    for (const [pass, encode] of passes) {
      const keys = [...engine.tuning.collect(() => engine.scope(encode)).keys()];
      const tunable = keys.length > 0;
      if (tunable) await tune(engine, encode);
      const { flops, directFlops, bytes } = work(workload, pass, output.size);
      // Tunable passes: tuned and heuristic variants alternately, and the matmul beside them,
      // the fastest of five rounds each.
      let milliseconds: number;
      let heuristicMilliseconds: number | undefined;
      let besideMatmulMilliseconds: number | undefined;
      if (tunable) [milliseconds, heuristicMilliseconds, besideMatmulMilliseconds] = await tunedHeuristicAndCeiling(engine, encode, besideMatmul);
      else milliseconds = await fastestOf(engine, encode);
      const record: KernelRecord = {
        op: workload.name, pass, shape: workload.label, batch, milliseconds,
        ...(heuristicMilliseconds === undefined ? {} : { heuristicMilliseconds }),
        shareOfCeiling: 0, adapter: engine.adapterDescription,
        ...(tunable ? {
          tunedVariants: Object.fromEntries(keys.map((key) => [key, engine.tuning.get(key)?.choice ?? 'heuristic'])),
          tunedIsHeuristic: keys.every((key) => { const entry = engine.tuning.get(key); return !entry || !replacesHeuristic(entry); }),
        } : {}),
        ...(workload.inTrainingStep === 'none' || (workload.inTrainingStep === 'not the input gradient' && pass === 'backward input+weight+bias') ? { comparisonOnly: true } : {}),
      };
      if (flops !== undefined) {
        record.gflops = flops / milliseconds / 1e6;
        if (directFlops !== flops) record.directGflops = directFlops! / milliseconds / 1e6;
        if (besideMatmulMilliseconds !== undefined) {
          record.besideMatmulGflops = (2 * BESIDE_MATMUL_SIZE ** 3) / besideMatmulMilliseconds / 1e6;
          record.shareOfMatmulBeside = record.gflops / record.besideMatmulGflops;
        }
      } else {
        record.gigabytesPerSecond = bytes! / milliseconds / 1e6;
      }
      records.push(record);
      console.log(`${String(batch).padStart(4)}  ${record.shape.padEnd(25)} ${pass.padEnd(27)} ${milliseconds.toFixed(3).padStart(9)} ms`);
    }
    [...inputs, output, gradOutput].forEach((tensor) => tensor.dispose());
  }
}

function printRow(record: KernelRecord): void {
  const rate = record.gflops !== undefined ? `${record.gflops.toFixed(2)} GFLOP/s` : `${record.gigabytesPerSecond!.toFixed(2)} GB/s`;
  const heuristic = record.heuristicMilliseconds === undefined ? '' : `  (heuristic variants ${record.heuristicMilliseconds.toFixed(3)} ms)`;
  const direct = record.directGflops === undefined ? '' : `  (${record.directGflops.toFixed(2)} GFLOP/s counted as the direct convolution)`;
  const beside = record.shareOfMatmulBeside === undefined ? ''.padStart(7) : `${(100 * record.shareOfMatmulBeside).toFixed(1).padStart(6)}%`;
  console.log(
    `${String(record.batch).padStart(4)}  ${record.shape.padEnd(25)} ${record.pass.padEnd(27)} ${record.milliseconds.toFixed(3).padStart(9)} ms  ${rate.padStart(16)}  ${(100 * record.shareOfCeiling).toFixed(1).padStart(5)}% ${beside}${heuristic}${direct}`,
  );
}

const ceilingsAfter = await measureCeilings();
const fastest = { matmulMs: Math.min(ceilingsBefore.matmulMs, ceilingsAfter.matmulMs), copyMs: Math.min(ceilingsBefore.copyMs, ceilingsAfter.copyMs) };
const { gflops: peakGflops, gigabytesPerSecond: peakBandwidth } = ceilingRates(fastest);
for (const record of records) {
  record.shareOfCeiling = record.gflops !== undefined ? record.gflops / peakGflops : record.gigabytesPerSecond! / peakBandwidth;
}
records.unshift(
  { op: 'matmul', pass: 'ceiling', shape: `${MATMUL_SIZE}^3`, batch: 0, milliseconds: fastest.matmulMs, gflops: peakGflops, shareOfCeiling: 1, adapter: engine.adapterDescription },
  { op: 'copy', pass: 'ceiling', shape: `${COPY_ELEMENTS}`, batch: 0, milliseconds: fastest.copyMs, gigabytesPerSecond: peakBandwidth, shareOfCeiling: 1, adapter: engine.adapterDescription },
);
console.log('\nshares of the faster of the two ceiling measurements, and (compute-bound passes) of the matmul timed beside the pass:');
records.slice(2).forEach(printRow);
// The conv target (the README): every conv pass the training step runs at >= 50% of the
// engine's matmul, counted against the matmul timed beside it.
const stepConvPasses = records.filter((record) => record.shareOfMatmulBeside !== undefined && !record.comparisonOnly);
const below = stepConvPasses.filter((record) => record.shareOfMatmulBeside! < 0.5);
console.log(`\nconv passes of the training step at >= 50% of the matmul beside them: ${stepConvPasses.length - below.length} of ${stepConvPasses.length}` +
  (below.length ? `; below: ${below.map((record) => `${record.batch} ${record.shape} ${record.pass} ${(100 * record.shareOfMatmulBeside!).toFixed(1)}%`).join(', ')}` : ''));
// Where the tuner kept every heuristic, the tuned and heuristic rounds timed the same code.
const sameCode = records.filter((record) => record.tunedIsHeuristic);
if (sameCode.length > 0) {
  const gaps = sameCode.map((record) => Math.max(record.milliseconds, record.heuristicMilliseconds!) / Math.min(record.milliseconds, record.heuristicMilliseconds!) - 1).sort((a, b) => a - b);
  console.log(`noise: ${sameCode.length} passes kept every heuristic, so their tuned and heuristic rounds ran the same code; ` +
    `those two timings differ by ${(100 * gaps[Math.floor(gaps.length / 2)]!).toFixed(0)}% (median), up to ${(100 * gaps[gaps.length - 1]!).toFixed(0)}%`);
}
console.log(`\nadapter: ${engine.adapterDescription}`);
console.log(`ceilings: ${describeCeilings(fastest)} (before the passes: ${describeCeilings(ceilingsBefore)}; after: ${describeCeilings(ceilingsAfter)})`);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/kernels${runtimeName() === 'deno' ? '-deno' : ''}.json`;
writeFileSync(file, JSON.stringify(records, null, 2) + '\n');
console.log(`wrote ${file} (${records.length} records)`);
