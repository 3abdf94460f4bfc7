// A trained colouriser put to use, with no file system (the lab page runs it too): a method's
// training data, the RGB images it makes of gray planes, a picture of any size at its full
// resolution (the chroma predicted at a working size, padded to what the pools take), and a
// model folder of 'aelab colourise' rebuilt
// from its config.json, model.safetensors and, for lab-classes, bins.json.
import type { Engine } from '../../backend/engine.ts';
import type { Tensor } from '../../backend/tensor.ts';
import { toFloat, type ImageSet } from '../../data/image-set.ts';
import { AelabError } from '../../errors.ts';
import { noGrad } from '../../nn/autograd.ts';
import { applyTensors, decodeSafetensors } from '../../nn/safetensors.ts';
import type { Autoencoder } from '../../nn/sequential.ts';
import type { Module } from '../../nn/modules.ts';
import { sideMultiple } from '../../nn/layer-model.ts';
import type { TrainingData } from '../../nn/training.ts';
import { describedAutoencoder, type ModelDescription } from '../configurable-autoencoder.ts';
import { binsFromJson } from './ab-bins.ts';
import {
  colourMethod,
  PART1_SHAPE,
  resizeBilinear,
  RUN_NAMES,
  type ColourMethod,
  type Planes,
  type RunName,
} from './methods.ts';

export const planesOf = (set: ImageSet, indices: ArrayLike<number>): Planes => ({
  data: toFloat(set, indices),
  count: indices.length,
  height: set.height,
  width: set.width,
});

/** A method's training data: gray planes in, its targets out, converted as batches are drawn. */
export function methodData(set: ImageSet, method: ColourMethod, targetShape: readonly number[]): TrainingData {
  return {
    count: set.count,
    inputShape: [1, set.height, set.width],
    targetShape,
    batch(indices) {
      const rgb = planesOf(set, indices);
      return { inputs: method.gray(rgb), targets: method.targets(rgb) };
    },
  };
}

/** The model's (decoded) output for gray planes [count, 1, height, width]. */
async function decodedOutput(
  engine: Engine,
  model: { forward(input: Tensor): Tensor },
  method: ColourMethod,
  gray: Float32Array,
  count: number,
  height: number,
  width: number,
): Promise<Float32Array> {
  const output = engine.scope(() =>
    noGrad(() => {
      const raw = model.forward(engine.tensor(gray, [count, 1, height, width]));
      return method.decode ? method.decode(raw) : raw;
    }),
  );
  try {
    return await output.read();
  } finally {
    output.dispose();
  }
}

/** The RGB images a trained colouriser makes of RGB images (from their gray planes). */
export async function colouriseImages(
  engine: Engine,
  model: { forward(input: Tensor): Tensor },
  method: ColourMethod,
  rgb: Planes,
  batchSize: number,
): Promise<Float32Array> {
  const { count, height, width } = rgb;
  const plane = height * width;
  const gray = method.gray(rgb);
  const result = new Float32Array(count * 3 * plane);
  for (let start = 0; start < count; start += batchSize) {
    const size = Math.min(batchSize, count - start);
    const input = gray.subarray(start * plane, (start + size) * plane);
    const output = await decodedOutput(engine, model, method, input, size, height, width);
    result.set(method.reconstruct(input, output, size, height, width), start * 3 * plane);
  }
  return result;
}

/** RGB planes grown to sides that are multiples of `multiple`, the edge pixels repeated. */
export function padToMultiple(rgb: Planes, multiple: number): Planes {
  const height = Math.ceil(rgb.height / multiple) * multiple;
  const width = Math.ceil(rgb.width / multiple) * multiple;
  const data = new Float32Array(rgb.count * 3 * height * width);
  for (let k = 0; k < rgb.count * 3; k++)
    for (let y = 0; y < height; y++)
      for (let x = 0; x < width; x++)
        data[(k * height + y) * width + x] =
          rgb.data[(k * rgb.height + Math.min(y, rgb.height - 1)) * rgb.width + Math.min(x, rgb.width - 1)]!;
  return { data, count: rgb.count, height, width };
}

