// A trained colouriser put to use, with no file system (the lab page runs it too): a method's
// training data, the RGB images it makes of gray planes, a picture of any size (padded to
// what the pools take and cropped back), and a model folder of 'aelab colourise' rebuilt
// from its config.json, model.safetensors and, for lab-classes, bins.json.
import type { Engine } from '../../backend/engine.ts';
import type { Tensor } from '../../backend/tensor.ts';
import { toFloat, type ImageSet } from '../../data/image-set.ts';
import { AelabError } from '../../errors.ts';
import { noGrad } from '../../nn/autograd.ts';
import { applyTensors, decodeSafetensors } from '../../nn/safetensors.ts';
import type { Autoencoder } from '../../nn/sequential.ts';
import type { TrainingData } from '../../nn/training.ts';
import { architectureAutoencoder, type ArchitectureConfig } from '../configurable-autoencoder.ts';
import { binsFromJson } from './ab-bins.ts';
import { colourMethod, PART1_SHAPE, RUN_NAMES, type ColourMethod, type Planes, type RunName } from './methods.ts';

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
    const output = engine.scope(() =>
      noGrad(() => {
        const raw = model.forward(engine.tensor(input, [size, 1, height, width]));
        return method.decode ? method.decode(raw) : raw;
      }),
    );
    try {
      result.set(method.reconstruct(input, await output.read(), size, height, width), start * 3 * plane);
    } finally {
      output.dispose();
    }
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

/** The top-left `height` x `width` of [count, 3, H, W] planes. */
export function crop(
  planes: Float32Array,
  count: number,
  from: { height: number; width: number },
  height: number,
  width: number,
): Float32Array {
  const result = new Float32Array(count * 3 * height * width);
  for (let k = 0; k < count * 3; k++)
    for (let y = 0; y < height; y++)
      result.set(
        planes.subarray((k * from.height + y) * from.width, (k * from.height + y) * from.width + width),
        (k * height + y) * width,
      );
  return result;
}

/** Pictures of any size colourised: padded to multiples of 4 (the colourisers pool twice by 2), then cropped back. */
export async function colourisePicture(
  engine: Engine,
  model: { forward(input: Tensor): Tensor },
  method: ColourMethod,
  rgb: Planes,
): Promise<Float32Array> {
  const padded = padToMultiple(rgb, 4);
  const colourised = await colouriseImages(engine, model, method, padded, 1);
  return crop(colourised, rgb.count, padded, rgb.height, rgb.width);
}

/** A colouriser's config.json: its method and architecture, or an error naming the kind of folder it is. */
export function colouriserConfig(
  where: string,
  config: unknown,
): { method: RunName; architecture: ArchitectureConfig } {
  const saved = (config ?? {}) as { method?: string; architecture?: ArchitectureConfig };
  if (!saved.method || !(RUN_NAMES as readonly string[]).includes(saved.method) || !saved.architecture)
    throw new AelabError(
      `${where}: a run folder of another kind (${saved.method ? `method '${saved.method}'` : "an autoencoder's, not a colouriser's"})`,
    );
  return { method: saved.method as RunName, architecture: saved.architecture };
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
    ...colourMethod(saved.method, PART1_SHAPE, engine, bins),
    architecture: saved.architecture,
  };
  const model = architectureAutoencoder(engine, saved.architecture, 0);
  const name = `${where}/model.safetensors`;
  try {
    applyTensors(engine, model.namedParameters(), decodeSafetensors(files.weights, name), name);
  } catch (error) {
    model.parameters().forEach((parameter) => parameter.dispose());
    throw error;
  }
  return { model, method };
}
