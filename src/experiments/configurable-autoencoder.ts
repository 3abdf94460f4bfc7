// The notebook's make_model_with_config (Part 2): an autoencoder built from a config.
//   x = conv(input_layers)                       the first conv has input_layers filters
//   if not fewer_layers: x = pool(c); x = conv(3 * channel_factor)
//   x = pool(c); encoded = conv(4 * channel_factor)
//   if not fewer_layers: x = upsample(c, encoded); x = conv(3 * channel_factor)
//   x = upsample(c, x); decoded = conv(output_layers)
// conv = Conv2D(kernel_size, ReLU, 'same'); pool = MaxPooling2D(c, 'same'); upsample = nearest
// UpSampling2D(c). With compression 1 the pools and upsamplings are identities: they are
// left out of the graph, and the summary says so. Colourisation (Part 3) adds: a first conv
// wider than the input (the notebook's 1-filter first conv is a 1-channel bottleneck for a gray
// input), a tanh output scaled to a range, and a classifier head (logits at half resolution).
import { AelabError } from '../errors.ts';
import { Conv2d, MaxPool2d, Scale, Sigmoid, Tanh, Upsample2d, type Layer, type ModuleBackend } from '../nn/modules.ts';
import { Autoencoder, Sequential } from '../nn/sequential.ts';
import type { TapeTensor } from '../nn/autograd.ts';
import { Random } from '../random.ts';
import { notebookAutoencoder } from './notebook-autoencoder.ts';
import { SkipAutoencoder } from './skip-autoencoder.ts';
import { isLayerModel, layerModelAutoencoder, type LayerModel } from '../nn/layer-model.ts';

/** What a run folder's config.json says its model is: one of Part 2's configurations, or a chain of layers (an import). */
export type ModelDescription = ArchitectureConfig | LayerModel;

/** The model a description describes, its weights drawn from `seed`. */
export function describedAutoencoder<T extends TapeTensor<T>>(
  backend: ModuleBackend<T>,
  description: ModelDescription,
  seed: number,
): Autoencoder<T> {
  return isLayerModel(description)
    ? layerModelAutoencoder(backend, description, seed)
    : architectureAutoencoder(backend, description, seed);
}

/** The channels of the images a description's model takes. */
export function inputChannels(description: ModelDescription): number {
  return isLayerModel(description) ? description.input[0] : description.inputLayers;
}

/**
 * The output layer: 'sigmoid' (Part 1's: BCE taken from the logits), 'relu' (the notebook's:
 * BCE on clipped values), 'tanh' (times outputRange: signed targets) or 'logits' (none: a
 * classifier's scores, for softmaxCrossEntropy).
 */
export type OutputKind = 'sigmoid' | 'relu' | 'tanh' | 'logits';

/** One of Part 2's architectures (the notebook's make_model_with_config), with Part 3's additions. */
export interface ArchitectureConfig {
  readonly fewerLayers: boolean;
  readonly channelFactor: number;
  readonly kernelSize: number;
  readonly compression: number;
  /** Channels of the input, and filters of the first conv (the notebook's input_layers). */
  readonly inputLayers: number;
  /** Channels of the output (the notebook's output_layers). */
  readonly outputLayers: number;
  readonly output: OutputKind;
  /** Filters of the first conv; default inputLayers (the notebook's). */
  readonly firstFilters?: number;
  /** 'tanh' output: tanh times this (default 1). */
  readonly outputRange?: number;
  /** Leave out the last upsampling and make the output conv 1 x 1: logits at half resolution. */
  readonly classifier?: boolean;
  /** U-Net skip connections: each decoder conv after an upsampling also sees the encoder's map of its resolution. */
  readonly skip?: boolean;
}

