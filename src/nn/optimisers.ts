// Optimisers: per-parameter state tensors on the GPU and one update kernel per parameter,
// encoded into the same submission as the training step.
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import { adam, type AdamHyperparameters } from '../kernels/adam.ts';
import { rmsprop, type RmspropHyperparameters } from '../kernels/rmsprop.ts';
import { sgd, type SgdHyperparameters } from '../kernels/sgd.ts';
import type { UpdateRule } from '../kernels/update-rule.ts';

export class Optimizer<H = unknown> {
  /** Updates applied so far (Adam's bias correction uses it; checkpoints save it). */
  step = 0;
  readonly state: readonly (readonly Tensor[])[];

  constructor(readonly engine: Engine, readonly parameters: readonly Tensor[], readonly rule: UpdateRule<H>, readonly hyperparameters: H) {
    this.state = parameters.map((parameter) => rule.stateNames.map((name) => engine.zeros(parameter.shape, `${rule.name} ${name}`).keep()));
  }

  get name(): string {
    return this.rule.name;
  }

  /** Encodes one update of every parameter that has a gradient. */
  update(): void {
    this.step += 1;
    this.parameters.forEach((parameter, i) => {
      if (parameter.grad) this.rule.encode(this.engine, parameter, parameter.grad, this.state[i]!, this.hyperparameters, this.step);
    });
  }

  /** State tensors by stable name, for checkpoints: `<parameter index>.<state name>`. */
  namedState(): [string, Tensor][] {
    return this.state.flatMap((tensors, i) => tensors.map((tensor, j): [string, Tensor] => [`${i}.${this.rule.stateNames[j]}`, tensor]));
  }

  dispose(): void {
    this.state.forEach((tensors) => tensors.forEach((tensor) => tensor.dispose()));
  }
}

/** Keras' default for compile() without an optimiser: RMSprop(lr 1e-3, rho 0.9, epsilon 1e-7). */
export function RMSprop(engine: Engine, parameters: readonly Tensor[], hyperparameters: Partial<RmspropHyperparameters> = {}): Optimizer<RmspropHyperparameters> {
  return new Optimizer(engine, parameters, rmsprop, { ...rmsprop.defaults, ...hyperparameters });
}

export function Adam(engine: Engine, parameters: readonly Tensor[], hyperparameters: Partial<AdamHyperparameters> = {}): Optimizer<AdamHyperparameters> {
  return new Optimizer(engine, parameters, adam, { ...adam.defaults, ...hyperparameters });
}

export function SGD(engine: Engine, parameters: readonly Tensor[], hyperparameters: Partial<SgdHyperparameters> = {}): Optimizer<SgdHyperparameters> {
  return new Optimizer(engine, parameters, sgd, { ...sgd.defaults, ...hyperparameters });
}

export type OptimizerName = 'rmsprop' | 'adam' | 'sgd';
export const optimizers = { rmsprop: RMSprop, adam: Adam, sgd: SGD } as const;
