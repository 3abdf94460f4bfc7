// aelab colourise: Part 3, colourisation (experiments/colourise/), and colourising a user's own
// pictures with a trained model.
import process from 'node:process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  checkTrainingOptions,
  givenOptions,
  parseOptions,
  TRAINING_OPTIONS,
  tuningOf,
  UsageError,
} from './arguments.ts';
import { ProgressLine } from './progress.ts';
import { AelabError } from '../errors.ts';
import { readJsonFile, writeFileAtomic } from '../files.ts';
import { toFloat } from '../data/image-set.ts';
import { loadPngFiles } from '../data/png-folder.ts';
import { createEngine } from '../kernels/registry.ts';
import { imageGridPng, planarPng } from '../experiments/png-images.ts';
import { METHODS, RUN_NAMES, type MethodName, type RunName } from '../experiments/colourise/methods.ts';
import { runColourise } from '../experiments/colourise/run.ts';
import { colouriseImages, colouriserConfig, savedColouriser } from '../experiments/colourise/colourise-pictures.ts';
import { targetLines } from '../experiments/colourise/report.ts';

export const COLOURISE_USAGE = `aelab colourise --method ycbcr|difference|lab-classes|all [--data DIR] [--epochs 10] [--batch-size 32]
                [--sample 0.1] [--seed 1] [--out runs/colourise] [--resume] [--notebook] [--from-sweep DIR] [--tune | --no-tune]
  trains colourisers (gray in, colour out) and measures them on the test split against the gray
  image; writes OUT/<method>/ run folders and OUT/report.html
  --method M        ycbcr: Y in, Cb and Cr out; difference: R, G, B minus their mean out;
                    lab-classes: a distribution over ab colour bins, class-rebalanced (Zhang et al.);
                    all: the three and the notebook's two, as it wrote them
  --notebook        the notebook's version of ycbcr or difference: its conversion, a 1-filter
                    first conv, a ReLU output with binary cross-entropy
  --from-sweep DIR  the best architecture of a finished 'aelab sweep' instead of Part 1's
aelab colourise --model DIR --input FILE_OR_FOLDER.png --out DIR [--method M]
  colourises PNG pictures (colour ones are made gray first) with a trained method's folder
  (--method, if given, must be the folder's)
`;

const log = (line: string) => process.stderr.write(`${line}\n`);

/** The runs --method and --notebook ask for. */
export function requestedRuns(method: string | null, notebook: boolean): RunName[] {
  if (method === null) throw new UsageError('--method is required: ycbcr, difference, lab-classes or all');
  if (method === 'all') {
    if (notebook)
      throw new UsageError("--notebook picks the notebook's version of one method; --method all trains them already");
    return [...RUN_NAMES];
  }
  if (!(METHODS as readonly string[]).includes(method))
    throw new UsageError(`--method ${method}: no such colour method (ycbcr, difference, lab-classes or all)`);
  if (notebook && method === 'lab-classes')
    throw new UsageError('--notebook: the notebook had no lab-classes method (only ycbcr and difference)');
  return [notebook ? (`notebook-${method}` as RunName) : (method as MethodName)];
}

export async function colourise(argv: string[]): Promise<void> {
  if (argv.includes('--model')) return colouriseFiles(argv);
  const options = parseOptions(argv, {
    ...TRAINING_OPTIONS,
    method: { type: 'string' },
    out: { type: 'string', default: 'runs/colourise' },
    notebook: { type: 'boolean' },
    fromSweep: { type: 'string' },
  });
  checkTrainingOptions(options);
  const runs = requestedRuns(options.method, options.notebook);
  const progress = new ProgressLine();
  const config = {
    data: options.data,
    epochs: options.epochs,
    batchSize: options.batchSize,
    sample: options.sample,
    seed: options.seed,
    runs,
    fromSweep: options.fromSweep,
  };
  const result = await runColourise(options.out!, config, options.resume, {
    log,
    command: ['aelab colourise', ...argv].join(' '),
    onProgress: (_run, update) => progress.update(update),
    onEpochEnd: (_run, epochLog, epochs) => progress.epochEnd(epochLog, epochs),
    tuning: tuningOf(options),
    given: givenOptions(argv),
  });
  for (const line of targetLines(result)) log(line);
  log(`report: ${join(result.directory, 'report.html')}`);
}

