// aelab reconstruct: a trained autoencoder (a run folder of 'aelab autoencoder', or of
// 'aelab import-keras') on the test images of a data set, or on a user's own pictures.
import process from 'node:process';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AelabError, ShapeError } from '../errors.ts';
import { readJsonFile, writeFileAtomic } from '../files.ts';
import type { Shape } from '../shapes.ts';
import { autoencoderData, DataError } from '../data/image-set.ts';
import type { Picture } from '../data/picture-files.ts';
import { rgbToYcbcr } from '../data/colour.ts';
import { notebookSplit } from '../data/split.ts';
import { createEngine } from '../kernels/registry.ts';
import type { Engine } from '../backend/engine.ts';
import { sideMultiple } from '../nn/layer-model.ts';
import { predict, type TrainingData } from '../nn/training.ts';
import { autoencoderFor, inputChannels, type ModelDescription } from '../experiments/configurable-autoencoder.ts';
import { loadDataSource } from '../experiments/data-source.ts';
import { loadTensors } from '../experiments/run-directory.ts';
import { imageGridPng, pictureFile } from '../experiments/png-images.ts';
import { parseOptions, UsageError } from './arguments.ts';
import { eachPicture, outputIsOnePicture, PICTURE_NAME, picturePaths } from './picture-paths.ts';

export const RECONSTRUCT_USAGE = `aelab reconstruct --model DIR --data DIR --out FILE.png [--count 10]
aelab reconstruct --model DIR --input FILE_OR_FOLDER --out DIR
  --model DIR       a run folder written by 'aelab autoencoder' or 'aelab import-keras'
  --data DIR        the images (the model's test split of them is used)
  --out FILE.png    where to write originals beside reconstructions
  --input PICTURES  PNG and JPEG pictures (a file or a folder): one reconstruction each, written
                    into the folder --out as PNG (JPEG for a .jpg --out file); a picture of a size the model
                    cannot give back is named with the rule, and the others are still done
`;

const log = (line: string) => process.stderr.write(`${line}\n`);

interface SavedModel {
  readonly architecture?: ModelDescription;
  readonly sample: number;
  readonly seed: number;
}

export async function reconstruct(argv: string[]): Promise<void> {
  const options = parseOptions(argv, {
    model: { type: 'string' },
    data: { type: 'string' },
    input: { type: 'string' },
    out: { type: 'string' },
    count: { type: 'integer', default: 10 },
  });
  for (const name of ['model', 'out'] as const) if (!options[name]) throw new UsageError(`--${name} is required`);
  if (!options.data === !options.input) throw new UsageError('give --data DIR (test images) or --input PICTURES');
  if (options.count < 1) throw new UsageError(`--count must be at least 1, got ${options.count}`);
  const configPath = join(options.model!, 'config.json');
  if (!existsSync(configPath))
    throw new AelabError(
      `--model ${options.model}: no config.json (not a run folder of 'aelab autoencoder' or 'aelab import-keras')`,
    );
  const config = readJsonFile<SavedModel & { method?: string }>(configPath);
  if (config.method)
    throw new AelabError(
      `--model ${options.model}: a '${config.method}' colouriser, not an autoencoder: use 'aelab colourise --model'`,
    );
  const engine = await createEngine();
  if (options.input) return reconstructPictures(engine, config, options.model!, options.input, options.out!);
  const source = await loadDataSource(options.data, log);
  const { test } = notebookSplit(source.sets, config.sample, config.seed);
  const model = autoencoderFor(engine, config.architecture, config.seed, test.channels);
  loadTensors(engine, model.namedParameters(), join(options.model!, 'model.safetensors'));
  const count = Math.min(options.count, test.count);
  const indices = Array.from({ length: count }, (_, i) => i);
  const data = autoencoderData(test);
  const reconstructions = await predict(engine, model, data, indices);
  writeFileAtomic(
    options.out!,
    imageGridPng([data.batch(indices).inputs, reconstructions], count, test.channels, test.height, test.width),
  );
  log(`wrote ${options.out}: ${count} test images (left) and their reconstructions (right)`);
}

/** A picture as the model takes it: RGB on [0, 1], or its BT.601 luma for a 1-channel model. */
function pictureData(picture: Picture, channels: number): TrainingData {
  const plane = picture.height * picture.width;
  const rgb = Float32Array.from(picture.pixels, (value) => value / 255);
  const inputs =
    channels === 3
      ? rgb
      : Float32Array.from({ length: plane }, (_, p) => rgbToYcbcr(rgb[p]!, rgb[plane + p]!, rgb[2 * plane + p]!)[0]);
  const shape = [channels, picture.height, picture.width];
  return { count: 1, inputShape: shape, targetShape: shape, batch: () => ({ inputs, targets: null }) };
}

async function reconstructPictures(
  engine: Engine,
  config: SavedModel,
  folder: string,
  input: string,
  out: string,
): Promise<void> {
  const channels = config.architecture ? inputChannels(config.architecture) : 3;
  if (channels !== 1 && channels !== 3)
    throw new AelabError(`--model ${folder}: a model of ${channels}-channel images; pictures are RGB or gray`);
  const model = autoencoderFor(engine, config.architecture, config.seed, channels);
  loadTensors(engine, model.namedParameters(), join(folder, 'model.safetensors'));
  const multiple = sideMultiple(model, channels);
  const paths = picturePaths(input);
  const single = outputIsOnePicture(out, paths.length);
  if (!single) mkdirSync(out, { recursive: true });
  const done = await eachPicture(paths, log, async (picture, path) => {
    const { height, width } = picture;
    let outputShape: Shape;
    try {
      outputShape = model.outputShape([1, channels, height, width]);
    } catch (error) {
      if (!(error instanceof ShapeError)) throw error;
      throw new DataError(`${path}: ${width}x${height}: ${error.message}`);
    }
    if (outputShape[2] !== height || outputShape[3] !== width)
      throw new DataError(
        `${path}: ${width}x${height}: this model gives back pictures whose sides are multiples of ${multiple} (it pools by ${multiple} in all); crop or resize it`,
      );
    const values = await predict(engine, model, pictureData(picture, channels), [0]);
    const target = single ? out : join(out, basename(path).replace(PICTURE_NAME, '.png'));
    writeFileAtomic(target, pictureFile(values, channels, height, width, target));
    log(`${path}: ${width}x${height}, reconstructed into ${target}`);
  });
  log(`wrote ${done} reconstruction${done === 1 ? '' : 's'}`);
  if (done < paths.length)
    throw new AelabError(`${paths.length - done} of ${paths.length} pictures could not be reconstructed (named above)`);
}
