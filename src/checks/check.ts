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
/** Coordinates sampled (without replacement) per input, half of them where the gradient is nonzero. */
const SAMPLED_COORDINATES = 24;
/** Random +-1 directions per input: each moves every element, so no gradient hides behind zeros. */
const DIRECTIONS = 2;
/**
 * The per-element bound beside the norm: |gpu - reference| <= ELEMENT_TOLERANCE * (|reference| +
 * rms(reference)) for every element (rtol and atol, the atol in units of the tensor's RMS), so
 * one element wrong by a fraction of the RMS fails where the norm over the tensor would pass.
 */
export const ELEMENT_TOLERANCE = 1e-3;

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

/** The element furthest outside the per-element bound: its index and |difference| / bound (> 1 fails). */
export function worstElement(actual: ArrayLike<number>, expected: ArrayLike<number>): { index: number; ratio: number } {
  if (actual.length !== expected.length) return { index: -1, ratio: Infinity };
  let squares = 0;
  for (let i = 0; i < expected.length; i++) squares += expected[i]! ** 2;
  const rms = Math.sqrt(squares / Math.max(1, expected.length));
  let worst = { index: -1, ratio: 0 };
  for (let i = 0; i < expected.length; i++) {
    const difference = Math.abs(actual[i]! - expected[i]!);
    const ratio = Number.isNaN(difference)
      ? Infinity
      : difference / Math.max(ELEMENT_TOLERANCE * (Math.abs(expected[i]!) + rms), 1e-300);
    if (ratio > worst.ratio || (difference > 0 && worst.index < 0)) worst = { index: i, ratio };
  }
  return worst;
}

/** `count` distinct coordinates of `gradient`: half (or all there are) where it is nonzero, the rest anywhere else. */
export function sampleCoordinates(gradient: ArrayLike<number>, count: number, random: Random): number[] {
  const nonzero: number[] = [];
  const rest: number[] = [];
  for (let i = 0; i < gradient.length; i++) (gradient[i] !== 0 ? nonzero : rest).push(i);
  const draw = (pool: number[], n: number) => {
    for (let i = 0; i < Math.min(n, pool.length); i++) {
      const j = i + Math.floor(random.next() * (pool.length - i));
      [pool[i], pool[j]] = [pool[j]!, pool[i]!];
    }
    return pool.slice(0, n);
  };
  const fromNonzero = draw(nonzero, Math.min(nonzero.length, Math.max(count >> 1, count - rest.length)));
  return [...fromNonzero, ...draw(rest, count - fromNonzero.length)];
}

/**
 * The reference gradient of `objective` with respect to `values` against central finite
 * differences: at the sampled coordinates, and along random +-1 directions v, where
 * (f(w + e v) - f(w - e v)) / 2e must equal gradient . v. The larger of the two relative errors.
 */
export function finiteDifferenceError(
  values: Float64Array,
  gradient: ArrayLike<number>,
  objective: () => number,
  random: Random,
  { coordinates = SAMPLED_COORDINATES, directions = DIRECTIONS } = {},
): number {
  const original = Float64Array.from(values);
  const along = (v: ArrayLike<number>, step: number): number => {
    const at = (epsilon: number): number => {
      for (let j = 0; j < values.length; j++) values[j] = original[j]! + epsilon * v[j]!;
      return objective();
    };
    const slope = (at(step) - at(-step)) / (2 * step);
    values.set(original);
    return slope;
  };
  const sampled = sampleCoordinates(gradient, Math.min(coordinates, values.length), random);
  const numeric = sampled.map((j) => {
    const v = new Float64Array(values.length);
    v[j] = 1;
    return along(v, 1e-6 * Math.max(1, Math.abs(original[j]!)));
  });
  const coordinateError = relativeError(
    numeric,
    sampled.map((j) => gradient[j]!),
  );
  const numericAlong: number[] = [];
  const analyticAlong: number[] = [];
  for (let direction = 0; direction < directions; direction++) {
    const v = Float64Array.from(original, () => (random.next() < 0.5 ? -1 : 1));
    numericAlong.push(along(v, 1e-6));
    analyticAlong.push(dot(v, gradient));
  }
  return Math.max(coordinateError, relativeError(numericAlong, analyticAlong));
}

