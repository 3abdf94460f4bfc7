// Part 2's grid: the notebook's 36 configurations, or the user's own lists (--grid FILE.json,
// under the notebook's names), numbered as the notebook numbers them, and split into shards
// for job arrays (Slurm, Kubernetes Indexed Jobs).
import { AelabError } from '../errors.ts';
import {
  architectureName,
  latentSize,
  notebookLatentSize,
  type ArchitectureConfig,
  type OutputKind,
} from './configurable-autoencoder.ts';

export class GridError extends AelabError {
  override name = 'GridError';
}

/** The lists the grid multiplies, under the notebook's names, and the settings every trial shares. */
export interface Grid {
  readonly fewer_layers: readonly boolean[];
  readonly channel_factor: readonly number[];
  readonly kernel_size: readonly number[];
  readonly compression_factor: readonly number[];
  readonly input_layers: number;
  readonly output_layers: number;
  readonly output: OutputKind;
  readonly loss: 'binary_crossentropy';
}

export const NOTEBOOK_GRID: Grid = {
  fewer_layers: [true, false],
  channel_factor: [2, 4, 8],
  kernel_size: [3, 5],
  compression_factor: [1, 2, 4],
  input_layers: 3,
  output_layers: 3,
  output: 'sigmoid',
  loss: 'binary_crossentropy',
};

const LIST_KEYS = ['fewer_layers', 'channel_factor', 'kernel_size', 'compression_factor'] as const;
const SETTING_KEYS = ['input_layers', 'output_layers', 'output', 'loss'] as const;

export interface Trial {
  /** 1-based, in the notebook's order: fewer_layers outermost, then channel_factor, kernel_size, compression. */
  readonly number: number;
  /** The trial's folder under out/trials: '07-fewer-c4-k3-x1'. */
  readonly name: string;
  readonly architecture: ArchitectureConfig;
  readonly latentSize: number;
  readonly notebookLatentSize: number;
}

const positiveIntegers = (key: string, values: unknown[], most: number, what: string): number[] =>
  values.map((value) => {
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 1)
      throw new GridError(`grid: ${key} must hold integers >= 1, got ${JSON.stringify(value)}`);
    if (value > most)
      throw new GridError(`grid: ${key} ${value} is larger than ${what} (${most}), which the model cannot use`);
    return value;
  });

/**
 * The grid of a --grid file's JSON: any subset of the notebook's keys, each list replacing the
 * notebook's; a missing key keeps the notebook's list. Refuses an unknown key, an empty list or
 * a value the model cannot use, naming it, before anything is trained.
 */
export function parseGrid(json: unknown, imageSize = 32, source = '--grid'): Grid {
  if (json === null || typeof json !== 'object' || Array.isArray(json))
    throw new GridError(`${source}: expected a JSON object of lists, e.g. {"kernel_size": [3, 5]}`);
  const entries = json as Record<string, unknown>;
  for (const key of Object.keys(entries)) {
    if (!(LIST_KEYS as readonly string[]).includes(key) && !(SETTING_KEYS as readonly string[]).includes(key)) {
      throw new GridError(
        `${source}: unknown key '${key}' (the keys are ${[...LIST_KEYS, ...SETTING_KEYS].join(', ')})`,
      );
    }
  }
  const list = (key: (typeof LIST_KEYS)[number]): unknown[] | undefined => {
    const value = entries[key];
    if (value === undefined) return undefined;
    if (!Array.isArray(value)) throw new GridError(`${source}: ${key} must be a list, got ${JSON.stringify(value)}`);
    if (value.length === 0)
      throw new GridError(`${source}: ${key} is an empty list: a grid needs at least one value per key`);
    if (new Set(value.map((item) => JSON.stringify(item))).size !== value.length)
      throw new GridError(`${source}: ${key} lists a value twice`);
    return value;
  };
  const fewer = list('fewer_layers');
  if (fewer?.some((value) => typeof value !== 'boolean'))
    throw new GridError(`${source}: fewer_layers must hold true or false, got ${JSON.stringify(fewer)}`);
  const setting = (key: 'input_layers' | 'output_layers'): number => {
    const value = entries[key] ?? NOTEBOOK_GRID[key];
    return positiveIntegers(key, [value], 4096, 'any sensible channel count')[0]!;
  };
  const output = entries['output'] ?? NOTEBOOK_GRID.output;
  if (output !== 'sigmoid' && output !== 'relu')
    throw new GridError(`${source}: output must be "sigmoid" or "relu", got ${JSON.stringify(output)}`);
  const loss = entries['loss'] ?? NOTEBOOK_GRID.loss;
  if (loss !== 'binary_crossentropy')
    throw new GridError(`${source}: loss must be "binary_crossentropy" (the notebook's), got ${JSON.stringify(loss)}`);
  return {
    fewer_layers: (fewer as boolean[] | undefined) ?? NOTEBOOK_GRID.fewer_layers,
    channel_factor: positiveIntegers(
      'channel_factor',
      list('channel_factor') ?? [...NOTEBOOK_GRID.channel_factor],
      1024,
      'any sensible channel factor',
    ),
    kernel_size: positiveIntegers(
      'kernel_size',
      list('kernel_size') ?? [...NOTEBOOK_GRID.kernel_size],
      imageSize,
      `the ${imageSize}x${imageSize} image`,
    ),
    compression_factor: positiveIntegers(
      'compression_factor',
      list('compression_factor') ?? [...NOTEBOOK_GRID.compression_factor],
      imageSize,
      `the ${imageSize}x${imageSize} image`,
    ),
    input_layers: setting('input_layers'),
    output_layers: setting('output_layers'),
    output,
    loss,
  };
}

