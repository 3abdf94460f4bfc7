// The kernel benchmark's measurements: every op, forward and backward, at the notebook
// autoencoder's real shapes, against plain kernels measured in the same run (ceilings.ts),
// before the passes and after them: the plain matmul for FLOP/s and the copy for bandwidth;
// the engine's own matmul is a row of its own. Each conv pass is timed in alternation with the
// plain direct conv at its shape (its share of that is what the target counts) and, where the
// tuner runs first, with the kernels' heuristic variants (the fastest of five alternating
// rounds each: on a busy machine noise only adds time).
// bench/kernels.ts runs it from the command line; the lab page's Kernels view in a browser.
import type { Engine } from '../backend/engine.ts';
import { ops } from '../kernels/registry.ts';
import type { Op } from '../kernels/op.ts';
import { copy } from './kernels/matmul.ts';
import { sizeOf, type Shape } from '../shapes.ts';
import { Random } from '../random.ts';
import type { Tensor } from '../backend/tensor.ts';
import { fastestInAlternatingRounds, fastestOf } from '../tuning/measure.ts';
import { tune } from '../tuning/tuner.ts';
import { replacesHeuristic } from '../tuning/table.ts';
import { tunedHeuristicAndCeiling } from './variants.ts';
import { engineMatmulWork, plainConvWork, plainMatmulWork, timeRun, timeWork } from './ceilings.ts';
import { gpuBackend } from '../nn/gpu-backend.ts';
import { work, type Workload } from './workloads.ts';

export { notebookWorkloads, type Workload } from './workloads.ts';

export interface KernelRecord {
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
  /** Of the plain matmul's GFLOP/s for compute-bound passes, of the copy's GB/s for the rest. */
  shareOfCeiling: number;
  /**
   * Conv passes: the plain direct conv at the pass's shape (its batch, channels and output
   * size) timed in the same alternating rounds as the pass, and the pass's share of it.
   */
  besidePlainConvGflops?: number;
  shareOfPlainConvBeside?: number;
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

export interface KernelBenchOptions {
  /** The plain and the engine's matmul's size (size^3, a multiple of 128). */
  readonly matmulSize: number;
  /** The ceiling copy's elements. */
  readonly copyElements: number;
  /** Tune the conv passes' variants first and time them against the heuristic ones too. */
  readonly tune: boolean;
}

export const COMMAND_LINE_OPTIONS: KernelBenchOptions = {
  matmulSize: 1024,
  copyElements: 16 * 1024 * 1024,
  tune: true,
};

export interface Ceilings {
  /** The plain matmul's milliseconds: the FLOP/s ceiling. */
  readonly matmulMs: number;
  /** The engine's own matmul, timed with it: a row, never a denominator. */
  readonly engineMatmulMs: number;
  readonly copyMs: number;
}

export class KernelBench {
  readonly records: KernelRecord[] = [];
  private readonly random = new Random(1);

  private constructor(
    readonly engine: Engine,
    readonly options: KernelBenchOptions,
    readonly ceilingsBefore: Ceilings,
  ) {}

  /** Measures the ceilings (the first time). */
  static async create(engine: Engine, options: KernelBenchOptions = COMMAND_LINE_OPTIONS): Promise<KernelBench> {
    return new KernelBench(engine, options, await measureCeilings(engine, options));
  }

  /** The matmuls' GFLOP/s and the copy's GB/s (it reads and writes every element) from their milliseconds. */
  rates({ matmulMs, engineMatmulMs, copyMs }: Ceilings): {
    gflops: number;
    engineGflops: number;
    gigabytesPerSecond: number;
  } {
    const flops = 2 * this.options.matmulSize ** 3;
    return {
      gflops: flops / matmulMs / 1e6,
      engineGflops: flops / engineMatmulMs / 1e6,
      gigabytesPerSecond: (2 * 4 * this.options.copyElements) / copyMs / 1e6,
    };
  }

