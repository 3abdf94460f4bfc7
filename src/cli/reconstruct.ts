// aelab reconstruct: a trained autoencoder (a run folder of 'aelab autoencoder', or of
// 'aelab import-keras') on the test images of a data set, or on a user's own pictures.
import process from 'node:process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { AelabError } from '../errors.ts';
import { readJsonFile, writeFileAtomic } from '../files.ts';
import { DataError } from '../data/image-set.ts';
import { decodePictureFile, type Picture } from '../data/picture-files.ts';
import { autoencoderData } from '../data/image-set.ts';
import { notebookSplit } from '../data/split.ts';
import { createEngine } from '../kernels/registry.ts';
import type { Engine } from '../backend/engine.ts';
import { noGrad } from '../nn/autograd.ts';
import { sideMultiple } from '../nn/layer-model.ts';
import { predict } from '../nn/training.ts';
import { ShapeError } from '../errors.ts';
import { autoencoderFor, inputChannels, type ModelDescription } from '../experiments/configurable-autoencoder.ts';
import { loadDataSource } from '../experiments/data-source.ts';
import { loadTensors } from '../experiments/run-directory.ts';
import { imageGridPng, pictureFile } from '../experiments/png-images.ts';
import { parseOptions, UsageError } from './arguments.ts';
import { PICTURE_NAME, picturePaths } from './picture-paths.ts';

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

/** A picture's planes as the model takes them: RGB on [0, 1], or its BT.601 luma for a 1-channel model. */
function modelInput(picture: Picture, channels: number): Float32Array {
  const plane = picture.height * picture.width;
  const rgb = Float32Array.from(picture.pixels, (value) => value / 255);
  if (channels === 3) return rgb;
  const gray = new Float32Array(plane);
  for (let p = 0; p < plane; p++) gray[p] = 0.299 * rgb[p]! + 0.587 * rgb[plane + p]! + 0.114 * rgb[2 * plane + p]!;
  return gray;
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
  const single = PICTURE_NAME.test(out) && paths.length === 1;
  if (!single) mkdirSync(out, { recursive: true });
  let done = 0;
  for (const path of paths) {
    try {
      const picture = await decodePictureFile(new Uint8Array(readFileSync(path)), path);
      const { height, width } = picture;
      const [, , outHeight, outWidth] = model.outputShape([1, channels, height, width]);
      if (outHeight !== height || outWidth !== width)
        throw new DataError(
          `${path}: ${width}x${height}: this model gives back pictures whose sides are multiples of ${multiple} (it pools by ${multiple} in all); crop or resize it`,
        );
      const image = engine.tensor(modelInput(picture, channels), [1, channels, height, width]);
      let values: Float32Array;
      try {
        const output = engine.scope(() => noGrad(() => model.forward(image)));
        values = await output.read();
        output.dispose();
      } finally {
        image.dispose();
      }
      const target = single ? out : join(out, basename(path).replace(PICTURE_NAME, '.png'));
      writeFileAtomic(target, pictureFile(values, channels, height, width, target));
      done += 1;
      log(`${path}: ${width}x${height}, reconstructed into ${target}`);
    } catch (error) {
      if (!(error instanceof DataError || error instanceof ShapeError)) throw error;
      log(error.message);
    }
  }
  log(`wrote ${done} reconstruction${done === 1 ? '' : 's'}`);
  if (done < paths.length)
    throw new AelabError(`${paths.length - done} of ${paths.length} pictures could not be reconstructed (named above)`);
}
