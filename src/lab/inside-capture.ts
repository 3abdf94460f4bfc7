// What the lab's Inside view shows, read from the engine's own buffers: every layer's output
// for one image, its gradient for a batch, the filters, and one output value of a layer
// worked through by hand beside the GPU's value and the float64 reference's.
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import { backward, noGrad } from '../nn/autograd.ts';
import * as F from '../nn/functional.ts';
import { Conv2d, MaxPool2d, Upsample2d, type Module } from '../nn/modules.ts';
import type { Autoencoder } from '../nn/sequential.ts';
import { ops } from '../kernels/registry.ts';
import { conv2dGeometry } from '../kernels/conv2d/geometry.ts';
import { sizeOf, windowGeometry, type Shape } from '../shapes.ts';

/** A layer's values for one image: [channels, height, width] (a batch of one). */
export interface Maps {
  readonly shape: Shape;
  readonly values: Float32Array;
}

export interface LayerInternals {
  readonly part: 'encoder' | 'decoder';
  readonly layer: Module<Tensor>;
  /** The layer's input (the previous layer's output, or the image). */
  readonly input: Maps;
  readonly output: Maps;
  /** dL/d(output) for this image within the batch; null for the model's output (the loss is taken from the logits). */
  readonly outputGradient: Maps | null;
  /** dL/d(weight) over the batch, for a conv. */
  readonly weightGradient: Float32Array | null;
}

/** The layers in order, with the part each belongs to. */
export function layersOf(model: Autoencoder<Tensor>): { part: 'encoder' | 'decoder'; layer: Module<Tensor> }[] {
  return [
    ...model.encoder.layers.map((layer) => ({ part: 'encoder' as const, layer })),
    ...model.decoder.layers.map((layer) => ({ part: 'decoder' as const, layer })),
  ];
}

const imageShape = (shape: Shape): Shape => shape.slice(1);
const firstImage = (values: Float32Array, shape: Shape): Float32Array => values.slice(0, sizeOf(shape) / shape[0]!);

/**
 * Runs `images` ([N, C, H, W], the image shown first) through the model one layer at a time
 * (no fusions: each layer's own output exists), then backward through the binary
 * cross-entropy against the images themselves, one layer at a time: each layer's input is a
 * leaf, so its gradient is kept for the view. The weights' gradients are cleared afterwards.
 */
export async function modelInternals(
  engine: Engine,
  model: Autoencoder<Tensor>,
  images: Float32Array,
  shape: Shape,
): Promise<LayerInternals[]> {
  const layers = layersOf(model);
  return engine.scopeAsync(async () => {
    const batch = engine.tensor(images, shape, 'lab images');
    const inputs: Tensor[] = [];
    const outputs: Tensor[] = [];
    let value = batch;
    for (const { layer } of layers) {
      const leaf = noGrad(() => F.scale(value, 1));
      leaf.requiresGrad = true;
      inputs.push(leaf);
      value = layer.forward(leaf);
      outputs.push(value);
    }
    // dL/d(input of layer i) is dL/d(output of layer i-1): the backward of each layer runs alone.
    backward(F.binaryCrossEntropy(value, batch));
    for (let i = layers.length - 2; i >= 0; i--) {
      const gradient = inputs[i + 1]!.grad;
      if (gradient && outputs[i]!.requiresGrad) backward(outputs[i]!, gradient);
    }
    const gradients = inputs.map((input) => input.grad);
    const weightGradients = layers.map(({ layer }) => (layer instanceof Conv2d ? layer.weight.grad : null));
    const wanted = [...inputs, ...outputs, ...gradients, ...weightGradients].filter(
      (tensor): tensor is Tensor => tensor !== null,
    );
    const read = new Map(wanted.map((tensor, i) => [tensor, i]));
    const values = await engine.readAll(wanted);
    const valuesOf = (tensor: Tensor | null): Float32Array | null => (tensor ? values[read.get(tensor)!]! : null);
    gradients.forEach((gradient) => gradient?.dispose());
    model.zeroGrad();
    return layers.map(({ part, layer }, i): LayerInternals => {
      const gradient = gradients[i + 1] ?? null;
      return {
        part,
        layer,
        input: { shape: imageShape(inputs[i]!.shape), values: firstImage(valuesOf(inputs[i]!)!, inputs[i]!.shape) },
        output: { shape: imageShape(outputs[i]!.shape), values: firstImage(valuesOf(outputs[i]!)!, outputs[i]!.shape) },
        outputGradient: gradient
          ? { shape: imageShape(gradient.shape), values: firstImage(valuesOf(gradient)!, gradient.shape) }
          : null,
        weightGradient: valuesOf(weightGradients[i] ?? null),
      };
    });
  });
}

/**
 * Every layer's output for one image ([C, H, W]), forward only: what the model diagram shows
 * live while training runs. Layer by layer, as modelInternals runs them (no fusions).
 */
export async function layerOutputs(
  engine: Engine,
  model: Autoencoder<Tensor>,
  image: Float32Array,
  shape: Shape,
): Promise<Maps[]> {
  return engine.scopeAsync(async () => {
    const outputs: Tensor[] = [];
    noGrad(() =>
      layersOf(model).reduce(
        (value, { layer }) => {
          const output = layer.forward(value);
          outputs.push(output);
          return output;
        },
        engine.tensor(image, [1, ...shape], 'lab image'),
      ),
    );
    const values = await engine.readAll(outputs);
    return outputs.map((output, i) => ({ shape: imageShape(output.shape), values: values[i]! }));
  });
}

