// Layers in the spirit of micrograd: parameters() and zeroGrad() are the whole contract.
// A module's parameters live on one backend (the GPU Engine or the float64 ReferenceEngine),
// so the same model definition trains on the GPU and runs as its CPU specification. A layer
// without parameters (ReLU, pooling) is a StatelessModule: one object serves every backend.
import * as F from './functional.ts';
import type { TapeTensor } from './autograd.ts';
import { formatShape, sizeOf, type Shape, type Padding } from '../shapes.ts';
import { ShapeError } from '../errors.ts';
import { ops } from '../kernels/registry.ts';
import type { Conv2dActivation } from '../kernels/conv2d/conv2d.ts';
import { defaultRandom, Random } from '../random.ts';

/** What a module needs of where its parameters live (an Engine, a ReferenceEngine): uploading values, and keeping them. */
export interface ModuleBackend<T> {
  /** A new tensor of `data` (row-major) in `shape`. */
  tensor(data: ArrayLike<number>, shape: Shape, label?: string): T;
  /** Keeps `tensor` beyond the scope it was made in: a parameter lives as long as its module. */
  keep(tensor: T): void;
}

/** One leaf layer of a forward pass, as build() traces it: where it sits, and the shapes in and out (batch included). */
export interface ShapeStep {
  /** Its place in the model, as in the parameter names: 'encoder.2', '3'; '' for the model itself. */
  readonly path: string;
  readonly module: Module<any>;
  readonly input: Shape;
  readonly output: Shape;
}

/** A layer or a model: its forward pass, its parameters by name, and its shapes computed without running. */
export abstract class Module<T extends TapeTensor<T>> {
  // NoInfer: a model's tensor type is inferred from its parameters (namedParameters), so a
  // StatelessModule, whose forward takes any backend's tensors, never decides it.
  /** The output for `input` (batch first), recorded on the tape when a parameter or the input requires gradients. */
  abstract forward(input: NoInfer<T>): NoInfer<T>;

  /** The output shape for an input shape (batch included), without running anything. */
  abstract outputShape(input: Shape): Shape;

  /** A short description for summaries, e.g. 'conv2d 3x3, 8'. */
  abstract describe(): string;

  /** Floating-point operations of one forward pass over `input` (multiply-adds count 2). */
  flops(input: Shape): number {
    return sizeOf(this.outputShape(input));
  }

  /**
   * The leaf layers a forward pass over `input` (batch included) goes through, with their
   * shapes, computed without running anything. A layer that cannot take its input throws a
   * ShapeError naming it: 'layer encoder.2 (maxPool2d 2) on [1, 8, 7, 7]: ...'.
   */
  trace(input: Shape, path = ''): ShapeStep[] {
    return [{ path, module: this, input, output: layerShape(this, input, path) }];
  }

  /**
   * Checks every layer's shapes for one example of `inputShape` (no batch dimension: [channels,
   * height, width]) and returns the output's shape, likewise without the batch. Shape mistakes
   * surface here, named by layer, before anything is trained.
   */
  build(inputShape: Shape): Shape {
    const steps = this.trace([1, ...inputShape]);
    return steps.length === 0 ? inputShape : steps.at(-1)!.output.slice(1);
  }

  /** Parameters with stable names, for checkpoints. */
  namedParameters(): [string, T][] {
    return [];
  }

  /** The parameters, in namedParameters' order: what an optimiser updates. */
  parameters(): T[] {
    return this.namedParameters().map(([, parameter]) => parameter);
  }

  /** A zero gradient is represented by none: the next backward's first contribution is the gradient. */
  zeroGrad(): void {
    for (const parameter of this.parameters()) {
      parameter.grad?.dispose();
      parameter.grad = null;
    }
  }
}

/**
 * A layer without parameters: its forward pass works on any backend's tensors, so one object
 * serves the GPU model and its float64 twin, and Sequential infers its tensor type from the
 * layers that have parameters.
 */
