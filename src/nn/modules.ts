// Layers in the spirit of micrograd: parameters() and zeroGrad() are the whole contract.
// A module's parameters live on one backend (the GPU Engine or the float64 ReferenceEngine),
// so the same model definition trains on the GPU and runs as its CPU specification.
import * as F from './functional.ts';
import type { TapeTensor } from './autograd.ts';
import { formatShape, sizeOf, type Shape, type Padding } from '../shapes.ts';
import { ops } from '../kernels/registry.ts';
import type { Conv2dActivation } from '../kernels/conv2d/conv2d.ts';
import { Random } from '../random.ts';

/** What a module needs of where its parameters live (an Engine, a ReferenceEngine): uploading values, and keeping them. */
export interface ModuleBackend<T> {
  tensor(data: ArrayLike<number>, shape: Shape, label?: string): T;
  keep(tensor: T): void;
}

export abstract class Module<T extends TapeTensor<T>> {
  abstract forward(input: T): T;

  /** The output shape for an input shape (batch included), without running anything. */
  abstract outputShape(input: Shape): Shape;

  /** A short description for summaries, e.g. 'conv2d 3x3, 8'. */
  abstract describe(): string;

  /** Floating-point operations of one forward pass over `input` (multiply-adds count 2). */
  flops(input: Shape): number {
    return sizeOf(this.outputShape(input));
  }

  /** Parameters with stable names, for checkpoints. */
  namedParameters(): [string, T][] {
    return [];
  }

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

  private get attributes() {
    return { stride: this.options.stride ?? 1, padding: this.options.padding ?? 'same', activation: this.options.activation ?? 'linear' };
  }

  forward(input: T): T {
    return F.conv2d(input, this.weight, this.bias, this.attributes);
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
    return ops.conv2d.outputShape(this.bias ? [input, this.weight.shape, this.bias.shape] : [input, this.weight.shape], this.attributes);
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
    return this.bias ? [['weight', this.weight], ['bias', this.bias]] : [['weight', this.weight]];
  }
}

export class MaxPool2d<T extends TapeTensor<T>> extends Module<T> {
  constructor(readonly poolSize = 2, readonly padding: 'same' | 'valid' = 'same') {
    super();
  }

  forward(input: T): T {
    return F.maxPool2d(input, { poolSize: this.poolSize, padding: this.padding });
  }

  /** This layer over relu(input), the ReLU applied after the pool (the same values; max-pool2d.ts). */
  forwardRectified(input: T): T {
    return F.maxPool2d(input, { poolSize: this.poolSize, padding: this.padding, activation: 'relu' });
  }

  outputShape(input: Shape): Shape {
    return ops.maxPool2d.outputShape([input], { poolSize: this.poolSize, padding: this.padding });
  }

  describe(): string {
    return `maxPool2d ${this.poolSize}`;
  }
}

export class Upsample2d<T extends TapeTensor<T>> extends Module<T> {
  constructor(readonly factor = 2) {
    super();
  }

  forward(input: T): T {
    return F.upsample2d(input, this.factor);
  }

  outputShape(input: Shape): Shape {
    return ops.upsample2d.outputShape([input], { factor: this.factor });
  }

  describe(): string {
    return `upsample2d ${this.factor}`;
  }
}

abstract class Activation<T extends TapeTensor<T>> extends Module<T> {
  outputShape(input: Shape): Shape {
    return input;
  }
}

export class ReLU<T extends TapeTensor<T>> extends Activation<T> {
  forward(input: T): T {
    return F.relu(input);
  }

  describe(): string {
    return 'relu';
  }
}

export class Sigmoid<T extends TapeTensor<T>> extends Activation<T> {
  forward(input: T): T {
    return F.sigmoid(input);
  }

  describe(): string {
    return 'sigmoid';
  }
}

export class Tanh<T extends TapeTensor<T>> extends Activation<T> {
  forward(input: T): T {
    return F.tanh(input);
  }

  describe(): string {
    return 'tanh';
  }
}

/** Multiplies by a constant (a tanh output scaled to its targets' range). */
export class Scale<T extends TapeTensor<T>> extends Activation<T> {
  constructor(readonly factor: number) {
    super();
  }

  forward(input: T): T {
    return F.scale(input, this.factor);
  }

  describe(): string {
    return `scale ${Number(this.factor.toPrecision(4))}`;
  }
}

/**
 * The fusions Sequential applies, each the same function in fewer operations; a test or a
 * benchmark turns them off to run the layers one by one.
 *   upsampleIntoConv: an Upsample2d followed by a stride-1 Conv2d runs as one conv2d with
 *     `upsample` (a transposed convolution; conv2d.ts).
 *   reluIntoPool: a Conv2d with a ReLU followed by a MaxPool2d runs the conv without it and the
 *     pool with it (max-pool of relu = relu of max-pool), so the conv's backward pass needs no
 *     ReLU mask: the pool's backward masks by the arg-max's value, which it reads anyway.
 */
export interface Fusions {
  upsampleIntoConv: boolean;
  reluIntoPool: boolean;
}

export class Sequential<T extends TapeTensor<T>> extends Module<T> {
  readonly layers: readonly Module<T>[];
  fusions: Fusions = { upsampleIntoConv: true, reluIntoPool: true };

  constructor(layers: readonly Module<T>[]) {
    super();
    this.layers = layers;
  }