  describe(ceilings: Ceilings): string {
    const { gflops, engineGflops, gigabytesPerSecond } = this.rates(ceilings);
    return `plain matmul ${this.options.matmulSize}^3 ${gflops.toFixed(2)} GFLOP/s (the engine's ${engineGflops.toFixed(2)}), copy ${gigabytesPerSecond.toFixed(2)} GB/s`;
  }

  private upload(shape: Shape, low = -1, high = 1): Tensor {
    return this.engine.tensor(this.random.values(sizeOf(shape), low, high), shape).keep();
  }

  /** Times every pass of one workload (its shares are filled in by finish). */
  async measure(
    workload: Workload,
    batch: number,
    onRecord: (record: KernelRecord) => void = () => {},
  ): Promise<KernelRecord[]> {
    const measured: KernelRecord[] = [];
    const op = ops[workload.name] as Op<unknown>;
    const inputs = workload.inputs.map(({ shape, low, high }) => this.upload(shape, low, high));
    const output = gpuBackend(this.engine).forward(op, inputs, workload.attributes).keep();
    const gradOutput = this.upload(output.shape);
    const passes: [string, () => void][] = [
      ['forward', () => void gpuBackend(this.engine).forward(op, inputs, workload.attributes)],
    ];
    const backward = (needsGradient: boolean[]) => () =>
      void gpuBackend(this.engine).backward(op, {
        inputs,
        output,
        attributes: workload.attributes,
        gradOutput,
        needsGradient,
      });
    if (workload.name === 'conv2d') {
      // The weight-gradient pass also masks the gradient by the fused ReLU for the input
      // gradient, so the input gradient is timed within the whole backward.
      passes.push(
        ['backward weight+bias', backward([false, true, true])],
        ['backward input+weight+bias', backward([true, true, true])],
      );
    } else {
      passes.push(['backward', backward(op.differentiable.slice())]);
    }
    // Conv passes are timed beside the plain direct conv at their shape.
    const [, , outHeight, outWidth] = output.shape as [number, number, number, number];
    const plain =
      workload.name === 'conv2d'
        ? plainConvWork(this.engine, {
            batch,
            height: outHeight,
            width: outWidth,
            inChannels: workload.inputs[1]!.shape[1]!,
            outChannels: workload.inputs[1]!.shape[0]!,
          })
        : null;
    for (const [pass, encode] of passes) {
      const keys = [...this.engine.tuning.collect(() => this.engine.scope(encode)).keys()];
      const tunable = keys.length > 0;
      if (tunable && this.options.tune) await tune(this.engine, encode);
      const { flops, directFlops, bytes } = work(workload, pass, output.size);
      // Tuned passes: tuned and heuristic variants alternately, and the plain conv beside them;
      // other conv passes with the plain conv; the fastest of five rounds each.
      let milliseconds: number;
      let heuristicMilliseconds: number | undefined;
      let besideMilliseconds: number | undefined;
      if (plain && tunable && this.options.tune)
        [milliseconds, heuristicMilliseconds, besideMilliseconds] = await tunedHeuristicAndCeiling(
          this.engine,
          encode,
          plain.encode,
        );
      else if (plain)
        [milliseconds, besideMilliseconds] = (await fastestInAlternatingRounds([
          timeRun(this.engine, encode),
          timeWork(this.engine, plain),
        ])) as [number, number];
      else milliseconds = await fastestOf(this.engine, encode);
      const record: KernelRecord = {
        op: workload.name,
        pass,
        shape: workload.label,
        batch,
        milliseconds,
        ...(heuristicMilliseconds === undefined ? {} : { heuristicMilliseconds }),
        shareOfCeiling: 0,
        adapter: this.engine.adapterDescription,
        ...(tunable
          ? {
              tunedVariants: Object.fromEntries(
                keys.map((key) => [key, this.engine.tuning.get(key)?.choice ?? 'heuristic']),
              ),
              tunedIsHeuristic: keys.every((key) => {
                const entry = this.engine.tuning.get(key);
                return !entry || !replacesHeuristic(entry);
              }),
            }
          : {}),
        ...(workload.inTrainingStep === 'none' ||
        (workload.inTrainingStep === 'not the input gradient' && pass === 'backward input+weight+bias')
          ? { comparisonOnly: true }
          : {}),
      };
      if (flops !== undefined) {
        record.gflops = flops / milliseconds / 1e6;
        if (directFlops !== flops) record.directGflops = directFlops! / milliseconds / 1e6;
        if (plain && besideMilliseconds !== undefined) {
          record.besidePlainConvGflops = plain.flops / besideMilliseconds / 1e6;
          record.shareOfPlainConvBeside = record.gflops / record.besidePlainConvGflops;
        }
      } else {
        record.gigabytesPerSecond = bytes! / milliseconds / 1e6;
      }
      this.records.push(record);
      measured.push(record);
      onRecord(record);
    }
    [...inputs, output, gradOutput].forEach((tensor) => tensor.dispose());
    plain?.dispose();
    return measured;
  }

