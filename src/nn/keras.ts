// Keras 3 models in: a .keras file (a zip of config.json and model.weights.h5) or the two files,
// read into a LayerModel and its weights. The layout is converted once, here: Keras' kernels are
// HWIO ([height, width, in, out]) and ours OIHW, and its images NHWC where ours are NCHW (the
// model's input shape is given channels first). HDF5 is read with h5wasm (loaded when a model is
// read: 4 MB of WebAssembly no other command needs), the zip with fflate.
import type h5wasmModule from 'h5wasm';
import { unzipSync } from 'fflate';
import { AelabError } from '../errors.ts';
import { splitAtBottleneck, type LayerModel, type LayerSpec } from './layer-model.ts';
import type { StoredTensor } from './safetensors.ts';

export class KerasImportError extends AelabError {
  override name = 'KerasImportError';
}

/** A Keras model's two parts: config.json, parsed, and model.weights.h5's bytes. */
export interface KerasFiles {
  readonly config: unknown;
  readonly weights: Uint8Array;
  /** metadata.json, parsed, when there is one (its keras_version). */
  readonly metadata?: unknown;
}

/** A Keras model read by importKeras: its layers, its weights in our layout, and where they came from. */
export interface ImportedKeras {
  readonly model: LayerModel;
  /** By our parameter names ('encoder.0.weight'), in our layout. */
  readonly tensors: Map<string, StoredTensor>;
  /** Each of our layers' Keras layer name, in order. */
  readonly kerasNames: readonly string[];
  readonly kerasVersion: string | null;
}

/** The parts of a .keras file (a zip); `where` names it in errors. */
export function unzipKeras(bytes: Uint8Array, where: string): KerasFiles {
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(bytes);
  } catch (error) {
    throw new KerasImportError(`${where}: not a .keras file (not a zip: ${(error as Error).message})`);
  }
  const config = entries['config.json'];
  const weights = entries['model.weights.h5'];
  if (!config || !weights)
    throw new KerasImportError(
      `${where}: a zip without ${config ? 'model.weights.h5' : 'config.json'}: not a Keras 3 model`,
    );
  const text = (entry: Uint8Array, name: string) => parseJson(new TextDecoder().decode(entry), `${where}: ${name}`);
  const metadata = entries['metadata.json'];
  return {
    config: text(config, 'config.json'),
    weights,
    ...(metadata ? { metadata: text(metadata, 'metadata.json') } : {}),
  };
}

function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new KerasImportError(`${where}: not JSON (${(error as Error).message})`);
  }
}

interface KerasLayer {
  readonly class_name: string;
  readonly name?: string;
  readonly config: Record<string, unknown> & { name?: string };
  readonly inbound_nodes?: { args?: unknown[] }[];
}

const SUPPORTED = 'InputLayer, Conv2D, MaxPooling2D, UpSampling2D, Activation and ReLU';

/** A Keras model's layers as ours, and its weights in our layout. */
export async function importKeras(files: KerasFiles, where: string): Promise<ImportedKeras> {
  const { input, layers } = chainOf(files.config, where);
  const specs: LayerSpec[] = [];
  const kerasNames: string[] = [];
  let channels = input[0];
  for (const layer of layers) {
    const name = layer.config.name ?? layer.name ?? '?';
    const added = layerSpecs(layer, channels, `${where}: layer '${name}' (${layer.class_name})`);
    for (const spec of added) {
      if (spec.kind === 'conv2d') channels = spec.outChannels;
      specs.push(spec);
      kerasNames.push(name);
    }
  }
  const model = splitAtBottleneck(input, specs);
  const tensors = await readWeights(files.weights, where, model, kerasNames);
  const metadata = files.metadata as { keras_version?: string } | undefined;
  return { model, tensors, kerasNames, kerasVersion: metadata?.keras_version ?? null };
}