/** Every trial of the grid in the notebook's order, numbered from 1. */
export function gridTrials(grid: Grid, imageSize = 32): Trial[] {
  const trials: Trial[] = [];
  for (const fewerLayers of grid.fewer_layers)
    for (const channelFactor of grid.channel_factor)
      for (const kernelSize of grid.kernel_size)
        for (const compression of grid.compression_factor) {
          const architecture: ArchitectureConfig = {
            fewerLayers,
            channelFactor,
            kernelSize,
            compression,
            inputLayers: grid.input_layers,
            outputLayers: grid.output_layers,
            output: grid.output,
          };
          const number = trials.length + 1;
          trials.push({
            number,
            name: '', // set below, once the count (and so the number's width) is known
            architecture,
            latentSize: latentSize(architecture, imageSize),
            notebookLatentSize: notebookLatentSize(architecture, imageSize),
          });
        }
  for (const trial of trials) {
    const side = outputSide(trial.architecture, imageSize);
    if (side !== imageSize) {
      const { compression, fewerLayers } = trial.architecture;
      throw new GridError(
        `grid: compression_factor ${compression}${fewerLayers ? '' : ' with fewer_layers false'} ends the decoder at ${side}x${side}, not the ${imageSize}x${imageSize} input: each pool of ${compression} must divide the image evenly`,
      );
    }
  }
  const width = Math.max(2, String(trials.length).length);
  return trials.map((trial) => ({
    ...trial,
    name: `${String(trial.number).padStart(width, '0')}-${architectureName(trial.architecture)}`,
  }));
}

/** The decoder's output side by Keras' rules: a 'same' pool of c takes n to ceil(n / c), an upsampling back to c times that. */
function outputSide(architecture: ArchitectureConfig, imageSize: number): number {
  let side = imageSize;
  const pools = architecture.fewerLayers ? 1 : 2;
  for (let i = 0; i < pools; i++) side = Math.ceil(side / architecture.compression);
  return side * architecture.compression ** pools;
}

/** Which shard of how many this process runs: trials whose 0-based index is `index` mod `count`. */
export interface Shard {
  readonly index: number;
  readonly count: number;
  /** Where it came from, for the log: '--shard 1/3', 'SLURM_ARRAY_TASK_ID=4', ... */
  readonly source: string;
}

/**
 * The shard from --shard I/N, else from a job array's own variables: Slurm's
 * SLURM_ARRAY_TASK_ID with SLURM_ARRAY_TASK_COUNT (or _MIN and _MAX), or a Kubernetes Indexed
 * Job's JOB_COMPLETION_INDEX with the count from --shard-count or AELAB_SHARD_COUNT. None: the
 * whole grid.
 */
export function resolveShard(
  option: string | undefined,
  shardCount: number | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Shard {
  const integer = (text: string | undefined, what: string): number => {
    if (text === undefined || !/^\d+$/.test(text.trim()))
      throw new GridError(`${what} must be a whole number, got ${JSON.stringify(text)}`);
    return Number(text);
  };
  const check = (shard: Shard): Shard => {
    if (shard.count < 1 || shard.index >= shard.count)
      throw new GridError(
        `${shard.source}: shard ${shard.index} of ${shard.count} does not exist (shards are numbered 0 to count - 1)`,
      );
    return shard;
  };
  if (option !== undefined) {
    const match = option.match(/^(\d+)\/(\d+)$/);
    if (!match) throw new GridError(`--shard must be I/N (shard I of N, from 0), got '${option}'`);
    return check({ index: Number(match[1]), count: Number(match[2]), source: `--shard ${option}` });
  }
  if (env['SLURM_ARRAY_TASK_ID'] !== undefined) {
    const id = integer(env['SLURM_ARRAY_TASK_ID'], 'SLURM_ARRAY_TASK_ID');
    const min =
      env['SLURM_ARRAY_TASK_MIN'] !== undefined ? integer(env['SLURM_ARRAY_TASK_MIN'], 'SLURM_ARRAY_TASK_MIN') : 0;
    const count =
      env['SLURM_ARRAY_TASK_COUNT'] !== undefined
        ? integer(env['SLURM_ARRAY_TASK_COUNT'], 'SLURM_ARRAY_TASK_COUNT')
        : env['SLURM_ARRAY_TASK_MAX'] !== undefined
          ? integer(env['SLURM_ARRAY_TASK_MAX'], 'SLURM_ARRAY_TASK_MAX') - min + 1
          : NaN;
    if (Number.isNaN(count))
      throw new GridError(
        'SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX is: cannot tell how many shards there are',
      );
    return check({ index: id - min, count, source: `SLURM_ARRAY_TASK_ID=${id}` });
  }
  if (env['JOB_COMPLETION_INDEX'] !== undefined) {
    const index = integer(env['JOB_COMPLETION_INDEX'], 'JOB_COMPLETION_INDEX');
    const count =
      shardCount ??
      (env['AELAB_SHARD_COUNT'] !== undefined ? integer(env['AELAB_SHARD_COUNT'], 'AELAB_SHARD_COUNT') : NaN);
    if (Number.isNaN(count))
      throw new GridError(
        "JOB_COMPLETION_INDEX is set: give the number of shards with --shard-count N or AELAB_SHARD_COUNT (the Job's completions)",
      );
    return check({ index, count, source: `JOB_COMPLETION_INDEX=${index}` });
  }
  return { index: 0, count: 1, source: 'the whole grid' };
}

export function shardTrials(trials: readonly Trial[], shard: Shard): Trial[] {
  return trials.filter((_, i) => i % shard.count === shard.index);
}
