// aelab sweep: Part 2, the architecture sweep (experiments/sweep.ts), and its merge.
import process from 'node:process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { checkTrainingOptions, parseOptions, TRAINING_OPTIONS, tuningOf, UsageError } from './arguments.ts';
import { runSweep } from '../experiments/sweep.ts';
import { mergeSweeps } from '../experiments/sweep-results.ts';
import { parseGrid, resolveShard, type Grid } from '../experiments/sweep-grid.ts';
import { AelabError } from '../errors.ts';

export const SWEEP_USAGE = `aelab sweep [--data DIR] [--epochs 10] [--batch-size 32] [--sample 0.1] [--seed 1] [--out runs/sweep]
            [--resume] [--shard I/N] [--shard-count N] [--concurrency 1] [--best-epochs 100]
            [--grid FILE.json] [--output sigmoid|relu] [--tune | --no-tune]
  trains the notebook's 36 autoencoders (fewer_layers x channel_factor 2/4/8 x kernel_size 3/5 x
  compression_factor 1/2/4), each a run folder under OUT/trials/, then the best one for
  --best-epochs more epochs (OUT/best), and writes OUT/results.csv, results.json, report.html
  --grid FILE.json  the lists to multiply, under the notebook's names, e.g. {"kernel_size": [3]};
                    a missing key keeps the notebook's list
  --output relu     the notebook's ReLU output layer (BCE on clipped values); default: a sigmoid
                    output with BCE taken from the logits, as Part 1
  (--resume continues unfinished trials from their last complete epoch and skips finished ones;
  --tune, --no-tune and the default apply to each trial's shapes)
  --shard I/N       run only the trials whose index is I mod N (from 0). Without it, a Slurm job
                    array's SLURM_ARRAY_TASK_ID (with _COUNT, or _MIN and _MAX) or a Kubernetes
                    Indexed Job's JOB_COMPLETION_INDEX (with --shard-count or AELAB_SHARD_COUNT)
                    choose the shard
  --concurrency K   train K trials at once, their steps interleaved on one device
aelab sweep merge DIR... [--out DIR]
  one report over the trials of several sweep folders (shards); trials found in none are
  listed as missing. Writes into --out (default: the first DIR)
`;

const log = (line: string) => process.stderr.write(`${line}\n`);

function readGrid(path: string | null, output: string | null): Grid {
  let json: Record<string, unknown> = {};
  if (path) {
    if (!existsSync(path) || !statSync(path).isFile()) throw new UsageError(`--grid ${path}: no such file`);
    try {
      json = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    } catch {
      throw new AelabError(`--grid ${path}: not valid JSON`);
    }
  }
  if (output !== null) json = { ...json, output };
  return parseGrid(json, 32, path ? `--grid ${path}` : '--output');
}

export async function sweep(argv: string[]): Promise<void> {
  if (argv[0] === 'merge') return merge(argv.slice(1));
  const options = parseOptions(argv, {
    ...TRAINING_OPTIONS,
    out: { type: 'string', default: 'runs/sweep' },
    shard: { type: 'string' },
    shardCount: { type: 'string' },
    concurrency: { type: 'integer', default: 1 },
    bestEpochs: { type: 'integer', default: 100 },
    grid: { type: 'string' },
    output: { type: 'string' },
  } as const);
  checkTrainingOptions(options);
  if (options.concurrency < 1) throw new UsageError('--concurrency must be at least 1');
  if (options.bestEpochs < 0) throw new UsageError('--best-epochs must be 0 or more');
  if (options.output !== null && options.output !== 'sigmoid' && options.output !== 'relu')
    throw new UsageError(`--output must be sigmoid or relu, got '${options.output}'`);
  const grid = readGrid(options.grid, options.output);
  if (options.shardCount !== null && !/^[1-9]\d*$/.test(options.shardCount))
    throw new UsageError(`--shard-count must be a whole number >= 1, got '${options.shardCount}'`);
  const shard = resolveShard(
    options.shard ?? undefined,
    options.shardCount === null ? undefined : Number(options.shardCount),
    process.env,
  );
  await runSweep(
    {
      data: options.data,
      epochs: options.epochs,
      batchSize: options.batchSize,
      sample: options.sample,
      seed: options.seed,
      grid,
      out: options.out!,
      resume: options.resume,
      shard,
      concurrency: options.concurrency,
      bestEpochs: options.bestEpochs,
      tuning: tuningOf(options),
      command: ['aelab sweep', ...argv].join(' '),
    },
    { log },
  );
}

function merge(argv: string[]): void {
  const folders: string[] = [];
  let out: string | null = null;
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i]!;
    if (argument === '--out') out = argv[++i] ?? null;
    else if (argument.startsWith('--out=')) out = argument.slice('--out='.length);
    else if (argument.startsWith('-')) throw new UsageError(`sweep merge: unknown option ${argument}`);
    else folders.push(argument);
  }
  if (folders.length === 0) throw new UsageError('sweep merge: name at least one sweep folder');
  const target = out ?? folders[0]!;
  const collected = mergeSweeps(folders, target, ['aelab sweep merge', ...argv].join(' '));
  log(
    `merged ${collected.rows.length} trials from ${folders.length} folder(s)${collected.missing.length ? `; ${collected.missing.length} missing: ${collected.missing.join(', ')}` : ''}`,
  );
  log(`report: ${target}/report.html`);
}