/** The model's input shape (channels first) and its layers in order: a Sequential, or a Functional chain. */
function chainOf(config: unknown, where: string): { input: [number, number, number]; layers: KerasLayer[] } {
  const root = config as { class_name?: string; config?: { layers?: KerasLayer[]; input_layers?: unknown } };
  const all = root?.config?.layers;
  if (!Array.isArray(all) || (root.class_name !== 'Sequential' && root.class_name !== 'Functional'))
    throw new KerasImportError(
      `${where}: config.json describes a ${root?.class_name ?? 'no'} model; aelab imports Sequential and Functional models`,
    );
  let layers = all;
  if (root.class_name === 'Functional') {
    // A simple chain: each layer takes the one output of the layer before it, and no other.
    for (let i = 1; i < all.length; i++) {
      const inbound = all[i]!.inbound_nodes ?? [];
      const args = inbound.flatMap((node) => node.args ?? []) as { config?: { keras_history?: unknown[] } }[];
      const from = args.map((arg) => arg?.config?.keras_history?.[0]);
      const previous = all[i - 1]!.config.name ?? all[i - 1]!.name;
      if (inbound.length !== 1 || from.length !== 1 || from[0] !== previous)
        throw new KerasImportError(
          `${where}: layer '${all[i]!.config.name}' does not take the one output of '${previous}': aelab imports chains of layers only`,
        );
    }
  }
  const first = layers[0]?.class_name === 'InputLayer' ? layers[0] : null;
  const batchShape = (first?.config['batch_shape'] ??
    first?.config['batch_input_shape'] ??
    layers[0]?.config['batch_input_shape']) as (number | null)[] | undefined;
  if (first) layers = layers.slice(1);
  if (!batchShape || batchShape.length !== 4 || batchShape.slice(1).some((side) => !Number.isInteger(side)))
    throw new KerasImportError(
      `${where}: the model's input shape is ${batchShape ? JSON.stringify(batchShape) : 'not given'}; aelab needs images of a fixed [height, width, channels]`,
    );
  const [, height, width, channels] = batchShape as number[];
  return { input: [channels!, height!, width!], layers };
}

/** An activation's name, from a string or Keras' serialised function. */
function activationName(value: unknown): string {
  if (typeof value === 'string') return value;
  const serialised = value as { config?: unknown; class_name?: string } | null;
  if (typeof serialised?.config === 'string') return serialised.config;
  return serialised?.class_name ?? String(value);
}

function activationSpecs(value: unknown, what: string): LayerSpec[] {
  const name = activationName(value);
  if (name === 'linear') return [];
  if (name === 'relu' || name === 'sigmoid' || name === 'tanh') return [{ kind: name }];
  throw new KerasImportError(`${what}: activation '${name}' is not supported (relu, sigmoid, tanh or linear)`);
}

/** The same value on both axes, or an error naming the option. */
function square(value: unknown, option: string, what: string): number {
  const pair = Array.isArray(value) ? value : [value, value];
  if (pair.length !== 2 || pair[0] !== pair[1] || !Number.isInteger(pair[0]))
    throw new KerasImportError(`${what}: ${option} ${JSON.stringify(value)} is not supported (the same on both axes)`);
  return pair[0] as number;
}

function requireOption(ok: boolean, what: string, why: string): void {
  if (!ok) throw new KerasImportError(`${what}: ${why}`);
}

/** Our layers for one Keras layer (a conv with a sigmoid is a conv and a Sigmoid). */
function layerSpecs(layer: KerasLayer, inChannels: number, what: string): LayerSpec[] {
  const c = layer.config;
  const channelsLast = c['data_format'] === undefined || c['data_format'] === 'channels_last';
  switch (layer.class_name) {
    case 'Conv2D': {
      requireOption(channelsLast, what, `data_format ${String(c['data_format'])} is not supported (channels_last)`);
      requireOption(square(c['dilation_rate'] ?? 1, 'dilation_rate', what) === 1, what, 'dilation is not supported');
      requireOption((c['groups'] ?? 1) === 1, what, 'grouped convolutions are not supported');
      const padding = c['padding'];
      requireOption(padding === 'same' || padding === 'valid', what, `padding '${String(padding)}' is not supported`);
      const activation = activationName(c['activation'] ?? 'linear');
      const conv: LayerSpec = {
        kind: 'conv2d',
        inChannels,
        outChannels: c['filters'] as number,
        kernelSize: square(c['kernel_size'], 'kernel_size', what),
        stride: square(c['strides'] ?? 1, 'strides', what),
        padding: padding as 'same' | 'valid',
        bias: c['use_bias'] !== false,
        activation: activation === 'relu' ? 'relu' : 'linear',
      };
      return [conv, ...(activation === 'relu' ? [] : activationSpecs(activation, what))];
    }
    case 'MaxPooling2D': {
      requireOption(channelsLast, what, `data_format ${String(c['data_format'])} is not supported (channels_last)`);
      const poolSize = square(c['pool_size'], 'pool_size', what);
      const strides =
        c['strides'] === null || c['strides'] === undefined ? poolSize : square(c['strides'], 'strides', what);
      requireOption(strides === poolSize, what, `strides ${strides} differ from pool_size ${poolSize}; not supported`);
      const padding = c['padding'] ?? 'valid';
      requireOption(padding === 'same' || padding === 'valid', what, `padding '${String(padding)}' is not supported`);
      return [{ kind: 'maxPool2d', poolSize, padding: padding as 'same' | 'valid' }];
    }
    case 'UpSampling2D': {
      requireOption(channelsLast, what, `data_format ${String(c['data_format'])} is not supported (channels_last)`);
      const interpolation = c['interpolation'] ?? 'nearest';
      requireOption(
        interpolation === 'nearest',
        what,
        `interpolation '${String(interpolation)}' is not supported (nearest)`,
      );
      return [{ kind: 'upsample2d', factor: square(c['size'] ?? 2, 'size', what) }];
    }
    case 'Activation':
      return activationSpecs(c['activation'], what);
    case 'ReLU': {
      const plain = !c['max_value'] && !c['negative_slope'] && !c['threshold'];
      requireOption(plain, what, 'a ReLU with max_value, negative_slope or threshold is not supported');
      return [{ kind: 'relu' }];
    }
    default:
      throw new KerasImportError(`${what} is not supported: aelab imports ${SUPPORTED}`);
  }
}