  /** The layers in order, with the enabled fusions (see Fusions). */
  forward(input: T): T {
    let value = input;
    for (let i = 0; i < this.layers.length; ) {
      const run = convRunAt(this.layers, i, this.fusions);
      if (run) {
        value = run.conv.forwardFused(value, { upsample: run.upsample, activation: run.pool ? 'linear' : run.conv.activation });
        if (run.pool) value = run.pool.forwardRectified(value);
        i += run.layerCount;
      } else {
        value = this.layers[i]!.forward(value);
        i += 1;
      }
    }
    return value;
  }

  outputShape(input: Shape): Shape {
    return this.layers.reduce((shape, layer) => layer.outputShape(shape), input);
  }

  describe(): string {
    return `sequential of ${this.layers.length}`;
  }

  override flops(input: Shape): number {
    let shape = input;
    let total = 0;
    for (const layer of this.layers) {
      total += layer.flops(shape);
      shape = layer.outputShape(shape);
    }
    return total;
  }

  override namedParameters(): [string, T][] {
    return this.layers.flatMap((layer, i) => layer.namedParameters().map(([name, parameter]): [string, T] => [`${i}.${name}`, parameter]));
  }
}

/** A Conv2d that Sequential runs fused with its neighbours (see Fusions). */
export interface ConvRun<T extends TapeTensor<T>> {
  readonly conv: Conv2d<T>;
  /** The factor of the Upsample2d before it, or 1. */
  readonly upsample: number;
  /** The MaxPool2d after it that applies its ReLU, or null. */
  readonly pool: MaxPool2d<T> | null;
  /** How many layers the run stands for. */
  readonly layerCount: number;
}

/** The fused run starting at layers[i] under `fusions`, or null where layers[i] runs on its own. */
export function convRunAt<T extends TapeTensor<T>>(layers: readonly Module<T>[], i: number, fusions: Fusions): ConvRun<T> | null {
  const [layer, next] = [layers[i], layers[i + 1]];
  let conv: Conv2d<T>;
  let upsample = 1;
  if (fusions.upsampleIntoConv && layer instanceof Upsample2d && next instanceof Conv2d && next.readsUpsampled) {
    [conv, upsample] = [next, layer.factor];
  } else if (layer instanceof Conv2d) {
    conv = layer;
  } else {
    return null;
  }
  const convLayers = upsample > 1 ? 2 : 1;
  const after = layers[i + convLayers];
  const pool = fusions.reluIntoPool && conv.activation === 'relu' && after instanceof MaxPool2d ? after : null;
  if (upsample === 1 && !pool) return null;
  return { conv, upsample, pool, layerCount: convLayers + (pool ? 1 : 0) };
}

/** An encoder and a decoder: the latent space is the encoder's output, measured from real shapes. */
export class Autoencoder<T extends TapeTensor<T>> extends Module<T> {
  constructor(readonly encoder: Sequential<T>, readonly decoder: Sequential<T>) {
    super();
  }

  forward(input: T): T {
    return this.decoder.forward(this.encoder.forward(input));
  }

  outputShape(input: Shape): Shape {
    return this.decoder.outputShape(this.encoder.outputShape(input));
  }

  describe(): string {
    return 'autoencoder';
  }

  override flops(input: Shape): number {
    return this.encoder.flops(input) + this.decoder.flops(this.encoder.outputShape(input));
  }

  /** The latent shape of one image (batch dimension dropped). */
  latentShape(imageShape: Shape): Shape {
    return this.encoder.outputShape([1, ...imageShape]).slice(1);
  }

  override namedParameters(): [string, T][] {
    return [
      ...this.encoder.namedParameters().map(([name, parameter]): [string, T] => [`encoder.${name}`, parameter]),
      ...this.decoder.namedParameters().map(([name, parameter]): [string, T] => [`decoder.${name}`, parameter]),
    ];
  }
}

/** Keras-style summary: each layer's output shape and parameters, totals, latent size, FLOPs. */
export function summary<T extends TapeTensor<T>>(model: Autoencoder<T>, imageShape: Shape): string {
  const rows: string[][] = [['layer', 'output shape', 'parameters', 'MFLOP/image']];
  let shape: Shape = [1, ...imageShape];
  for (const [part, sequential] of [['encoder', model.encoder], ['decoder', model.decoder]] as const) {
    for (const layer of sequential.layers) {
      const flops = layer.flops(shape);
      shape = layer.outputShape(shape);
      const count = layer.parameters().reduce((total, parameter) => total + sizeOf(parameter.shape), 0);
      rows.push([`${part}: ${layer.describe()}`, formatShape(shape.slice(1)), count.toLocaleString('en-US'), (flops / 1e6).toFixed(3)]);
    }
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) => row.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('   '));
  lines.splice(1, 0, '-'.repeat(lines[0]!.length));
  const parameters = model.parameters().reduce((total, parameter) => total + sizeOf(parameter.shape), 0);
  const latent = model.latentShape(imageShape);
  const latentSize = sizeOf(latent);
  const inputSize = sizeOf(imageShape);
  lines.push(
    '-'.repeat(lines[0]!.length),
    `input: ${formatShape(imageShape)} = ${inputSize.toLocaleString('en-US')} values`,
    `latent: ${formatShape(latent)} = ${latentSize.toLocaleString('en-US')} values (${((100 * latentSize) / inputSize).toFixed(1)}% of the input)`,
    `parameters: ${parameters.toLocaleString('en-US')}`,
    `forward: ${(model.flops([1, ...imageShape]) / 1e6).toFixed(3)} MFLOP per image (a training step is about 3x that)`,
  );
  return lines.join('\n');
}
