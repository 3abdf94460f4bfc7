// Optimisers: one update kernel over every parameter at once, encoded into the same
// submission as the training step.
// The optimiser gathers its parameters into one buffer (each a view at an aligned offset,
// Engine.moveInto), reserves their gradients' homes in a second one (reserveGradientHome:
// the conv's backward writes each gradient there) and keeps its state in buffers of the same
// layout. The update rule, written for one tensor, then runs once over the whole buffers:
// one dispatch a step where it took one per parameter (10 in the notebook model; on this
// project's CPU adapter each dispatch costs about as much as a small kernel's work). The
// gaps between the views hold zeros, and a zero gradient leaves a zero weight and state
// unchanged under every rule here. Where a gradient did not land in its home (an op that
// does not write reserved gradients, a parameter without a gradient this step, or another
// optimiser that has since gathered these parameters), the update runs per parameter instead.
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import { BufferPool } from '../backend/buffer-pool.ts';
import { gradientHome, reserveGradientHome } from './autograd.ts';
import { AelabError } from '../errors.ts';
import { adam, type AdamHyperparameters } from '../kernels/adam.ts';
import { rmsprop, type RmspropHyperparameters } from '../kernels/rmsprop.ts';
import { sgd, type SgdHyperparameters } from '../kernels/sgd.ts';
import type { UpdateRule } from '../kernels/update-rule.ts';

/** Updates a model's parameters from their gradients with one update rule (SGD, RMSprop, Adam), every parameter in one dispatch. */
export class Optimizer<H = unknown> {
  /** Updates applied so far (Adam's bias correction uses it; checkpoints save it). */
  step = 0;
  /** Per parameter, its state tensors: views of stateBuffers. */
  state: readonly (readonly Tensor[])[];
  /** Where each parameter starts in the buffers, in elements. */
  private readonly offsets: readonly number[];
  private readonly weights: Tensor;
  private readonly gradients: Tensor;
  private stateBuffers: readonly Tensor[];
  /** Each parameter's reserveGradientHome, as this optimiser set it. */
  private readonly reservations: readonly (() => Tensor)[];
  /** Updates encoded over the whole buffers at once, and per parameter (for the tests and benchmarks). */
  readonly updates = { gathered: 0, perParameter: 0 };

  constructor(
    readonly engine: Engine,
    readonly parameters: readonly Tensor[],
    public rule: UpdateRule<H>,
    public hyperparameters: H,
  ) {
    if (new Set(parameters).size !== parameters.length)
      throw new AelabError(`${rule.name}: a parameter is listed twice`);
    const alignment = engine.viewAlignment / 4;
    let total = 0;
    this.offsets = parameters.map((parameter) => {
      const offset = total;
      total += Math.ceil(BufferPool.roundedSize(parameter.size * 4) / 4 / alignment) * alignment;
      return offset;
    });
    total = Math.max(total, 1);
    this.weights = engine.zeros([total], `${rule.name} parameters`).keep();
    this.gradients = engine.zeros([total], `${rule.name} gradients`).keep();
    this.stateBuffers = this.newState(total);
    this.reservations = parameters.map(
      (parameter, i) => () =>
        engine.view(this.gradients, this.offsets[i]!, parameter.shape, `${parameter.label} gradient`),
    );
    parameters.forEach((parameter, i) => {
      engine.moveInto(parameter, this.weights, this.offsets[i]!);
      reserveGradientHome(parameter, this.reservations[i]!);
    });
    this.state = this.stateViews();
  }

  private newState(total: number): Tensor[] {
    return this.rule.stateNames.map((name) => this.engine.zeros([total], `${this.rule.name} ${name}`).keep());
  }

  private stateViews(): Tensor[][] {
    return this.parameters.map((parameter, i) =>
      this.stateBuffers.map((buffer, j) =>
        this.engine
          .view(buffer, this.offsets[i]!, parameter.shape, `${this.rule.name} ${this.rule.stateNames[j]}`)
          .keep(),
      ),
    );
  }

  get name(): string {
    return this.rule.name;
  }

  /**
   * Changes hyperparameters (the learning rate, say) from the next update on, with the state
   * (moments, velocities) kept: what a learner changes while training runs (the lab).
   */
  setHyperparameters(changes: Partial<H>): void {
    this.hyperparameters = { ...this.hyperparameters, ...changes };
  }

