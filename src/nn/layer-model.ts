// A model as data: a list of layers, split into an encoder and a decoder. It is how a model that
// no command of ours built (a Keras import, nn/keras.ts) is kept in a run folder's config.json
// and in a weights file's metadata (the lab's Load model).
import { AelabError } from '../errors.ts';
import { sizeOf, type Shape } from '../shapes.ts';
import type { TapeTensor } from './autograd.ts';
import {
  Conv2d,
  MaxPool2d,
  ReLU,
  Scale,
  Sigmoid,
  Tanh,
  Upsample2d,
  type Layer,
  type Module,
  type ModuleBackend,
} from './modules.ts';
import { Autoencoder, Sequential, summary } from './sequential.ts';
import { Random } from '../random.ts';

/** One layer, as JSON keeps it. */
export type LayerSpec =
  | {
      readonly kind: 'conv2d';
      readonly inChannels: number;
      readonly outChannels: number;
      readonly kernelSize: number;
      readonly stride: number;
      readonly padding: 'same' | 'valid';
      readonly bias: boolean;
      /** 'relu' runs inside the conv (Keras' Conv2D(activation='relu')). */
      readonly activation: 'relu' | 'linear';
    }
  | { readonly kind: 'maxPool2d'; readonly poolSize: number; readonly padding: 'same' | 'valid' }
  | { readonly kind: 'upsample2d'; readonly factor: number }
  | { readonly kind: 'scale'; readonly factor: number }
  | { readonly kind: 'relu' | 'sigmoid' | 'tanh' };

/** A chain of layers: the encoder's output is the latent code. */
export interface LayerModel {
  /** One image's shape: [channels, height, width]. */
  readonly input: readonly [number, number, number];
  readonly encoder: readonly LayerSpec[];
  readonly decoder: readonly LayerSpec[];
}

/** Whether a run's saved description (config.json's architecture) is a LayerModel. */
export function isLayerModel(description: unknown): description is LayerModel {
  return typeof description === 'object' && description !== null && 'encoder' in description && 'input' in description;
}

/** The layer `spec` describes, its weights drawn from `random` (Glorot uniform, as Keras'). */
export function layerOf<T extends TapeTensor<T>>(backend: ModuleBackend<T>, spec: LayerSpec, random: Random): Layer<T> {
  switch (spec.kind) {
    case 'conv2d':
      return new Conv2d(backend, { ...spec, random });
    case 'maxPool2d':
      return new MaxPool2d(spec.poolSize, spec.padding);
    case 'upsample2d':
      return new Upsample2d(spec.factor);
    case 'scale':
      return new Scale(spec.factor);
    case 'relu':
      return new ReLU();
    case 'sigmoid':
      return new Sigmoid();
    case 'tanh':
      return new Tanh();
    default:
      throw new AelabError(`no such layer kind '${(spec as { kind: string }).kind}'`);
  }
}

/** The autoencoder a LayerModel describes; its shapes are checked here (a ShapeError names the layer). */
export function layerModelAutoencoder<T extends TapeTensor<T>>(
  backend: ModuleBackend<T>,
  model: LayerModel,
  seed: number,
): Autoencoder<T> {
  const random = new Random(seed);
  const autoencoder = new Autoencoder<T>(
    new Sequential<T>(model.encoder.map((spec) => layerOf(backend, spec, random))),
    new Sequential<T>(model.decoder.map((spec) => layerOf(backend, spec, random))),
  );
  autoencoder.build([...model.input]);
  return autoencoder;
}

/**
 * A chain of layers split where the latent code is: after the layer with the smallest output
 * (the first, on a tie), the bottleneck an autoencoder squeezes its input through.
 */
export function splitAtBottleneck(input: readonly [number, number, number], layers: readonly LayerSpec[]): LayerModel {
  const random = new Random(0);
  const backend = shapeOnlyBackend();
  let shape: Shape = [1, ...input];
  let [smallest, at] = [Infinity, 0];
  layers.forEach((spec, i) => {
    shape = layerOf(backend, spec, random).outputShape(shape);
    if (sizeOf(shape) < smallest) [smallest, at] = [sizeOf(shape), i + 1];
  });
  return { input, encoder: layers.slice(0, at), decoder: layers.slice(at) };
}

/** A backend that keeps no values: enough to ask layers their shapes. */
function shapeOnlyBackend(): ModuleBackend<never> {
  return { tensor: (_data, shape) => ({ shape }) as never, keep: () => {} };
}

/** A LayerModel's output shape for one image ([channels, height, width]) and its Keras-style summary. */
export function layerModelSummary(model: LayerModel): { output: Shape; text: string } {
  const built = layerModelAutoencoder(shapeOnlyBackend(), model, 0);
  return { output: built.build([...model.input]), text: summary(built, [...model.input]) };
}

/**
 * The factor a model's sides shrink by at its narrowest: a picture comes back at its own size
 * only when its sides are multiples of it (a 'same' pool of 2 on 15 gives 8, and 8 doubled is 16).
 */
export function sideMultiple(model: Module<any>, channels: number): number {
  const probe = 720720; // divisible by every factor up to 16: the shapes below are exact
  let smallest = probe;
  for (const step of model.trace([1, channels, probe, probe])) smallest = Math.min(smallest, step.output[2]!);
  return Math.round(probe / smallest);
}