/** Planes [channels, height, width] shrunk to outHeight x outWidth, each pixel the mean of the source pixels it covers. */
export function areaResize(
  planes: Float32Array,
  channels: number,
  height: number,
  width: number,
  outHeight: number,
  outWidth: number,
): Float32Array {
  const result = new Float32Array(channels * outHeight * outWidth);
  const span = (i: number, from: number, to: number) => {
    const start = Math.floor((i * from) / to);
    return [start, Math.max(start + 1, Math.floor(((i + 1) * from) / to))] as const;
  };
  for (let y = 0; y < outHeight; y++) {
    const [y0, y1] = span(y, height, outHeight);
    for (let x = 0; x < outWidth; x++) {
      const [x0, x1] = span(x, width, outWidth);
      for (let c = 0; c < channels; c++) {
        let sum = 0;
        for (let sy = y0; sy < y1; sy++)
          for (let sx = x0; sx < x1; sx++) sum += planes[(c * height + sy) * width + sx]!;
        result[(c * outHeight + y) * outWidth + x] = sum / ((y1 - y0) * (x1 - x0));
      }
    }
  }
  return result;
}

/** The side a picture is colourised at by default: four times CIFAR-10's 32, the training size. */
export const DEFAULT_WORKING_SIZE = 128;

/**
 * One RGB picture colourised at its own full resolution: the chroma is predicted at a working
 * size (the longer side `workingSize` at most, the picture shrunk by area averaging), brought
 * back to full size bilinearly and combined with the picture's own full-resolution gray plane
 * in the method's colour space, so every detail of the original stays.
 */
export async function colouriseFullResolution(
  engine: Engine,
  model: Module<Tensor>,
  method: ColourMethod,
  picture: Planes,
  workingSize = DEFAULT_WORKING_SIZE,
): Promise<Float32Array> {
  const { height, width } = picture;
  const shrink = Math.min(1, workingSize / Math.max(height, width));
  const [h, w] = [Math.max(1, Math.round(height * shrink)), Math.max(1, Math.round(width * shrink))];
  const small = shrink < 1 ? areaResize(picture.data, 3, height, width, h, w) : picture.data;
  const padded = padToMultiple({ data: small, count: 1, height: h, width: w }, sideMultiple(model, 1));
  const output = await decodedOutput(engine, model, method, method.gray(padded), 1, padded.height, padded.width);
  const [outHeight, outWidth] = [padded.height * method.outputScale, padded.width * method.outputScale];
  const channels = output.length / (outHeight * outWidth);
  const scale = method.outputScale;
  const full = resizeBilinear(
    output,
    channels,
    outHeight,
    outWidth,
    height,
    width,
    (h / height) * scale,
    (w / width) * scale,
  );
  return method.combine(method.gray(picture), full, 1, height, width);
}

/** A colouriser's config.json: its method and architecture, or an error naming the kind of folder it is. */
export function colouriserConfig(
  where: string,
  config: unknown,
): { method: RunName; architecture: ModelDescription; temperature?: number } {
  const saved = (config ?? {}) as { method?: string; architecture?: ModelDescription; temperature?: number };
  if (!saved.method || !(RUN_NAMES as readonly string[]).includes(saved.method) || !saved.architecture)
    throw new AelabError(
      `${where}: a run folder of another kind (${saved.method ? `method '${saved.method}'` : "an autoencoder's, not a colouriser's"})`,
    );
  return { method: saved.method as RunName, architecture: saved.architecture, temperature: saved.temperature };
}

export interface SavedColouriser {
  readonly model: Autoencoder<Tensor>;
  readonly method: ColourMethod;
}

/**
 * The colouriser in a method folder of 'aelab colourise' (runs/colourise/ycbcr, say): its
 * config.json's method and architecture, the weights in its model.safetensors, and bins.json
 * for lab-classes. `where` names the folder in errors.
 */
export function savedColouriser(
  engine: Engine,
  where: string,
  files: { config: unknown; weights: Uint8Array; bins: unknown },
): SavedColouriser {
  const saved = colouriserConfig(where, files.config);
  if (saved.method === 'lab-classes' && !files.bins)
    throw new AelabError(`${where}: a lab-classes colouriser without its bins.json`);
  const bins = saved.method === 'lab-classes' ? binsFromJson(files.bins as Parameters<typeof binsFromJson>[0]) : null;
  const method = {
    ...colourMethod(saved.method, PART1_SHAPE, engine, bins, saved.temperature),
    architecture: saved.architecture,
  };
  const model = describedAutoencoder(engine, saved.architecture, 0);
  const name = `${where}/model.safetensors`;
  try {
    applyTensors(engine, model.namedParameters(), decodeSafetensors(files.weights, name), name);
  } catch (error) {
    model.parameters().forEach((parameter) => parameter.dispose());
    throw error;
  }
  return { model, method };
}
