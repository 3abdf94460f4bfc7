// gradcheck for a user's own model or op, in the spirit of torch.autograd.gradcheck. Two
// comparisons, each reported per tensor:
//   the GPU forward and backward against the same model (or op) run as its float64 reference,
//     the gradient of the objective L = sum(output * g) for a random g, to the input and to
//     every parameter;
//   the reference's gradient against central finite differences of L, at sampled coordinates
//     (half where the gradient is nonzero) and along random +-1 directions v: (L(w + e v) -
//     L(w - e v)) / 2e must equal grad . v. A direction moves every element at once, so a
//     gradient wrong only where it is nonzero (a pool's winners) cannot hide behind a sample
//     of zeros, and a gradient that is zero everywhere fails outright.
import type { Engine } from '../backend/engine.ts';
import { Tensor } from '../backend/tensor.ts';
import type { Op } from '../kernels/op.ts';
import { apply, backward, noGrad, type TapeTensor } from '../nn/autograd.ts';
import { Module } from '../nn/modules.ts';
import { ReferenceEngine, ReferenceTensor } from '../nn/reference-backend.ts';
import { tensorValues } from '../nn/weights.ts';
import { AelabError } from '../errors.ts';
import { formatShape, sizeOf, type Shape } from '../shapes.ts';
import { Random } from '../random.ts';
import {
  dot,
  ELEMENT_TOLERANCE,
  finiteDifferenceError,
  FLOAT32_TOLERANCE,
  GRADIENT_CHECK_TOLERANCE,
  relativeError,
  worstElement,
} from './check.ts';

/** An input: its shape (random values in [-1, 1], away from 0), or its values too. */
export type GradcheckInput = Shape | { readonly shape: Shape; readonly data: ArrayLike<number> };

/** gradcheck's tolerances, seed and engine. */
export interface GradcheckOptions {
  /** GPU (float32) against the float64 reference: the largest relative error accepted (default 1e-4). */
  readonly tolerance?: number;
  /** The reference against finite differences: the largest relative error accepted (default 1e-6). */
  readonly finiteDifferenceTolerance?: number;
  /** Random directions per tensor for the finite differences (default 3), beside 24 sampled coordinates. */
  readonly directions?: number;
  /** Seeds the random inputs, g and the directions (default 1). */
  readonly seed?: number;
  /** The engine to run on: needed for an op, or for a model without GPU parameters. */
  readonly engine?: Engine;
  /** An op's attributes. */
  readonly attributes?: unknown;
}

/** One checked tensor: an input ('input', or an op's input name) or a parameter ('encoder.0.weight'). */
export interface GradcheckRow {
  readonly name: string;
  readonly shape: Shape;
  /** ||GPU gradient - reference gradient|| / ||reference gradient||. */
  readonly backward: number;
  /** The element furthest from the reference, as a multiple of its bound ELEMENT_TOLERANCE x (|reference| + rms): above 1 fails. */
  readonly worstElement: number;
  /** Relative error of the reference gradient against finite differences (sampled coordinates, random directions). */
  readonly finiteDifferences: number;
  /** The reference gradient is zero everywhere: nothing was checked, and the row fails. */
  readonly zero: boolean;
}

/** gradcheck's verdict and its rows: each parameter's and input's largest errors against float64 and finite differences. */
export interface GradcheckReport {
  readonly passed: boolean;
  /** ||GPU output - reference output|| / ||reference output||. */
  readonly forward: number;
  readonly rows: readonly GradcheckRow[];
  /** Why it failed, one line each; empty when it passed. */
  readonly failures: readonly string[];
  readonly tolerance: number;
  readonly finiteDifferenceTolerance: number;
}

/** What is checked, on one backend: a function of the inputs, and the parameters it reads. */
interface Subject<T extends TapeTensor<T>> {
  run(inputs: readonly T[]): T;
  readonly parameters: readonly [string, T][];
  /** Each input's name and whether it gets a gradient. */
  readonly inputs: readonly { name: string; differentiable: boolean }[];
}

function isOp(target: object): target is Op<unknown> {
  return 'reference' in target && 'inputNames' in target && 'differentiable' in target;
}

/**
 * Checks a model (a Module on the GPU) or an op (made with defineOp) on `inputs`: one input for
 * a model (its batch included, e.g. [2, 1, 28, 28]), one per op input for an op. Returns the
 * errors per tensor and whether every one is within its tolerance.
 */
