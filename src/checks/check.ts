// The three checks every op case passes, shared by the vitest suite (Node + Dawn) and the
// Deno runner: GPU forward against the float64 reference, GPU backward against the
// reference backward, and the reference backward against central finite differences.
import type { Engine } from '../backend/engine.ts';
import type { HostTensor, Op } from '../kernels/op.ts';
import { sizeOf } from '../shapes.ts';
import type { ParityCase } from './cases.ts';
import { Random } from '../random.ts';
import { gpuBackend } from '../nn/gpu-backend.ts';

/** float32 kernels against the float64 reference: ||gpu - reference|| / ||reference||. */
export const FLOAT32_TOLERANCE = 1e-4;
/** float64 reference backward against float64 central differences. */
export const GRADIENT_CHECK_TOLERANCE = 1e-6;
/**
 * Finite differences need the objective to respond to one input element well above the
 * float64 rounding of the whole objective. Through a mean over n elements that response is
 * 1/n, so inputs larger than this are checked GPU-against-reference only; every op has
 * smaller cases that are finite-difference checked.
 */
export const GRADIENT_CHECK_MAX_ELEMENTS = 8192;
const SAMPLED_COORDINATES = 24;

export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) return Infinity;
  let difference = 0;
  let norm = 0;
  for (let i = 0; i < expected.length; i++) {
    difference += (actual[i]! - expected[i]!) ** 2;
    norm += expected[i]! ** 2;
  }
  if (!Number.isFinite(difference)) return Infinity; // NaN: an unwritten (poisoned) element
  return difference === 0 ? 0 : Math.sqrt(difference) / Math.max(Math.sqrt(norm), 1e-30);
}

export interface ParityResult {
  /** GPU forward against the reference forward. */
  readonly forward: number;
  /** Per input: GPU backward against the reference backward (null: not differentiable). */
  readonly backward: readonly (number | null)[];
  /** Per input: reference backward against finite differences (null: not checked). */
  readonly gradientCheck: readonly (number | null)[];
}

function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i]! * b[i]!;
  return total;
}

/**
 * The checks of one case. `finiteDifferences: false` skips the third (the kernel-variant checks
 * run one case once per variant, and the reference they share is checked by the op cases).
 */
export async function checkOp<A>(engine: Engine, op: Op<A>, spec: ParityCase<A>, seed: number, { finiteDifferences = true } = {}): Promise<ParityResult> {
  const random = new Random(seed);
  const { attributes } = spec;
  const inputs: HostTensor[] = spec.inputs.map(({ shape, low, high, round }) => {
    const data = random.values(sizeOf(shape), low, high);
    return { shape, data: round ? data.map(Math.round) : data };
  });
  const outputShape = op.outputShape(inputs.map((input) => input.shape), attributes);
  const output: HostTensor = { shape: outputShape, data: op.reference.forward(inputs, attributes, outputShape) };
  const gradOutput: HostTensor = { shape: outputShape, data: random.values(sizeOf(outputShape)) };
  const needsGradient = op.differentiable.slice(0, inputs.length);
  const referenceGradients = op.reference.backward({ inputs, output, attributes, gradOutput, needsGradient });

  const [gpuOutput, gpuGradients] = await engine.scopeAsync(async () => {
    const tensors = inputs.map((input) => engine.tensor(input.data, input.shape));
    const result = gpuBackend(engine).forward(op, tensors, attributes);
    const gradients = gpuBackend(engine).backward(op, {
      inputs: tensors,
      output: result,
      attributes,
      gradOutput: engine.tensor(gradOutput.data, outputShape),
      needsGradient,
    });
    return [await result.read(), await Promise.all(gradients.map((gradient) => gradient?.read() ?? null))] as const;
  });

  const backward = needsGradient.map((needed, i) => (needed ? relativeError(gpuGradients[i] ?? [], referenceGradients[i] ?? []) : null));

  const gradientCheck = needsGradient.map((needed, i) => {
    const input = inputs[i]!;
    if (!finiteDifferences || !needed || input.data.length > GRADIENT_CHECK_MAX_ELEMENTS) return null;
    const analytic = referenceGradients[i]!;
    const coordinates = Array.from({ length: Math.min(SAMPLED_COORDINATES, input.data.length) }, () => random.integer(0, input.data.length - 1));
    const numeric = coordinates.map((j) => {
      const original = input.data[j]!;
      const step = 1e-6 * Math.max(1, Math.abs(original));
      const objective = (value: number): number => {
        input.data[j] = value;
        return dot(op.reference.forward(inputs, attributes, outputShape), gradOutput.data);
      };
      const slope = (objective(original + step) - objective(original - step)) / (2 * step);
      input.data[j] = original;
      return slope;
    });
    return relativeError(numeric, coordinates.map((j) => analytic[j]!));
  });

  return { forward: relativeError(gpuOutput, output.data), backward, gradientCheck };
}

/** The failures of a result, as readable lines; empty when the case passes. */
export function failures(op: Op<unknown>, result: ParityResult): string[] {
  const lines: string[] = [];
  if (!(result.forward < FLOAT32_TOLERANCE)) lines.push(`forward: relative error ${result.forward} >= ${FLOAT32_TOLERANCE}`);
  result.backward.forEach((error, i) => {
    if (error !== null && !(error < FLOAT32_TOLERANCE)) lines.push(`backward to ${op.inputNames[i]}: relative error ${error} >= ${FLOAT32_TOLERANCE}`);
  });
  result.gradientCheck.forEach((error, i) => {
    if (error !== null && !(error < GRADIENT_CHECK_TOLERANCE)) lines.push(`finite differences for ${op.inputNames[i]}: relative error ${error} >= ${GRADIENT_CHECK_TOLERANCE}`);
  });
  return lines;
}
