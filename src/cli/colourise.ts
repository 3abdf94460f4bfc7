// aelab colourise: Part 3, colourisation (experiments/colourise/), and colourising a user's own
// pictures with a trained model.
import process from 'node:process';
import { join } from 'node:path';
import {
  checkTrainingOptions,
  givenOptions,
  parseOptions,
  TRAINING_OPTIONS,
  tuningOf,
  UsageError,
} from './arguments.ts';
import { ProgressLine } from './progress.ts';
import { METHODS, RUN_NAMES, type MethodName, type RunName } from '../experiments/colourise/methods.ts';
import { runColourise } from '../experiments/colourise/run.ts';
import { TEMPERATURE } from '../experiments/colourise/ab-bins.ts';
import { colouriseFiles } from './colourise-files.ts';
import { targetLines } from '../experiments/colourise/report.ts';

export const COLOURISE_USAGE = `aelab colourise --method ycbcr|difference|lab-classes|all [--data DIR] [--epochs 10] [--batch-size 32]
                [--sample 0.1] [--seed 1] [--out runs/colourise] [--resume] [--notebook] [--from-sweep DIR] [--skip | --compare-skips]
                [--tune | --no-tune]
  trains colourisers (gray in, colour out) and measures them on the test split against the gray
  image; writes OUT/<method>/ run folders and OUT/report.html
  --method M        ycbcr: Y in, Cb and Cr out; difference: R, G, B minus their mean out;
                    lab-classes: a distribution over ab colour bins, class-rebalanced (Zhang et al.);
                    all: the three and the notebook's two, as it wrote them
  --notebook        the notebook's version of ycbcr or difference: its conversion, a 1-filter
                    first conv, a ReLU output with binary cross-entropy
  --from-sweep DIR  the best architecture of a finished 'aelab sweep' instead of Part 1's
  --temperature T   lab-classes' annealed mean (default 0.2; 1 is the mean, towards 0 the mode):
                    decoding only, so a finished run measured again with --resume may change it
  --skip            U-Net skip connections: each decoder conv after an upsampling also sees the
                    encoder's map of its resolution (joined over channels)
  --compare-skips   trains each method twice, without and with skips (OUT/<method>-skip/), and
                    reports them side by side
aelab colourise --model DIR --input FILE_OR_FOLDER --out DIR|FILE.png|FILE.jpg [--working-size 128] [--method M]
  colourises PNG and JPEG pictures of any size (colour ones are made gray first; EXIF
  orientation applied) with a trained method's folder, each at its full resolution: the
  colour is predicted at the working size (the longer side, in pixels) and laid over the
  picture's own gray; --out a folder keeps each picture's name and type (--method, if given,
  must be the folder's)
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
  if (argv.includes('--model')) return colouriseFiles(argv, requestedRuns);
  const options = parseOptions(argv, {
    ...TRAINING_OPTIONS,
    method: { type: 'string' },
    out: { type: 'string', default: 'runs/colourise' },
    notebook: { type: 'boolean' },
    fromSweep: { type: 'string' },
    skip: { type: 'boolean' },
    compareSkips: { type: 'boolean' },
    temperature: { type: 'number', default: TEMPERATURE },
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
    skip: options.compareSkips ? ('both' as const) : options.skip,
    temperature: options.temperature,
  };
  const result = await runColourise(options.out!, config, options.resume, {
    log,
    command: ['aelab colourise', ...argv].join(' '),
    onProgress: (_run, update) => progress.update(update),
    onEpochEnd: (_run, epochLog, epochs) => progress.epochEnd(epochLog, epochs),
    tuning: tuningOf(options),
    // --compare-skips sets the skip setting, which a resumed run keeps as it started.
    given: new Set([...givenOptions(argv), ...(options.compareSkips ? ['skip'] : [])]),
  });
  for (const line of targetLines(result)) log(line);
  log(`report: ${join(result.directory, 'report.html')}`);
}