export async function gradcheck(
  target: Module<Tensor> | Op<any>,
  inputs: GradcheckInput | readonly GradcheckInput[],
  options: GradcheckOptions = {},
): Promise<GradcheckReport> {
  const tolerance = options.tolerance ?? FLOAT32_TOLERANCE;
  const finiteDifferenceTolerance = options.finiteDifferenceTolerance ?? GRADIENT_CHECK_TOLERANCE;
  const random = new Random(options.seed ?? 1);
  const given = isSingleInput(inputs) ? [inputs] : (inputs as readonly GradcheckInput[]);
  const data = given.map((input) => inputValues(input, random));
  const reference = new ReferenceEngine();
  let engine: Engine;
  let gpu: Subject<Tensor>;
  let cpu: Subject<ReferenceTensor>;
  if (target instanceof Module) {
    if (data.length !== 1) throw new AelabError(`gradcheck: a model takes one input, got ${data.length}`);
    engine = options.engine ?? engineOf(target);
    const twin = await referenceTwin(target, reference);
    gpu = modelSubject(target);
    cpu = modelSubject(twin);
  } else if (isOp(target)) {
    if (!options.engine) throw new AelabError(`gradcheck: checking the op '${target.name}' needs options.engine`);
    engine = options.engine;
    gpu = opSubject(target, options.attributes);
    cpu = opSubject(target, options.attributes);
  } else {
    throw new AelabError('gradcheck: expected a Module or an op made with defineOp');
  }

  const cpuInputs = data.map((input) => reference.tensor(input.data, input.shape));
  const cpuResult = referenceGradients(cpu, cpuInputs, random);
  const g = cpuResult.g;
  const gpuResult = await gpuGradients(engine, gpu, data, g);

  const names = [
    ...cpu.inputs.filter((input) => input.differentiable).map((input) => input.name),
    ...cpu.parameters.map(([name]) => name),
  ];
  const checked = [
    ...cpuInputs.filter((_, i) => cpu.inputs[i]!.differentiable),
    ...cpu.parameters.map(([, parameter]) => parameter),
  ];
  const objective = () => dot(noGrad(() => cpu.run(cpuInputs)).data, g);
  const rows = checked.map((tensor, i): GradcheckRow => {
    const analytic = cpuResult.gradients[i]!;
    return {
      name: names[i]!,
      shape: tensor.shape,
      backward: relativeError(gpuResult.gradients[i]!, analytic),
      finiteDifferences: finiteDifferenceError(tensor.data, analytic, objective, random, {
        directions: options.directions ?? 3,
      }),
      worstElement: worstElement(gpuResult.gradients[i]!, analytic).ratio,
      zero: analytic.every((value) => value === 0),
    };
  });
  const forward = relativeError(gpuResult.output, cpuResult.output);
  const failures: string[] = [];
  if (!(forward < tolerance)) failures.push(`forward: relative error ${forward} >= ${tolerance}`);
  for (const row of rows) {
    if (row.zero)
      failures.push(
        `${row.name}: the gradient is zero everywhere, so nothing was checked (choose inputs where it is not)`,
      );
    if (!(row.backward < tolerance))
      failures.push(
        `${row.name}: GPU gradient against the float64 reference, relative error ${row.backward} >= ${tolerance}`,
      );
    else if (!(row.worstElement <= 1))
      failures.push(
        `${row.name}: a GPU gradient element is ${row.worstElement.toPrecision(3)} times its bound ${ELEMENT_TOLERANCE} x (|reference| + rms) from the reference`,
      );
    if (!(row.finiteDifferences < finiteDifferenceTolerance))
      failures.push(
        `${row.name}: reference gradient against finite differences, relative error ${row.finiteDifferences} >= ${finiteDifferenceTolerance}`,
      );
  }
  return { passed: failures.length === 0, forward, rows, failures, tolerance, finiteDifferenceTolerance };
}

/** The report as a table and a closing line, for a terminal. */
export function formatGradcheck(report: GradcheckReport): string {
  const lines = [`forward: relative error ${report.forward.toExponential(2)} (GPU against float64)`];
  const width = Math.max(6, ...report.rows.map((row) => row.name.length));
  lines.push(`${'tensor'.padEnd(width)}  ${'shape'.padEnd(16)}  GPU vs float64  float64 vs finite differences`);
  for (const row of report.rows) {
    const flag = row.zero ? '  (zero gradient)' : '';
    lines.push(
      `${row.name.padEnd(width)}  ${formatShape(row.shape).padEnd(16)}  ${row.backward.toExponential(2).padStart(14)}  ${row.finiteDifferences.toExponential(2).padStart(29)}${flag}`,
    );
  }
  for (const failure of report.failures) lines.push(`FAIL ${failure}`);
  lines.push(
    `gradcheck: ${report.passed ? 'passed' : 'FAILED'} (tolerances ${report.tolerance} and ${report.finiteDifferenceTolerance})`,
  );
  return lines.join('\n');
}

function isSingleInput(inputs: GradcheckInput | readonly GradcheckInput[]): inputs is GradcheckInput {
  return !Array.isArray(inputs) || typeof inputs[0] === 'number' || inputs.length === 0;
}

function inputValues(input: GradcheckInput, random: Random): { shape: Shape; data: Float64Array } {
  if ('shape' in input && !Array.isArray(input)) {
    const given = input as { shape: Shape; data: ArrayLike<number> };
    if (given.data.length !== sizeOf(given.shape))
      throw new AelabError(`gradcheck: ${given.data.length} values do not fill ${formatShape(given.shape)}`);
    return { shape: given.shape, data: Float64Array.from(given.data) };
  }
  const shape = input as Shape;
  return { shape, data: random.values(sizeOf(shape)) };
}

