// Containers: Sequential runs layers in order (with the fusions it shows in `fusions`), and an
// Autoencoder is an encoder and a decoder. summary() prints a model's layers from build()'s trace.
import type { TapeTensor } from './autograd.ts';
import { formatShape, sameShape, sizeOf, type Shape } from '../shapes.ts';
import { ShapeError } from '../errors.ts';
import { Conv2d, MaxPool2d, Module, Sigmoid, Upsample2d, type Layer, type ShapeStep } from './modules.ts';

/**
 * The fusions Sequential applies, each the same function in fewer operations. summary() lists
 * the ones a model gets (rewrites()); setFusions(model, { ... false }) turns them off, and the
 * layers then run one by one (the numbers agree within float32 rounding: test/nn/rewrites.test.ts).
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
  readonly layers: readonly Layer<T>[];
  fusions: Fusions = { upsampleIntoConv: true, reluIntoPool: true };

  constructor(layers: readonly Layer<T>[]) {
    super();
    this.layers = layers;
  }

  /** The layers in order, with the enabled fusions (see Fusions). */
  forward(input: T): T {
    let value = input;
    for (let i = 0; i < this.layers.length;) {
      const run = convRunAt(this.layers, i, this.fusions);
      if (run) {
        value = run.conv.forwardFused(value, {
          upsample: run.upsample,
          activation: run.pool ? 'linear' : run.conv.activation,
        });
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

  override trace(input: Shape, path = ''): ShapeStep[] {
    const steps: ShapeStep[] = [];
    let shape = input;
    this.layers.forEach((layer, i) => {
      const layerSteps = layer.trace(shape, path ? `${path}.${i}` : String(i));
      steps.push(...layerSteps);
      shape = layerSteps.at(-1)?.output ?? shape;
    });
    return steps;
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
    return this.layers.flatMap((layer, i) =>
      layer.namedParameters().map(([name, parameter]): [string, T] => [`${i}.${name}`, parameter]),
    );
  }
}

/** A Conv2d that Sequential runs fused with its neighbours (see Fusions). */
export interface ConvRun<T extends TapeTensor<T>> {
  readonly conv: Conv2d<T>;
  /** The factor of the Upsample2d before it, or 1. */
  readonly upsample: number;
  /** The MaxPool2d after it that applies its ReLU, or null. */
  readonly pool: MaxPool2d | null;
  /** How many layers the run stands for. */
  readonly layerCount: number;
}

/** The fused run starting at layers[i] under `fusions`, or null where layers[i] runs on its own. */
export function convRunAt<T extends TapeTensor<T>>(
  layers: readonly Layer<T>[],
  i: number,
  fusions: Fusions,
): ConvRun<T> | null {
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
  constructor(
    readonly encoder: Sequential<T>,
    readonly decoder: Sequential<T>,
  ) {
    super();
  }

  forward(input: T): T {
    return this.decoder.forward(this.encoder.forward(input));
  }

  outputShape(input: Shape): Shape {
    return this.decoder.outputShape(this.encoder.outputShape(input));
  }

  override trace(input: Shape, path = ''): ShapeStep[] {
    const encoder = this.encoder.trace(input, path ? `${path}.encoder` : 'encoder');
    return [...encoder, ...this.decoder.trace(encoder.at(-1)?.output ?? input, path ? `${path}.decoder` : 'decoder')];
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

/**
 * Keras-style summary of any model: each leaf layer's output shape and parameters (from
 * build()'s trace, so a shape mistake is named here), totals, and for an Autoencoder its
 * latent size.
 */
export function summary<T extends TapeTensor<T>>(model: Module<T>, imageShape: Shape): string {
  const rows: string[][] = [['layer', 'output shape', 'parameters', 'MFLOP/image']];
  for (const { path, module, input, output } of model.trace([1, ...imageShape])) {
    const count = module.parameters().reduce((total: number, parameter: T) => total + sizeOf(parameter.shape), 0);
    rows.push([
      `${path.replace(/\.\d+$/, '')}: ${module.describe()}`.replace(/^: /, ''),
      formatShape(output.slice(1)),
      count.toLocaleString('en-US'),
      (module.flops(input) / 1e6).toFixed(3),
    ]);
  }
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  const lines = rows.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!)))
      .join('   '),
  );
  lines.splice(1, 0, '-'.repeat(lines[0]!.length));
  const parameters = model.parameters().reduce((total, parameter) => total + sizeOf(parameter.shape), 0);
  const inputSize = sizeOf(imageShape);
  lines.push(
    '-'.repeat(lines[0]!.length),
    `input: ${formatShape(imageShape)} = ${inputSize.toLocaleString('en-US')} values`,
  );
  if (model instanceof Autoencoder) {
    const latent = model.latentShape(imageShape);
    const latentSize = sizeOf(latent);
    lines.push(
      `latent: ${formatShape(latent)} = ${latentSize.toLocaleString('en-US')} values (${((100 * latentSize) / inputSize).toFixed(1)}% of the input)`,
    );
  }
  lines.push(
    `parameters: ${parameters.toLocaleString('en-US')}`,
    `forward: ${(model.flops([1, ...imageShape]) / 1e6).toFixed(3)} MFLOP per image (a training step is about 3x that)`,
  );
  const shown = rewrites(model);
  lines.push(
    shown.length === 0
      ? 'rewrites: none (every layer runs as written)'
      : 'rewrites (run in place of the layers as written):',
    ...shown.map((line) => `  ${line}`),
  );
  return lines.join('\n');
}

