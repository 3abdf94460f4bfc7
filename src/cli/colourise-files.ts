// aelab colourise --model DIR --input PICTURES --out DIR|FILE: a trained colouriser on the
// pictures people have (PNG or JPEG, any size, upright as their EXIF says), each colourised at
// its full resolution (experiments/colourise/colourise-pictures.ts) and written as PNG or JPEG.
// A picture that cannot be read is named in one line and the others are still done.
import process from 'node:process';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseOptions, UsageError } from './arguments.ts';
import { eachPicture, outputIsOnePicture, picturePaths } from './picture-paths.ts';
import { AelabError } from '../errors.ts';
import { readFileBytes, readJsonFile, writeFileAtomic } from '../files.ts';
import { createEngine } from '../kernels/registry.ts';
import { pictureFile } from '../experiments/png-images.ts';
import type { RunName } from '../experiments/colourise/methods.ts';
import {
  colouriseFullResolution,
  colouriserConfig,
  DEFAULT_WORKING_SIZE,
  savedColouriser,
} from '../experiments/colourise/colourise-pictures.ts';

const log = (line: string) => process.stderr.write(`${line}\n`);
/** `requested(method, notebook)`: the run --method names (colourise.ts's requestedRuns). */
export async function colouriseFiles(
  argv: string[],
  requested: (method: string, notebook: boolean) => RunName[],
): Promise<void> {
  const options = parseOptions(argv, {
    model: { type: 'string' },
    input: { type: 'string' },
    out: { type: 'string' },
    method: { type: 'string' },
    notebook: { type: 'boolean' },
    workingSize: { type: 'integer', default: DEFAULT_WORKING_SIZE },
  });
  for (const name of ['model', 'input', 'out'] as const)
    if (!options[name]) throw new UsageError(`--${name} is required`);
  if (options.workingSize < 8 || options.workingSize > 4096)
    throw new UsageError(`--working-size ${options.workingSize}: from 8 to 4096 pixels`);
  const folder = options.model!;
  const configPath = join(folder, 'config.json');
  if (!existsSync(configPath))
    throw new AelabError(
      `--model ${folder}: no config.json (not a method folder of 'aelab colourise', such as runs/colourise/ycbcr)`,
    );
  const saved = colouriserConfig(`--model ${folder}`, readJsonFile(configPath));
  if (options.method !== null) {
    const [asked] = requested(options.method, options.notebook);
    if (options.method === 'all' || asked !== saved.method)
      throw new AelabError(
        `--model ${folder} holds a '${saved.method}' colouriser, not '${options.method === 'all' ? 'all' : asked}': leave out --method, or give the folder of that method`,
      );
  }
  const weightsPath = join(folder, 'model.safetensors');
  if (!existsSync(weightsPath))
    throw new AelabError(`--model ${folder}: no model.safetensors (a colourisation that has not finished)`);
  const paths = picturePaths(options.input!);
  const single = outputIsOnePicture(options.out!, paths.length);
  const engine = await createEngine();
  const binsPath = join(folder, 'bins.json');
  const { model, method } = savedColouriser(engine, `--model ${folder}`, {
    config: saved,
    weights: readFileBytes(weightsPath),
    bins: existsSync(binsPath) ? readJsonFile(binsPath) : null,
  });
  if (!single) mkdirSync(options.out!, { recursive: true });
  const done = await eachPicture(paths, log, async (picture, path) => {
    const { height, width } = picture;
    const rgb = { data: Float32Array.from(picture.pixels, (value) => value / 255), count: 1, height, width };
    const colours = await colouriseFullResolution(engine, model, method, rgb, options.workingSize);
    const target = single ? options.out! : join(options.out!, basename(path));
    writeFileAtomic(target, pictureFile(colours, 3, height, width, target));
    log(`${path}: ${width}x${height}, colourised into ${target}`);
  });
  log(
    `wrote ${done} colourised picture${done === 1 ? '' : 's'} by ${method.name} (working size ${options.workingSize})`,
  );
  if (done < paths.length)
    throw new AelabError(`${paths.length - done} of ${paths.length} pictures could not be read (named above)`);
}