/** One term of a conv output: input[channel, row, column] times weight[channel, ky, kx]. */
export interface ConvTerm {
  readonly channel: number;
  readonly ky: number;
  readonly kx: number;
  /** Where the kernel tap reads, in the input; null: the zero padding. */
  readonly row: number | null;
  readonly column: number | null;
  readonly input: number;
  readonly weight: number;
  readonly product: number;
}

export interface ConvStep {
  readonly terms: readonly ConvTerm[];
  /** The products summed in float64, then the bias added, then the activation. */
  readonly sum: number;
  readonly bias: number;
  readonly activation: 'relu' | 'linear';
  readonly value: number;
  /** The value in the engine's output buffer. */
  readonly gpu: number;
  /** The value the conv2d op's float64 reference computes for the whole layer. */
  readonly reference: number;
}

/** Output value [channel, y, x] of a conv layer worked through: every product of its window. */
export function convStep(
  layer: Conv2d<Tensor>,
  internals: LayerInternals,
  weight: Float32Array,
  bias: Float32Array | null,
  channel: number,
  y: number,
  x: number,
): ConvStep {
  const { input, output } = internals;
  const [inChannels, height, width] = input.shape as [number, number, number];
  const attributes = {
    stride: layer.options.stride ?? 1,
    padding: layer.options.padding ?? 'same',
    activation: layer.activation,
  };
  const weightShape = layer.weight.shape;
  const g = conv2dGeometry([1, ...input.shape], weightShape, bias ? [bias.length] : undefined, attributes);
  const terms: ConvTerm[] = [];
  let sum = 0;
  for (let c = 0; c < inChannels; c++) {
    for (let ky = 0; ky < g.kernelHeight; ky++) {
      for (let kx = 0; kx < g.kernelWidth; kx++) {
        const row = y * g.stride + ky - g.padTop;
        const column = x * g.stride + kx - g.padLeft;
        const inside = row >= 0 && row < height && column >= 0 && column < width;
        const inputValue = inside ? input.values[(c * height + row) * width + column]! : 0;
        const weightValue = weight[((channel * inChannels + c) * g.kernelHeight + ky) * g.kernelWidth + kx]!;
        const product = inputValue * weightValue;
        sum += product;
        terms.push({
          channel: c,
          ky,
          kx,
          row: inside ? row : null,
          column: inside ? column : null,
          input: inputValue,
          weight: weightValue,
          product,
        });
      }
    }
  }
  const biasValue = bias?.[channel] ?? 0;
  const activation = attributes.activation === 'relu' ? 'relu' : 'linear';
  const value = activation === 'relu' ? Math.max(0, sum + biasValue) : sum + biasValue;
  const hostInputs = [
    { shape: [1, ...input.shape], data: Float64Array.from(input.values) },
    { shape: weightShape, data: Float64Array.from(weight) },
    ...(bias ? [{ shape: [bias.length], data: Float64Array.from(bias) }] : []),
  ];
  const outputShape = [1, ...output.shape];
  const reference = ops.conv2d.reference.forward(hostInputs, attributes, outputShape);
  const index = (channel * g.outHeight + y) * g.outWidth + x;
  return { terms, sum, bias: biasValue, activation, value, gpu: output.values[index]!, reference: reference[index]! };
}

/** Output value [channel, y, x] of a max-pool: its window, and which position won. */
export interface PoolStep {
  readonly window: readonly { row: number; column: number; value: number | null }[];
  /** Index into window of the arg-max: the first maximum in row-major window order; padding never wins. */
  readonly winner: number;
  readonly gpu: number;
}

export function poolStep(layer: MaxPool2d, internals: LayerInternals, channel: number, y: number, x: number): PoolStep {
  const [, height, width] = internals.input.shape as [number, number, number];
  const { height: rows, width: columns } = windowGeometry(
    height,
    width,
    layer.poolSize,
    layer.poolSize,
    layer.poolSize,
    layer.padding,
    'maxPool2d',
  );
  const window: { row: number; column: number; value: number | null }[] = [];
  let winner = -1;
  for (let dy = 0; dy < layer.poolSize; dy++) {
    for (let dx = 0; dx < layer.poolSize; dx++) {
      const row = y * layer.poolSize + dy - rows.padBefore;
      const column = x * layer.poolSize + dx - columns.padBefore;
      const inside = row >= 0 && row < height && column >= 0 && column < width;
      const value = inside ? internals.input.values[(channel * height + row) * width + column]! : null;
      // Strictly greater: a later equal value does not replace the first maximum.
      if (value !== null && (winner < 0 || value > window[winner]!.value!)) winner = window.length;
      window.push({ row, column, value });
    }
  }
  const [, outHeight, outWidth] = internals.output.shape as [number, number, number];
  return { window, winner, gpu: internals.output.values[(channel * outHeight + y) * outWidth + x]! };
}

/** Which input value an upsample output [channel, y, x] copies: nearest neighbour. */
export function upsampleSource(layer: Upsample2d, y: number, x: number): { row: number; column: number } {
  return { row: Math.floor(y / layer.factor), column: Math.floor(x / layer.factor) };
}

/**
 * A conv layer run again on its input with the plain kernel (conv2d/plain.wgsl): the largest
 * difference from the layer's own output, and the largest output value, for scale.
 */
export async function plainConvDifference(
  engine: Engine,
  layer: Conv2d<Tensor>,
  internals: LayerInternals,
): Promise<{ difference: number; largest: number }> {
  const plain = await engine.scopeAsync(async () =>
    noGrad(() => layer.forwardPlain(engine.tensor(internals.input.values, [1, ...internals.input.shape]))).read(),
  );
  let difference = 0;
  let largest = 0;
  internals.output.values.forEach((value, i) => {
    difference = Math.max(difference, Math.abs(value - plain[i]!));
    largest = Math.max(largest, Math.abs(value));
  });
  return { difference, largest };
}
