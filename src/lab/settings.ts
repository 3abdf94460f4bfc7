// The lab's settings: the model (Part 1's, or a Part 2 configuration), the optimiser and the
// data split. They live in the page's URL, so a link reproduces a setup.
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import { AelabError } from '../errors.ts';
import type { Autoencoder } from '../nn/sequential.ts';
import { optimizers, type Optimizer } from '../nn/optimisers.ts';
import { autoencoderName, autoencoderFor, type ArchitectureConfig } from '../experiments/configurable-autoencoder.ts';
import { layerModelAutoencoder, type LayerModel } from '../nn/layer-model.ts';

export interface LabSettings {
  /** 'notebook': Part 1's model; 'sweep': a Part 2 configuration of the four below. */
  readonly model: 'notebook' | 'sweep';
  readonly fewerLayers: boolean;
  readonly channelFactor: number;
  readonly kernelSize: number;
  readonly compression: number;
  readonly optimiser: 'rmsprop' | 'adam' | 'sgd';
  readonly learningRate: number;
  readonly batchSize: number;
  readonly epochs: number;
  /** Fraction of the images used, split 80/10/10 as the command line does. */
  readonly sample: number;
  readonly seed: number;
  /** A model loaded from a file made elsewhere (aelab import-keras): its layers, in place of `model`'s. */
  readonly layers?: LayerModel;
}

export const DEFAULT_SETTINGS: LabSettings = {
  model: 'notebook',
  fewerLayers: false,
  channelFactor: 2,
  kernelSize: 3,
  compression: 2,
  optimiser: 'rmsprop',
  learningRate: 0.001,
  batchSize: 32,
  epochs: 10,
  sample: 0.1,
  seed: 1,
};

export class SettingsError extends AelabError {
  override name = 'SettingsError';
}

type Rule =
  { readonly choices: readonly string[] } | { readonly integer: boolean; readonly low: number; readonly high: number };

/** The settings a URL and the form hold: all but an imported model's layers. */
export type FormSetting = Exclude<keyof LabSettings, 'layers'>;

/** What each setting may be; a URL or form value outside it is refused with its name. */
const RULES: { readonly [K in FormSetting]: Rule } = {
  model: { choices: ['notebook', 'sweep'] },
  fewerLayers: { choices: ['true', 'false'] },
  channelFactor: { integer: true, low: 1, high: 16 },
  kernelSize: { integer: true, low: 1, high: 7 },
  compression: { integer: true, low: 1, high: 4 },
  optimiser: { choices: ['rmsprop', 'adam', 'sgd'] },
  learningRate: { integer: false, low: 1e-6, high: 1 },
  batchSize: { integer: true, low: 1, high: 1024 },
  epochs: { integer: true, low: 1, high: 1000 },
  sample: { integer: false, low: 1e-4, high: 1 },
  seed: { integer: true, low: 0, high: 2 ** 31 - 1 },
};

/** One setting from text (a URL parameter or a form field). */
export function parseSetting<K extends FormSetting>(name: K, text: string): LabSettings[K] {
  const rule = RULES[name];
  if ('choices' in rule) {
    if (!rule.choices.includes(text))
      throw new SettingsError(`${name}: '${text}' is not one of ${rule.choices.join(', ')}`);
    return (name === 'fewerLayers' ? text === 'true' : text) as LabSettings[K];
  }
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || (rule.integer && !Number.isInteger(value)))
    throw new SettingsError(`${name}: '${text}' is not ${rule.integer ? 'an integer' : 'a number'}`);
  if (value < rule.low || value > rule.high)
    throw new SettingsError(`${name}: ${value} is outside ${rule.low}-${rule.high}`);
  return value as LabSettings[K];
}

/** The settings a URL's query gives, the defaults for the rest. */
export function settingsFromQuery(query: string): LabSettings {
  const parameters = new URLSearchParams(query);
  const settings: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const [name, text] of parameters) {
    if (!(name in RULES)) continue; // other parameters (the view) are the page's
    settings[name] = parseSetting(name as FormSetting, text);
  }
  return settings as unknown as LabSettings;
}

/** The query that reproduces `settings` (only what differs from the defaults). */
export function settingsQuery(settings: LabSettings): URLSearchParams {
  const parameters = new URLSearchParams();
  for (const name of Object.keys(RULES) as FormSetting[]) {
    if (settings[name] !== DEFAULT_SETTINGS[name]) parameters.set(name, String(settings[name]));
  }
  return parameters;
}

export function architectureOf(settings: LabSettings, channels: number): ArchitectureConfig {
  const { fewerLayers, channelFactor, kernelSize, compression } = settings;
  return {
    fewerLayers,
    channelFactor,
    kernelSize,
    compression,
    inputLayers: channels,
    outputLayers: channels,
    output: 'sigmoid',
  };
}

/** The model's name as the command line writes it into model.safetensors. */
export function modelName(settings: LabSettings, channels: number): string {
  if (settings.layers) return 'imported layers';
  return autoencoderName(settings.model === 'sweep' ? architectureOf(settings, channels) : undefined);
}

/**
 * The settings a model file's name stands for ('notebook autoencoder', 'full-c2-k3-x2'), over
 * `base`; null when the name is neither.
 */
export function settingsOfModelName(name: string, base: LabSettings): LabSettings | null {
  if (name === autoencoderName(undefined)) return { ...base, model: 'notebook' };
  const match = /^(fewer|full)-c(\d+)-k(\d+)-x(\d+)$/.exec(name);
  if (!match) return null;
  return {
    ...base,
    model: 'sweep',
    fewerLayers: match[1] === 'fewer',
    channelFactor: Number(match[2]),
    kernelSize: Number(match[3]),
    compression: Number(match[4]),
  };
}

export function buildModel(engine: Engine, settings: LabSettings, imageShape: readonly number[]): Autoencoder<Tensor> {
  const [channels] = imageShape as [number];
  if (settings.layers) {
    if (settings.layers.input.join('x') !== imageShape.join('x'))
      throw new SettingsError(
        `the loaded model takes images of ${settings.layers.input.join('x')}; the page's are ${imageShape.join('x')}`,
      );
    return layerModelAutoencoder(engine, settings.layers, settings.seed);
  }
  return autoencoderFor(
    engine,
    settings.model === 'sweep' ? architectureOf(settings, channels) : undefined,
    settings.seed,
    channels,
  );
}

export function buildOptimiser(engine: Engine, settings: LabSettings, parameters: readonly Tensor[]): Optimizer {
  return optimizers[settings.optimiser](engine, parameters, { learningRate: settings.learningRate });
}