function engineOf(model: Module<Tensor>): Engine {
  const parameter = model.parameters()[0];
  if (!(parameter instanceof Tensor))
    throw new AelabError('gradcheck: the model has no GPU parameters to find its engine by; pass options.engine');
  return parameter.engine;
}

function modelSubject<T extends TapeTensor<T>>(model: Module<T>): Subject<T> {
  return {
    run: ([input]) => model.forward(input!),
    parameters: model.namedParameters(),
    inputs: [{ name: 'input', differentiable: true }],
  };
}

function opSubject<T extends TapeTensor<T>>(op: Op<unknown>, attributes: unknown): Subject<T> {
  return {
    run: (inputs) => apply(op, inputs, attributes ?? {}),
    parameters: [],
    inputs: op.inputNames.map((name, i) => ({
      name: name.replace(/\?$/, ''),
      differentiable: op.differentiable[i] === true,
    })),
  };
}

/** The reference run: its output, the random g drawn for it, and the gradients of sum(output * g). */
function referenceGradients(
  subject: Subject<ReferenceTensor>,
  inputs: readonly ReferenceTensor[],
  random: Random,
): { output: Float64Array; g: Float64Array; gradients: Float64Array[] } {
  inputs.forEach((input, i) => (input.requiresGrad = subject.inputs[i]!.differentiable));
  const output = subject.run(inputs);
  const g = random.values(sizeOf(output.shape));
  backward(output, new ReferenceEngine().tensor(g, output.shape));
  const leaves = [
    ...inputs.filter((_, i) => subject.inputs[i]!.differentiable),
    ...subject.parameters.map(([, parameter]) => parameter),
  ];
  const gradients = leaves.map((leaf) => leaf.grad?.data ?? new Float64Array(sizeOf(leaf.shape)));
  for (const leaf of [...inputs, ...leaves]) {
    leaf.grad = null;
    leaf.requiresGrad = subject.parameters.some(([, parameter]) => parameter === leaf);
  }
  return { output: output.data, g, gradients };
}

async function gpuGradients(
  engine: Engine,
  subject: Subject<Tensor>,
  data: readonly { shape: Shape; data: Float64Array }[],
  g: Float64Array,
): Promise<{ output: Float32Array; gradients: Float32Array[] }> {
  for (const [, parameter] of subject.parameters) (parameter.grad?.dispose(), (parameter.grad = null));
  return engine.scopeAsync(async () => {
    const inputs = data.map((input, i) => {
      const tensor = engine.tensor(input.data, input.shape, `gradcheck ${subject.inputs[i]?.name ?? i}`);
      tensor.requiresGrad = subject.inputs[i]?.differentiable ?? false;
      return tensor;
    });
    const output = subject.run(inputs);
    backward(output, engine.tensor(g, output.shape, 'gradcheck g'));
    const leaves = [
      ...inputs.filter((_, i) => subject.inputs[i]!.differentiable),
      ...subject.parameters.map(([, parameter]) => parameter),
    ];
    const missing = leaves.map((leaf) => (leaf.grad ? null : engine.zeros(leaf.shape)));
    const [values, ...gradients] = await tensorValues([output, ...leaves.map((leaf, i) => leaf.grad ?? missing[i]!)]);
    for (const leaf of leaves) (leaf.grad?.dispose(), (leaf.grad = null));
    return { output: values!, gradients };
  });
}

/** A copy of `model` on the float64 reference: the same classes and settings, every GPU tensor it holds copied. */
async function referenceTwin(model: Module<Tensor>, reference: ReferenceEngine): Promise<Module<ReferenceTensor>> {
  const tensors = new Set<Tensor>();
  collectTensors(model, tensors, new Set());
  const list = [...tensors];
  const values = await tensorValues(list);
  const copies = new Map(
    list.map((tensor, i) => {
      const copy = reference.tensor(values[i]!, tensor.shape);
      copy.requiresGrad = tensor.requiresGrad;
      return [tensor, copy] as const;
    }),
  );
  return copyWith(model, copies, new Map()) as Module<ReferenceTensor>;
}

/** The tensors a module holds in its properties, its sub-modules' and arrays of them. */
function collectTensors(value: unknown, into: Set<Tensor>, seen: Set<object>): void {
  if (value instanceof Tensor) into.add(value);
  else if (Array.isArray(value) || value instanceof Module) {
    if (seen.has(value)) return;
    seen.add(value);
    for (const item of Array.isArray(value) ? value : Object.values(value)) collectTensors(item, into, seen);
  }
}

function copyWith(value: unknown, copies: ReadonlyMap<Tensor, ReferenceTensor>, done: Map<object, unknown>): unknown {
  if (value instanceof Tensor) return copies.get(value);
  if (!(Array.isArray(value) || value instanceof Module)) return value;
  if (done.has(value)) return done.get(value);
  if (Array.isArray(value)) {
    const array: unknown[] = [];
    done.set(value, array);
    for (const item of value) array.push(copyWith(item, copies, done));
    return array;
  }
  const copy = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  done.set(value, copy);
  for (const [key, item] of Object.entries(value)) copy[key] = copyWith(item, copies, done);
  return copy;
}