/**
 * Refuses a model whose output for `inputShape` is not `targetShape` (both without the batch),
 * naming the layer responsible: the first whose spatial size does not scale back (a pool that
 * rounds 7 up to 4), else the last layer that changed the mismatched dimension.
 */
export function requireOutputShape<T extends TapeTensor<T>>(
  model: Module<T>,
  inputShape: Shape,
  targetShape: Shape,
  what = "the targets' shape",
): void {
  const steps = model.trace([1, ...inputShape]);
  const output = steps.length === 0 ? inputShape : steps.at(-1)!.output.slice(1);
  if (sameShape(output, targetShape)) return;
  const spatialAxes = (step: ShapeStep) =>
    step.input.map((_, axis) => axis).filter((axis) => axis >= 2 && step.input.length === step.output.length);
  const rounding = steps.find((step) =>
    spatialAxes(step).some(
      (axis) => step.input[axis]! % step.output[axis]! !== 0 && step.output[axis]! % step.input[axis]! !== 0,
    ),
  );
  const axis = output.findIndex((dimension, i) => dimension !== targetShape[i]) + 1;
  const changed = rounding ?? [...steps].reverse().find((step) => step.input[axis] !== step.output[axis]);
  const blame = changed
    ? `; layer ${changed.path} (${changed.module.describe()}) takes ${formatShape(changed.input.slice(1))} to ${formatShape(changed.output.slice(1))}`
    : '';
  throw new ShapeError(
    `the model's output ${formatShape(output)} differs from ${what} ${formatShape(targetShape)} for an input of ${formatShape(inputShape)}${blame}`,
  );
}

/**
 * The rewrites of the user's model that run in its place, one line each, with the switch that
 * turns each off: Sequential's fusions (see Fusions) and, for a model whose last layer is a
 * sigmoid, binaryCrossEntropy taken from the logits (functional.ts says why).
 */
export function rewrites<T extends TapeTensor<T>>(model: Module<T>, path = ''): string[] {
  const lines: string[] = [];
  const visit = (module: Layer<T>, at: string) => {
    if (module instanceof Autoencoder) {
      visit(module.encoder, at ? `${at}.encoder` : 'encoder');
      visit(module.decoder, at ? `${at}.decoder` : 'decoder');
    } else if (module instanceof Sequential) {
      const name = (i: number) => (at ? `${at}.${i}` : String(i));
      for (let i = 0; i < module.layers.length; i++) {
        const run = convRunAt(module.layers, i, module.fusions);
        if (run) {
          const layers = module.layers.slice(i, i + run.layerCount).map((layer) => layer.describe());
          const where = `${name(i)}-${i + run.layerCount - 1} (${layers.join(' + ')})`;
          if (run.upsample > 1) lines.push(`${where}: one conv2d that reads its input upsampled (upsampleIntoConv)`);
          if (run.pool) lines.push(`${where}: the conv without its ReLU, the pool applies it (reluIntoPool)`);
          i += run.layerCount - 1;
        } else visit(module.layers[i]!, name(i));
      }
    }
  };
  visit(model, path);
  if (lines.length > 0)
    lines.push(
      'fusions: setFusions(model, { upsampleIntoConv: false, reluIntoPool: false }) runs the layers as written',
    );
  if (lastLayer(model) instanceof Sigmoid)
    lines.push(
      'loss: F.binaryCrossEntropy of the final sigmoid is taken from its input, the logits (F.binaryCrossEntropyOfProbabilities keeps the probabilities)',
    );
  return lines;
}

/** The last leaf layer of a model (a Sequential's, an Autoencoder's decoder's), or the model itself. */
function lastLayer<T extends TapeTensor<T>>(model: Layer<T>): Layer<T> {
  if (model instanceof Autoencoder) return lastLayer(model.decoder);
  if (model instanceof Sequential) return model.layers.length > 0 ? lastLayer(model.layers.at(-1)!) : model;
  return model;
}

/** Turns Sequential's fusions on or off in every Sequential of `model` (an Autoencoder's too). */
export function setFusions<T extends TapeTensor<T>>(model: Layer<T>, fusions: Partial<Fusions>): void {
  if (model instanceof Autoencoder) {
    setFusions(model.encoder, fusions);
    setFusions(model.decoder, fusions);
  } else if (model instanceof Sequential) {
    model.fusions = { ...model.fusions, ...fusions };
    for (const layer of model.layers) setFusions(layer, fusions);
  }
}
