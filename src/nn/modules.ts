// Layers in the spirit of micrograd: parameters() and zeroGrad() are the whole contract.
// A module's parameters live on one backend (the GPU Engine or the float64 ReferenceEngine),
// so the same model definition trains on the GPU and runs as its CPU specification.
import * as F from './functional.ts';
import type { TapeBackend, TapeTensor } from './autograd.ts';
import type { Shape, Padding } from '../kernels/shapes.ts';
import { Random } from '../random.ts';

/** What a module needs of its backend: the tape plus uploading parameter values. */
export interface ModuleBackend<T> extends TapeBackend<T> {
  tensor(data: ArrayLike<number>, shape: Shape, label?: string): T;
}

export abstract class Module<T extends TapeTensor<T>> {
  abstract forward(input: T): T;

  parameters(): T[] {
    return [];
  }

  /** A zero gradient is represented by none: the next backward's first contribution is the gradient. */
  zeroGrad(): void {
    for (const parameter of this.parameters()) {
      parameter.grad?.dispose();
      parameter.grad = null;
    }
  }
}

export interface Conv2dOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride?: number;
  /** Default 'same', as the notebook's layers. */
  readonly padding?: Padding;
  readonly bias?: boolean;
  /** Draws the Glorot-uniform initial weights. */
  readonly random: Random;
}

/** Keras' default kernel initialiser: U(-limit, limit), limit = sqrt(6 / (fanIn + fanOut)). */
export function glorotUniform(random: Random, shape: readonly [number, number, number, number]): Float64Array {
  const [outChannels, inChannels, kernelHeight, kernelWidth] = shape;
  const receptiveField = kernelHeight * kernelWidth;
  const limit = Math.sqrt(6 / ((inChannels + outChannels) * receptiveField));
  return Float64Array.from({ length: outChannels * inChannels * receptiveField }, () => (2 * random.next() - 1) * limit);
}

export class Conv2d<T extends TapeTensor<T>> extends Module<T> {
  readonly weight: T;
  readonly bias: T | null;

  constructor(backend: ModuleBackend<T>, readonly options: Conv2dOptions) {
    super();
    const { inChannels, outChannels, kernelSize } = options;
    const shape = [outChannels, inChannels, kernelSize, kernelSize] as const;
    this.weight = backend.tensor(glorotUniform(options.random, shape), shape, 'conv2d weight');
    this.weight.requiresGrad = true;
    backend.keep(this.weight);
    this.bias = null;
    if (options.bias ?? true) {
      this.bias = backend.tensor(new Float64Array(outChannels), [outChannels], 'conv2d bias'); // Keras: zeros
      this.bias.requiresGrad = true;
      backend.keep(this.bias);
    }
  }

  forward(input: T): T {
    return F.conv2d(input, this.weight, this.bias, { stride: this.options.stride ?? 1, padding: this.options.padding ?? 'same' });
  }

  override parameters(): T[] {
    return this.bias ? [this.weight, this.bias] : [this.weight];
  }
}

export class MaxPool2d<T extends TapeTensor<T>> extends Module<T> {
  constructor(readonly poolSize = 2, readonly padding: 'same' | 'valid' = 'same') {
    super();
  }

  forward(input: T): T {
    return F.maxPool2d(input, { poolSize: this.poolSize, padding: this.padding });
  }
}

export class Upsample2d<T extends TapeTensor<T>> extends Module<T> {
  constructor(readonly factor = 2) {
    super();
  }

  forward(input: T): T {
    return F.upsample2d(input, this.factor);
  }
}

export class ReLU<T extends TapeTensor<T>> extends Module<T> {
  forward(input: T): T {
    return F.relu(input);
  }
}

export class Sigmoid<T extends TapeTensor<T>> extends Module<T> {
  forward(input: T): T {
    return F.sigmoid(input);
  }
}

export class Sequential<T extends TapeTensor<T>> extends Module<T> {
  readonly layers: readonly Module<T>[];

  constructor(layers: readonly Module<T>[]) {
    super();
    this.layers = layers;
  }

  forward(input: T): T {
    return this.layers.reduce((value, layer) => layer.forward(value), input);
  }

  override parameters(): T[] {
    return this.layers.flatMap((layer) => layer.parameters());
  }
}