  /**
   * Measures the ceilings again and gives every record its share of the faster of the two
   * measurements; the ceilings lead the records.
   */
  async finish(): Promise<{ records: KernelRecord[]; fastest: Ceilings; after: Ceilings }> {
    const after = await measureCeilings(this.engine, this.options);
    const before = this.ceilingsBefore;
    const fastest = {
      matmulMs: Math.min(before.matmulMs, after.matmulMs),
      engineMatmulMs: Math.min(before.engineMatmulMs, after.engineMatmulMs),
      copyMs: Math.min(before.copyMs, after.copyMs),
    };
    const { gflops: peakGflops, engineGflops, gigabytesPerSecond: peakBandwidth } = this.rates(fastest);
    for (const record of this.records) {
      record.shareOfCeiling =
        record.gflops !== undefined ? record.gflops / peakGflops : record.gigabytesPerSecond! / peakBandwidth;
    }
    const adapter = this.engine.adapterDescription;
    const records: KernelRecord[] = [
      {
        op: 'plain matmul',
        pass: 'ceiling',
        shape: `${this.options.matmulSize}^3`,
        batch: 0,
        milliseconds: fastest.matmulMs,
        gflops: peakGflops,
        shareOfCeiling: 1,
        adapter,
      },
      {
        op: 'matmul',
        pass: 'engine',
        shape: `${this.options.matmulSize}^3`,
        batch: 0,
        milliseconds: fastest.engineMatmulMs,
        gflops: engineGflops,
        shareOfCeiling: engineGflops / peakGflops,
        adapter,
      },
      {
        op: 'copy',
        pass: 'ceiling',
        shape: `${this.options.copyElements}`,
        batch: 0,
        milliseconds: fastest.copyMs,
        gigabytesPerSecond: peakBandwidth,
        shareOfCeiling: 1,
        adapter,
      },
      ...this.records,
    ];
    return { records, fastest, after };
  }
}

/** The plain matmul, the engine's matmul (its tile tuned) and the copy, in alternating rounds. */
async function measureCeilings(engine: Engine, options: KernelBenchOptions): Promise<Ceilings> {
  const source = engine.tensor(new Random(2).values(options.copyElements), [options.copyElements]).keep();
  const matmuls = [plainMatmulWork(engine, options.matmulSize), await engineMatmulWork(engine, options.matmulSize)];
  const runs = [...matmuls.map((work) => () => work.encode()), () => void copy(engine, source)];
  const [matmulMs, engineMatmulMs, copyMs] = await fastestInAlternatingRounds(
    runs.map((run) => timeRun(engine, run)),
    3,
  );
  source.dispose();
  matmuls.forEach((work) => work.dispose());
  return { matmulMs: matmulMs!, engineMatmulMs: engineMatmulMs!, copyMs: copyMs! };
}