function pngPaths(input: string): string[] {
  if (!existsSync(input)) throw new AelabError(`--input ${input}: no such file or folder`);
  if (statSync(input).isFile()) {
    if (!input.toLowerCase().endsWith('.png')) throw new AelabError(`--input ${input}: not a .png file`);
    return [input];
  }
  const files = readdirSync(input)
    .filter((name) => name.toLowerCase().endsWith('.png'))
    .sort();
  if (files.length === 0) throw new AelabError(`--input ${input}: no .png files in the folder`);
  return files.map((name) => join(input, name));
}

async function colouriseFiles(argv: string[]): Promise<void> {
  const options = parseOptions(argv, {
    model: { type: 'string' },
    input: { type: 'string' },
    out: { type: 'string' },
    batchSize: { type: 'integer', default: 32 },
    method: { type: 'string' },
    notebook: { type: 'boolean' },
  });
  for (const name of ['model', 'input', 'out'] as const)
    if (!options[name]) throw new UsageError(`--${name} is required`);
  const configPath = join(options.model!, 'config.json');
  if (!existsSync(configPath))
    throw new AelabError(
      `--model ${options.model}: no config.json (not a method folder of 'aelab colourise', such as runs/colourise/ycbcr)`,
    );
  const saved = colouriserConfig(`--model ${options.model}`, readJsonFile(configPath));
  if (options.method !== null) {
    const [asked] = requestedRuns(options.method, options.notebook);
    if (options.method === 'all' || asked !== saved.method)
      throw new AelabError(
        `--model ${options.model} holds a '${saved.method}' colouriser, not '${options.method === 'all' ? 'all' : asked}': leave out --method, or give the folder of that method`,
      );
  }
  const binsPath = join(options.model!, 'bins.json');
  const weightsPath = join(options.model!, 'model.safetensors');
  if (!existsSync(weightsPath))
    throw new AelabError(`--model ${options.model}: no model.safetensors (a colourisation that has not finished)`);
  const paths = pngPaths(options.input!);
  const images = loadPngFiles(paths, 3);
  if (images.height % 4 !== 0 || images.width % 4 !== 0)
    throw new AelabError(
      `--input ${options.input}: the pictures are ${images.height}x${images.width}; the colourisers need sides that are multiples of 4`,
    );
  const engine = await createEngine();
  const { model, method } = savedColouriser(engine, `--model ${options.model}`, {
    config: saved,
    weights: new Uint8Array(readFileSync(weightsPath)),
    bins: existsSync(binsPath) ? readJsonFile(binsPath) : null,
  });
  const everyImage = Array.from({ length: images.count }, (_, i) => i);
  const rgb = { data: toFloat(images, everyImage), count: images.count, height: images.height, width: images.width };
  const colourised = await colouriseImages(engine, model, method, rgb, options.batchSize);
  mkdirSync(options.out!, { recursive: true });
  const plane = images.height * images.width;
  paths.forEach((path, i) =>
    writeFileAtomic(
      join(options.out!, basename(path)),
      planarPng(colourised.subarray(i * 3 * plane, (i + 1) * 3 * plane), 3, images.height, images.width),
    ),
  );
  const gray = method.gray(rgb);
  const grayRgb = new Float32Array(colourised.length);
  for (let n = 0; n < images.count; n++)
    for (let c = 0; c < 3; c++) grayRgb.set(gray.subarray(n * plane, (n + 1) * plane), (3 * n + c) * plane);
  writeFileAtomic(
    join(options.out!, 'gray-and-colourised.png'),
    imageGridPng([grayRgb, colourised], images.count, 3, images.height, images.width),
  );
  log(
    `wrote ${images.count} colourised picture${images.count === 1 ? '' : 's'} into ${options.out} (and gray-and-colourised.png beside them)`,
  );
}
