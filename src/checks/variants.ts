// Every kernel variant the tuner may choose must compute what the default does. These cases
// run each candidate of each tunable dispatch (engine.tuning.forcing) through the same checks
// as the op cases: under vitest (test/tuning/tuning.test.ts), Deno and the browser (suite.ts).
import type { Engine } from '../backend/engine.ts';
import { ops } from '../kernels/registry.ts';
import type { Op } from '../kernels/op.ts';
import { sizeOf } from '../shapes.ts';
import { Random } from '../random.ts';
import { checkOp, failures, type ParityResult } from './check.ts';
import { describeCase, type ParityCase } from './cases.ts';
import { gpuBackend } from '../nn/gpu-backend.ts';

/**
 * conv2d cases for the variants: a fused ReLU, stride 2 with a channel tail, the notebook's 8x8
 * layer and its two upsampled ones (the last, with 3 channels, runs its forward pass as the
 * input gradient's all-phases tile, rolled and unrolled), and a 5x5 kernel (the mission's
 * sweep tries kernel_size 5), whose weight gradient splits its kernel rows 3 + 2 in some variants.
 */
export const variantCases: readonly ParityCase<unknown>[] = [
  {
    inputs: [{ shape: [2, 3, 9, 7] }, { shape: [5, 3, 3, 3] }, { shape: [5] }],
    attributes: { padding: 'same', activation: 'relu' },
  },
  {
    inputs: [{ shape: [1, 4, 6, 17] }, { shape: [17, 4, 3, 3] }, { shape: [17] }],
    attributes: { stride: 2, padding: 'valid' },
  },
  {
    inputs: [{ shape: [2, 12, 8, 8] }, { shape: [16, 12, 3, 3] }, { shape: [16] }],
    attributes: { padding: 'same', activation: 'relu' },
  },
  {
    inputs: [{ shape: [2, 16, 8, 8] }, { shape: [12, 16, 3, 3] }, { shape: [12] }],
    attributes: { padding: 'same', activation: 'relu', upsample: 2 },
  },
  {
    inputs: [{ shape: [2, 12, 8, 8] }, { shape: [3, 12, 3, 3] }, { shape: [3] }],
    attributes: { padding: 'same', upsample: 2 },
  },
  { inputs: [{ shape: [2, 3, 9, 7] }, { shape: [8, 3, 5, 5] }, { shape: [8] }], attributes: { padding: 'same' } },
];

export interface VariantResult {
  readonly key: string;
  readonly candidate: string;
  /** The errors of the checks (null: the check threw). */
  readonly errors: ParityResult | null;
  /** Empty when the variant passed. */
  readonly problems: string[];
}

/** Every problem of `results`, one line each, naming the key and candidate it came from (empty when all passed). */
export function variantProblems(results: readonly VariantResult[]): string[] {
  return results.flatMap((result) =>
    result.problems.map((problem) => `${result.key} with ${result.candidate}: ${problem}`),
  );
}

/** Which of a key's candidates to check: all of them (checkVariants), or one drawn (checkDrawnVariants). */
type CandidateSelection = (candidates: readonly unknown[]) => readonly unknown[];

/** Checks every candidate of every tunable dispatch that a forward and backward of `spec` asks for. */
export async function checkVariants(
  engine: Engine,
  spec: ParityCase<unknown>,
  seed: number,
  op: Op<unknown> = ops.conv2d as Op<unknown>,
): Promise<VariantResult[]> {
  return checkSelectedVariants(engine, spec, seed, op, (candidates) => candidates);
}

/**
 * Checks one candidate of each tunable dispatch of `spec`, drawn (seeded) from those other than
 * the heuristic, which the op cases check. Run over every op case, this reaches the geometries
 * the variant cases do not: a variant that is wrong only where a kernel's rows do not fill its
 * tile, or where a split walks many rows, shows up at some case's shape.
 */
export async function checkDrawnVariants(
  engine: Engine,
  spec: ParityCase<unknown>,
  seed: number,
  op: Op<unknown>,
): Promise<VariantResult[]> {
  const draw = new Random(seed + 1);
  return checkSelectedVariants(engine, spec, seed, op, (candidates) =>
    candidates.length > 1 ? [draw.pick(candidates.slice(1))] : [],
  );
}

async function checkSelectedVariants(
  engine: Engine,
  spec: ParityCase<unknown>,
  seed: number,
  op: Op<unknown>,
  select: CandidateSelection,
): Promise<VariantResult[]> {
  const random = new Random(seed);
  const keys = engine.tuning.collect(() =>
    engine.scope(() => {
      const inputs = spec.inputs.map(({ shape }) => engine.tensor(random.values(sizeOf(shape)), shape));
      const output = gpuBackend(engine).forward(op, inputs, spec.attributes);
      const gradOutput = engine.tensor(random.values(output.size), output.shape);
      gpuBackend(engine).backward(op, {
        inputs,
        output,
        attributes: spec.attributes,
        gradOutput,
        needsGradient: op.differentiable.slice(0, inputs.length),
      });
    }),
  );
  const results: VariantResult[] = [];
  for (const [key, candidates] of keys) {
    for (const candidate of select(candidates)) {
      let problems: string[];
      let errors: ParityResult | null = null;
      try {
        // The reference does not depend on the variant: the op cases check it by finite differences.
        errors = await engine.tuning.forcing(key, candidate, () =>
          checkOp(engine, op, spec, seed, { finiteDifferences: false }),
        );
        problems = failures(op, errors);
      } catch (error) {
        problems = [String(error)];
      }
      results.push({
        key,
        candidate: JSON.stringify(candidate),
        errors,
        problems: problems.map((problem) => `${describeCase(spec)}: ${problem}`),
      });
    }
  }
  return results;
}