export interface ParityResult {
  /** GPU forward against the reference forward. */
  readonly forward: number;
  /** Per input: GPU backward against the reference backward (null: not differentiable). */
  readonly backward: readonly (number | null)[];
  /** Per input: reference backward against finite differences (null: not checked). */
  readonly gradientCheck: readonly (number | null)[];
  /** The element furthest outside ELEMENT_TOLERANCE's bound: forward, then per input's gradient (null: none). */
  readonly elements: { readonly forward: ElementCheck; readonly backward: readonly (ElementCheck | null)[] };
  /** Per input: its reference gradient is zero everywhere, and the case does not say it must be. */
  readonly zeroGradient: readonly boolean[];
}

export interface ElementCheck {
  readonly index: number;
  /** |gpu - reference| / bound: above 1 fails. */
  readonly ratio: number;
}

export function dot(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < a.length; i++) total += a[i]! * b[i]!;
  return total;
}

/**
 * The checks of one case. `finiteDifferences: false` skips the third (the kernel-variant checks
 * run one case once per variant, and the reference they share is checked by the op cases).
 */
export async function checkOp<A>(
  engine: Engine,
  op: Op<A>,
  spec: ParityCase<A>,
  seed: number,
  { finiteDifferences = true } = {},
): Promise<ParityResult> {
  const random = new Random(seed);
  const { attributes } = spec;
  const inputs: HostTensor[] = spec.inputs.map(({ shape, low, high, round }) => {
    const data = random.values(sizeOf(shape), low, high);
    return { shape, data: round ? data.map(Math.round) : data };
  });
  const outputShape = op.outputShape(
    inputs.map((input) => input.shape),
    attributes,
  );
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

  // A gradient the op did not return, where one was needed, compares as Infinity, not as empty.
  const backward = needsGradient.map((needed, i) =>
    needed ? relativeError(gpuGradients[i] ?? [NaN], referenceGradients[i] ?? [NaN]) : null,
  );
  const elementChecks = needsGradient.map((needed, i) =>
    needed ? worstElement(gpuGradients[i] ?? [NaN], referenceGradients[i] ?? [NaN]) : null,
  );
  const zeroGradient = needsGradient.map(
    (needed, i) => needed && !spec.zeroGradient && (referenceGradients[i]?.every((value) => value === 0) ?? false),
  );

  const objective = () => dot(op.reference.forward(inputs, attributes, outputShape), gradOutput.data);
  const gradientCheck = needsGradient.map((needed, i) => {
    const input = inputs[i]!;
    if (!finiteDifferences || !needed || input.data.length > GRADIENT_CHECK_MAX_ELEMENTS) return null;
    return finiteDifferenceError(input.data, referenceGradients[i] ?? [], objective, random);
  });

  return {
    forward: relativeError(gpuOutput, output.data),
    backward,
    gradientCheck,
    zeroGradient,
    elements: { forward: worstElement(gpuOutput, output.data), backward: elementChecks },
  };
}

/** The failures of a result, as readable lines; empty when the case passes. */
export function failures(op: Op<unknown>, result: ParityResult): string[] {
  const lines: string[] = [];
  const outside = (what: string, element: ElementCheck) =>
    `${what}: element ${element.index} differs from the reference by ${element.ratio.toPrecision(3)} times its bound ${ELEMENT_TOLERANCE} x (|reference| + rms)`;
  if (!(result.forward < FLOAT32_TOLERANCE))
    lines.push(`forward: relative error ${result.forward} >= ${FLOAT32_TOLERANCE}`);
  else if (!(result.elements.forward.ratio <= 1)) lines.push(outside('forward', result.elements.forward));
  result.backward.forEach((error, i) => {
    const element = result.elements.backward[i];
    if (error !== null && !(error < FLOAT32_TOLERANCE))
      lines.push(`backward to ${op.inputNames[i]}: relative error ${error} >= ${FLOAT32_TOLERANCE}`);
    else if (element && !(element.ratio <= 1)) lines.push(outside(`backward to ${op.inputNames[i]}`, element));
  });
  result.zeroGradient.forEach((zero, i) => {
    if (zero)
      lines.push(
        `backward to ${op.inputNames[i]}: the reference gradient is zero everywhere, so nothing was checked (give the case inputs where it is not, or mark it zeroGradient)`,
      );
  });
  result.gradientCheck.forEach((error, i) => {
    if (error !== null && !(error < GRADIENT_CHECK_TOLERANCE))
      lines.push(`finite differences for ${op.inputNames[i]}: relative error ${error} >= ${GRADIENT_CHECK_TOLERANCE}`);
  });
  return lines;
}