export abstract class StatelessModule extends Module<never> {
  /** The output for `input`, on whichever backend `input` lives. */
  abstract override forward<U extends TapeTensor<U>>(input: U): U;
}

/** What Sequential holds: modules on backend T, and modules without parameters. */
export type Layer<T extends TapeTensor<T>> = Module<T> | StatelessModule;

/** `module.outputShape(input)`, a ShapeError naming the layer at `path` where it cannot take `input`. */
export function layerShape(module: Module<any>, input: Shape, path: string): Shape {
  try {
    return module.outputShape(input);
  } catch (error) {
    if (!(error instanceof ShapeError)) throw error;
    throw new ShapeError(`layer ${path || 'model'} (${module.describe()}) on ${formatShape(input)}: ${error.message}`);
  }
}

/** A Conv2d layer's shape and behaviour, as Keras' Conv2D arguments. */
export interface Conv2dOptions {
  readonly inChannels: number;
  readonly outChannels: number;
  readonly kernelSize: number;
  readonly stride?: number;
  /** Default 'same', as the notebook's layers. */
  readonly padding?: Padding;
  readonly bias?: boolean;
  /** Default 'linear' (none). 'relu' runs inside the conv kernels (Keras' activation='relu'). */
  readonly activation?: Conv2dActivation;
  /** Draws the Glorot-uniform initial weights; default: a generator seeded from `seed`, else the shared one (setDefaultSeed). */
  readonly random?: Random;
  /** Seeds this layer's own generator when `random` is not given. */
  readonly seed?: number;
}

/** Keras' default kernel initialiser: U(-limit, limit), limit = sqrt(6 / (fanIn + fanOut)). */
export function glorotUniform(random: Random, shape: readonly [number, number, number, number]): Float64Array {
  const [outChannels, inChannels, kernelHeight, kernelWidth] = shape;
  const receptiveField = kernelHeight * kernelWidth;
  const limit = Math.sqrt(6 / ((inChannels + outChannels) * receptiveField));
  return Float64Array.from(
    { length: outChannels * inChannels * receptiveField },
    () => (2 * random.next() - 1) * limit,
  );
}

/** A 2-D convolution (Keras' Conv2D): OIHW weights, Glorot-uniform at first, an optional zero bias and ReLU. */
export class Conv2d<T extends TapeTensor<T>> extends Module<T> {
  readonly weight: T;
  readonly bias: T | null;

  constructor(
    backend: ModuleBackend<T>,
    readonly options: Conv2dOptions,
  ) {
    super();
    const { inChannels, outChannels, kernelSize } = options;
    const shape = [outChannels, inChannels, kernelSize, kernelSize] as const;
    const random = options.random ?? (options.seed === undefined ? defaultRandom() : new Random(options.seed));
    this.weight = backend.tensor(glorotUniform(random, shape), shape, 'conv2d weight');
    this.weight.requiresGrad = true;
    backend.keep(this.weight);
    this.bias = null;
    if (options.bias ?? true) {
      this.bias = backend.tensor(new Float64Array(outChannels), [outChannels], 'conv2d bias'); // Keras: zeros
      this.bias.requiresGrad = true;
      backend.keep(this.bias);
    }
  }

  private get attributes() {
    return {
      stride: this.options.stride ?? 1,
      padding: this.options.padding ?? 'same',
      activation: this.options.activation ?? 'linear',
    };
  }

  forward(input: T): T {
    return F.conv2d(input, this.weight, this.bias, this.attributes);
  }

  /** The same layer with the plain kernel (conv2d/plain.wgsl: one output per invocation), to compare or to read. */
  forwardPlain(input: T): T {
    return F.conv2d(input, this.weight, this.bias, { ...this.attributes, plain: true });
  }

  /** Whether forwardFused can read its input upsampled (stand for an Upsample2d followed by this layer). */
  get readsUpsampled(): boolean {
    return (this.options.stride ?? 1) === 1;
  }

  get activation(): Conv2dActivation {
    return this.attributes.activation;
  }

