// Part 3 in the page: a colouriser trained on the loaded images with the command line's
// method and training (Part 1's shape, RMSprop, fit), or one read from a model folder that
// 'aelab colourise' wrote; and a picture of any size colourised by it.
import type { Engine } from '../backend/engine.ts';
import type { Tensor } from '../backend/tensor.ts';
import type { Split } from '../data/split.ts';
import { AelabError } from '../errors.ts';
import { RMSprop } from '../nn/optimisers.ts';
import { fit, type EpochLog, type Progress } from '../nn/training.ts';
import type { Autoencoder } from '../nn/sequential.ts';
import { describedAutoencoder } from '../experiments/configurable-autoencoder.ts';
import {
  colourMethod,
  grayBaseline,
  PART1_SHAPE,
  type ColourMethod,
  type Planes,
} from '../experiments/colourise/methods.ts';
import { colouriseFullResolution, methodData, savedColouriser } from '../experiments/colourise/colourise-pictures.ts';
import { psnrs } from '../experiments/colourise/metrics.ts';

/** The methods the page trains: the two that need no bins of the training images. */
export const PAGE_METHODS = ['ycbcr', 'difference'] as const;
export type PageMethod = (typeof PAGE_METHODS)[number];

export interface Colouriser {
  readonly engine: Engine;
  readonly model: Autoencoder<Tensor>;
  readonly method: ColourMethod;
  /** Where it came from, for the page to say. */
  readonly origin: string;
}

export interface ColouriserTraining {
  readonly epochs: number;
  readonly batchSize: number;
  readonly seed: number;
  /** Awaited before each step: the page yields to the browser here. */
  readonly beforeStep: () => Promise<void>;
  readonly onProgress: (progress: Progress) => void;
  readonly onEpoch: (log: EpochLog) => void;
}

/** Trains a colouriser of `name` on the split's training images (validated on its validation images). */
export async function trainColouriser(
  engine: Engine,
  split: Split,
  name: PageMethod,
  training: ColouriserTraining,
): Promise<Colouriser> {
  const { train, validation } = split;
  if (train.channels !== 3)
    throw new AelabError(`colourising needs colour images to learn from: these have ${train.channels} channel`);
  if (train.height % 4 !== 0 || train.width % 4 !== 0)
    throw new AelabError(
      `the colourisers pool twice by 2: the training images' sides must be multiples of 4, not ${train.height}x${train.width}`,
    );
  const method = colourMethod(name, PART1_SHAPE, engine, null);
  const model = describedAutoencoder(engine, method.architecture, training.seed);
  const optimizer = RMSprop(engine, model.parameters());
  const targetShape = model.outputShape([1, 1, train.height, train.width]).slice(1);
  try {
    await fit(engine, model, optimizer, method.loss, methodData(train, method, targetShape), {
      epochs: training.epochs,
      batchSize: training.batchSize,
      seed: training.seed,
      validation: methodData(validation, method, targetShape),
      beforeStep: training.beforeStep,
      onProgress: training.onProgress,
      onEpochEnd: training.onEpoch,
    });
  } catch (error) {
    model.parameters().forEach((parameter) => parameter.dispose());
    throw error;
  } finally {
    optimizer.dispose();
  }
  return {
    engine,
    model,
    method,
    origin: `${name}, trained here for ${training.epochs} epoch${training.epochs === 1 ? '' : 's'} on ${train.count} images`,
  };
}

/** A method folder of 'aelab colourise' (runs/colourise/ycbcr, say), its files picked in the page. */
export async function colouriserFromFolder(engine: Engine, files: readonly File[]): Promise<Colouriser> {
  const named = (name: string) => files.find((file) => file.name === name);
  const config = named('config.json');
  const weights = named('model.safetensors');
  const folder = (files[0]?.webkitRelativePath ?? '').split('/')[0] || 'the folder';
  if (!config || !weights)
    throw new AelabError(
      `${folder}: no ${config ? 'model.safetensors' : 'config.json'}; pick a method folder of 'aelab colourise' (such as runs/colourise/ycbcr)`,
    );
  const bins = named('bins.json');
  const json = async (file: File) => {
    try {
      return JSON.parse(await file.text()) as unknown;
    } catch {
      throw new AelabError(`${folder}/${file.name}: not JSON`);
    }
  };
  const { model, method } = savedColouriser(engine, folder, {
    config: await json(config),
    weights: new Uint8Array(await weights.arrayBuffer()),
    bins: bins ? await json(bins) : null,
  });
  return { engine, model, method, origin: `${method.name}, from ${folder}` };
}

export interface Colourised {
  /** RGB planes of the method's gray baseline (its gray plane with no colour) and of its colours. */
  readonly gray: Float32Array;
  readonly colours: Float32Array;
  /** PSNR against the original, of the colours and of the gray picture. */
  readonly psnr: { colours: number; gray: number };
}

/** `picture` (one RGB image of any size) colourised. */
export async function colourise(colouriser: Colouriser, picture: Planes): Promise<Colourised> {
  const { engine, model, method } = colouriser;
  // The page shows the picture at the size it decoded it (WORKING_SIDE at most): predicted at that size.
  const colours = await colouriseFullResolution(engine, model, method, picture, Infinity);
  // The method's own gray baseline: its gray plane with no colour, as the report measures it.
  const gray = grayBaseline(method, picture);
  const truth = { pixels: picture.data, count: 1, height: picture.height, width: picture.width };
  return {
    gray,
    colours,
    psnr: {
      colours: psnrs({ ...truth, pixels: colours }, truth).pooled,
      gray: psnrs({ ...truth, pixels: gray }, truth).pooled,
    },
  };
}

export function disposeColouriser(colouriser: Colouriser | null): void {
  colouriser?.model.parameters().forEach((parameter) => parameter.dispose());
}