/** The autoencoder an ArchitectureConfig describes, Glorot-uniform weights drawn from `seed`. */
export function architectureAutoencoder<T extends TapeTensor<T>>(
  backend: ModuleBackend<T>,
  config: ArchitectureConfig,
  seed: number,
): Autoencoder<T> {
  const random = new Random(seed);
  const { fewerLayers, channelFactor, kernelSize, compression, inputLayers, outputLayers } = config;
  const conv = (inChannels: number, outChannels: number, activation: 'relu' | 'linear' = 'relu') =>
    new Conv2d(backend, { inChannels, outChannels, kernelSize, padding: 'same', activation, random });
  const pool = (): Layer<T>[] => (compression > 1 ? [new MaxPool2d(compression, 'same')] : []);
  const upsample = (): Layer<T>[] => (compression > 1 ? [new Upsample2d(compression)] : []);
  const hidden = 3 * channelFactor;
  const latent = 4 * channelFactor;
  const first = config.firstFilters ?? inputLayers;
  const encoder: Layer<T>[] = [conv(inputLayers, first)];
  // With skips: the encoder convs' outputs before their pools, deepest first, each joined to a decoder conv's input.
  const sources = [{ layer: 0, channels: first }];
  if (!fewerLayers) {
    encoder.push(...pool(), conv(first, hidden));
    sources.unshift({ layer: encoder.length - 1, channels: hidden });
  }
  encoder.push(...pool(), conv(fewerLayers ? first : hidden, latent));
  const decoder: Layer<T>[] = [];
  const skips = new Map<number, number>();
  /** The next skip's channels, joined to decoder layer `at` (0 without skips). */
  const skipInto = (at: number): number => {
    const source = config.skip ? sources.shift() : undefined;
    if (!source) return 0;
    skips.set(at, source.layer);
    return source.channels;
  };
  if (!fewerLayers) {
    decoder.push(...upsample());
    decoder.push(conv(latent + skipInto(decoder.length), hidden));
  }
  if (!config.classifier) decoder.push(...upsample());
  const outputInputs = (fewerLayers ? latent : hidden) + (config.classifier ? 0 : skipInto(decoder.length));
  if (config.classifier) {
    decoder.push(
      new Conv2d(backend, {
        inChannels: outputInputs,
        outChannels: outputLayers,
        kernelSize: 1,
        activation: 'linear',
        random,
      }),
    );
  } else if (config.output === 'relu') {
    decoder.push(conv(outputInputs, outputLayers, 'relu')); // as the notebook wrote it
  } else {
    decoder.push(conv(outputInputs, outputLayers, 'linear'));
    if (config.output === 'sigmoid') decoder.push(new Sigmoid());
    if (config.output === 'tanh')
      decoder.push(
        new Tanh(),
        ...(config.outputRange && config.outputRange !== 1 ? [new Scale(config.outputRange)] : []),
      );
  }
  return config.skip
    ? new SkipAutoencoder<T>(new Sequential<T>(encoder), new Sequential<T>(decoder), skips)
    : new Autoencoder<T>(new Sequential<T>(encoder), new Sequential<T>(decoder));
}

/** The latent size (C x H x W) from Keras' shape rules: a 'same' pool of c on n gives ceil(n / c). */
export function latentSize(config: ArchitectureConfig, imageSize = 32): number {
  const pools = config.fewerLayers ? 1 : 2;
  let side = imageSize;
  for (let i = 0; i < pools; i++) side = Math.ceil(side / config.compression);
  return 4 * config.channelFactor * side * side;
}

/**
 * The notebook's own latent-size formula, kept to show its error: it divided by the
 * compression twice where the model pools once (fewer_layers) and once where it pools twice.
 */
export function notebookLatentSize(config: ArchitectureConfig, imageSize = 32): number {
  const divisor = config.fewerLayers ? config.compression * config.compression : config.compression;
  return 4 * config.channelFactor * (imageSize / divisor) ** 2;
}

/** A short name for a config: 'fewer-c2-k3-x1' or 'full-c8-k5-x4' (the output kind added when not sigmoid). */
export function architectureName(config: ArchitectureConfig): string {
  const base = `${config.fewerLayers ? 'fewer' : 'full'}-c${config.channelFactor}-k${config.kernelSize}-x${config.compression}`;
  const first =
    config.firstFilters !== undefined && config.firstFilters !== config.inputLayers ? `-f${config.firstFilters}` : '';
  const named = config.output === 'sigmoid' ? base + first : `${base}${first}-${config.output}`;
  return config.skip ? `${named}-skip` : named;
}

/**
 * The one way a run builds its model: Part 2's model of `architecture`, or without one the
 * notebook's Part 1 autoencoder on `channels`. An architecture made for other images than the
 * data's channels is refused.
 */
export function autoencoderFor<T extends TapeTensor<T>>(
  backend: ModuleBackend<T>,
  architecture: ModelDescription | undefined,
  seed: number,
  channels: number,
): Autoencoder<T> {
  if (architecture && inputChannels(architecture) !== channels) {
    throw new AelabError(
      `the model takes ${inputChannels(architecture)}-channel images (input_layers), but the data has ${channels} channels`,
    );
  }
  return architecture
    ? describedAutoencoder(backend, architecture, seed)
    : notebookAutoencoder(backend, seed, channels);
}

/** The model's name, as model.safetensors carries it: the architecture's, or the notebook's Part 1 model's. */
export function autoencoderName(architecture: ArchitectureConfig | undefined): string {
  return architecture ? architectureName(architecture) : 'notebook autoencoder';
}