type H5File = InstanceType<typeof h5wasmModule.File>;

/**
 * The conv weights from model.weights.h5 (layers/NAME/vars/0 the kernel, 1 the bias), as ours;
 * `kerasNames[i]` is the Keras layer our layer i came from.
 */
async function readWeights(
  bytes: Uint8Array,
  where: string,
  model: LayerModel,
  kerasNames: readonly string[],
): Promise<Map<string, StoredTensor>> {
  const h5wasm = (await import('h5wasm')).default;
  const module = await h5wasm.ready;
  // HDF5's errors thrown, not printed: a damaged file is named in one line.
  module.activate_throwing_error_handler();
  const { FS } = module;
  const path = `/aelab-import-${Math.random().toString(36).slice(2)}.h5`;
  FS!.writeFile(path, bytes);
  let file: H5File | null = null;
  try {
    try {
      file = new h5wasm.File(path, 'r');
    } catch (error) {
      throw new KerasImportError(`${where}: model.weights.h5 is not an HDF5 file (${hdf5Reason(error)})`);
    }
    const tensors = new Map<string, StoredTensor>();
    const layers = [...model.encoder, ...model.decoder];
    layers.forEach((spec, i) => {
      if (spec.kind !== 'conv2d') return;
      const name = kerasNames[i]!;
      const ours = i < model.encoder.length ? `encoder.${i}` : `decoder.${i - model.encoder.length}`;
      const { kernelSize: k, inChannels, outChannels } = spec;
      const kernel = dataset(h5wasm, file!, `layers/${name}/vars/0`, [k, k, inChannels, outChannels], where);
      // HWIO to OIHW: ours[o][i][y][x] = keras[y][x][i][o].
      const weight = new Float32Array(kernel.length);
      for (let y = 0; y < k; y++)
        for (let x = 0; x < k; x++)
          for (let c = 0; c < inChannels; c++)
            for (let o = 0; o < outChannels; o++)
              weight[((o * inChannels + c) * k + y) * k + x] =
                kernel[((y * k + x) * inChannels + c) * outChannels + o]!;
      tensors.set(`${ours}.weight`, { shape: [outChannels, inChannels, k, k], data: weight });
      if (spec.bias)
        tensors.set(`${ours}.bias`, {
          shape: [outChannels],
          data: dataset(h5wasm, file!, `layers/${name}/vars/1`, [outChannels], where),
        });
    });
    return tensors;
  } finally {
    file?.close();
    FS!.unlink(path);
  }
}

function dataset(
  h5wasm: typeof h5wasmModule,
  file: H5File,
  path: string,
  shape: readonly number[],
  where: string,
): Float32Array {
  let entry: ReturnType<typeof file.get>;
  try {
    entry = file.get(path);
  } catch (error) {
    throw new KerasImportError(`${where}: model.weights.h5's ${path} cannot be read (${hdf5Reason(error)})`);
  }
  if (!(entry instanceof h5wasm.Dataset))
    throw new KerasImportError(`${where}: model.weights.h5 has no ${path} (weights that do not match config.json)`);
  if (JSON.stringify(entry.shape) !== JSON.stringify(shape))
    throw new KerasImportError(
      `${where}: model.weights.h5's ${path} has shape ${JSON.stringify(entry.shape)}, config.json says ${JSON.stringify(shape)}`,
    );
  return Float32Array.from(entry.value as ArrayLike<number>);
}

/** The first reason in an HDF5 error stack ('unable to synchronously open file'). */
function hdf5Reason(error: unknown): string {
  const message = (error as Error).message ?? String(error);
  return /in H5\w*\(\): ([^\n]+)/.exec(message)?.[1]?.trim() ?? message.split('\n')[0]!;
}