  /**
   * Another update rule from the next update on (RMSprop to Adam, say), as a learner switches
   * while training runs: the parameters stay where they are, gathered; the new rule's state
   * starts at zero and its step count at 0, as a new optimiser's would (Adam's bias correction
   * then starts again).
   */
  changeRule<R>(rule: UpdateRule<R>, hyperparameters: R): Optimizer<R> {
    const total = this.weights.size;
    this.state.forEach((tensors) => tensors.forEach((tensor) => tensor.dispose()));
    this.stateBuffers.forEach((tensor) => tensor.dispose());
    const changed = this as unknown as Optimizer<R>;
    changed.rule = rule;
    changed.hyperparameters = hyperparameters;
    changed.step = 0;
    changed.stateBuffers = changed.newState(total);
    changed.state = changed.stateViews();
    return changed;
  }

  /** Encodes one update of every parameter that has a gradient. */
  update(): void {
    this.step += 1;
    if (this.parameters.every((_, i) => this.isGathered(i))) {
      this.rule.encode(this.engine, this.weights, this.gradients, this.stateBuffers, this.hyperparameters, this.step);
      this.updates.gathered += 1;
      return;
    }
    this.parameters.forEach((parameter, i) => {
      if (parameter.grad)
        this.rule.encode(this.engine, parameter, parameter.grad, this.state[i]!, this.hyperparameters, this.step);
    });
    this.updates.perParameter += 1;
  }

  /** Whether parameter i and its gradient are where the gathered update looks for them. */
  private isGathered(i: number): boolean {
    const at = (tensor: Tensor | null, buffer: Tensor) =>
      tensor !== null &&
      tensor.storage === buffer.storage &&
      tensor.byteOffset === buffer.byteOffset + this.offsets[i]! * 4;
    const parameter = this.parameters[i]!;
    return at(parameter, this.weights) && at(parameter.grad, this.gradients);
  }

  /** State tensors by stable name, for checkpoints: `<parameter index>.<state name>`. */
  namedState(): [string, Tensor][] {
    return this.state.flatMap((tensors, i) =>
      tensors.map((tensor, j): [string, Tensor] => [`${i}.${this.rule.stateNames[j]}`, tensor]),
    );
  }

  /** Frees the state and the gradient buffer; the parameters keep their buffer until they are disposed. */
  dispose(): void {
    this.parameters.forEach((parameter, i) => {
      if (gradientHome(parameter) === this.reservations[i]) reserveGradientHome(parameter, null);
    });
    this.state.forEach((tensors) => tensors.forEach((tensor) => tensor.dispose()));
    [this.weights, this.gradients, ...this.stateBuffers].forEach((tensor) => tensor.dispose());
  }
}

/** Keras' default for compile() without an optimiser: RMSprop(lr 1e-3, rho 0.9, epsilon 1e-7). */
export function RMSprop(
  engine: Engine,
  parameters: readonly Tensor[],
  hyperparameters: Partial<RmspropHyperparameters> = {},
): Optimizer<RmspropHyperparameters> {
  return new Optimizer(engine, parameters, rmsprop, { ...rmsprop.defaults, ...hyperparameters });
}

/** Adam with Keras' defaults (lr 1e-3, beta1 0.9, beta2 0.999, epsilon 1e-7), overridden by `hyperparameters`. */
export function Adam(
  engine: Engine,
  parameters: readonly Tensor[],
  hyperparameters: Partial<AdamHyperparameters> = {},
): Optimizer<AdamHyperparameters> {
  return new Optimizer(engine, parameters, adam, { ...adam.defaults, ...hyperparameters });
}

/** SGD with Keras' defaults (lr 0.01, no momentum), overridden by `hyperparameters`. */
export function SGD(
  engine: Engine,
  parameters: readonly Tensor[],
  hyperparameters: Partial<SgdHyperparameters> = {},
): Optimizer<SgdHyperparameters> {
  return new Optimizer(engine, parameters, sgd, { ...sgd.defaults, ...hyperparameters });
}

export type OptimizerName = 'rmsprop' | 'adam' | 'sgd';
export const optimizers = { rmsprop: RMSprop, adam: Adam, sgd: SGD } as const;