  /**
   * This layer over its input upsampled by `upsample` (nearest neighbour; the upsampled image
   * never stored), and with `activation` in place of its own: Sequential passes 'linear' when
   * the max-pool after it applies this layer's ReLU.
   */
  forwardFused(input: T, fusion: { upsample: number; activation: Conv2dActivation }): T {
    return F.conv2d(input, this.weight, this.bias, { ...this.attributes, ...fusion });
  }

  outputShape(input: Shape): Shape {
    return ops.conv2d.outputShape(
      this.bias ? [input, this.weight.shape, this.bias.shape] : [input, this.weight.shape],
      this.attributes,
    );
  }

  describe(): string {
    const { kernelSize, outChannels, activation } = this.options;
    return `conv2d ${kernelSize}x${kernelSize}, ${outChannels}${activation === 'relu' ? ', relu' : ''}`;
  }

  override flops(input: Shape): number {
    const { inChannels, kernelSize } = this.options;
    return 2 * sizeOf(this.outputShape(input)) * inChannels * kernelSize * kernelSize;
  }

  override namedParameters(): [string, T][] {
    return this.bias
      ? [
          ['weight', this.weight],
          ['bias', this.bias],
        ]
      : [['weight', this.weight]];
  }
}

/** Max-pooling over `poolSize` x `poolSize` windows with stride `poolSize` (Keras' MaxPooling2D). */
export class MaxPool2d extends StatelessModule {
  constructor(
    readonly poolSize = 2,
    readonly padding: 'same' | 'valid' = 'same',
  ) {
    super();
  }

  forward<U extends TapeTensor<U>>(input: U): U {
    return F.maxPool2d(input, { poolSize: this.poolSize, padding: this.padding });
  }

  /** This layer over relu(input), the ReLU applied after the pool (the same values; max-pool2d.ts). */
  forwardRectified<U extends TapeTensor<U>>(input: U): U {
    return F.maxPool2d(input, { poolSize: this.poolSize, padding: this.padding, activation: 'relu' });
  }

  outputShape(input: Shape): Shape {
    return ops.maxPool2d.outputShape([input], { poolSize: this.poolSize, padding: this.padding });
  }

  describe(): string {
    return `maxPool2d ${this.poolSize}`;
  }
}

/** Nearest-neighbour upsampling by an integer factor (Keras' UpSampling2D). */
export class Upsample2d extends StatelessModule {
  constructor(readonly factor = 2) {
    super();
  }

  forward<U extends TapeTensor<U>>(input: U): U {
    return F.upsample2d(input, this.factor);
  }

  outputShape(input: Shape): Shape {
    return ops.upsample2d.outputShape([input], { factor: this.factor });
  }

  describe(): string {
    return `upsample2d ${this.factor}`;
  }
}

abstract class Activation extends StatelessModule {
  outputShape(input: Shape): Shape {
    return input;
  }
}

/** max(x, 0), elementwise. */
export class ReLU extends Activation {
  forward<U extends TapeTensor<U>>(input: U): U {
    return F.relu(input);
  }

  describe(): string {
    return 'relu';
  }
}

/** 1 / (1 + e^-x), elementwise. */
export class Sigmoid extends Activation {
  forward<U extends TapeTensor<U>>(input: U): U {
    return F.sigmoid(input);
  }

  describe(): string {
    return 'sigmoid';
  }
}

/** tanh(x), elementwise. */
export class Tanh extends Activation {
  forward<U extends TapeTensor<U>>(input: U): U {
    return F.tanh(input);
  }

  describe(): string {
    return 'tanh';
  }
}

/** Multiplies by a constant (a tanh output scaled to its targets' range). */
export class Scale extends Activation {
  constructor(readonly factor: number) {
    super();
  }

  forward<U extends TapeTensor<U>>(input: U): U {
    return F.scale(input, this.factor);
  }

  describe(): string {
    return `scale ${Number(this.factor.toPrecision(4))}`;
  }
}
