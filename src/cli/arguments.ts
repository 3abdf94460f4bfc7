// A small --flag parser: every option is declared with its type and default, unknown or
// malformed options are usage errors (exit status 2).
import { AelabError } from '../errors.ts';
import type { Tuning } from '../experiments/step-preparation.ts';

export class UsageError extends AelabError {
  override name = 'UsageError';
}

export type OptionSpec =
  | { readonly type: 'number' | 'integer' | 'string'; readonly default?: number | string | null }
  | { readonly type: 'boolean' };

export type Parsed<S extends Record<string, OptionSpec>> = {
  [K in keyof S]: S[K] extends { type: 'boolean' } ? boolean : S[K] extends { type: 'string' } ? string | null : number;
};

export function parseOptions<S extends Record<string, OptionSpec>>(argv: readonly string[], spec: S): Parsed<S> {
  const result: Record<string, unknown> = {};
  for (const [name, option] of Object.entries(spec))
    result[name] = option.type === 'boolean' ? false : (option.default ?? null);
  for (let i = 0; i < argv.length; i++) {
    const argument = argv[i]!;
    const match = /^--([a-z-]+)(?:=(.*))?$/.exec(argument);
    if (!match) throw new UsageError(`unexpected argument '${argument}'`);
    const name = match[1]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    const option = spec[name];
    if (!option) throw new UsageError(`unknown option --${match[1]}`);
    if (option.type === 'boolean') {
      if (match[2] !== undefined) throw new UsageError(`--${match[1]} takes no value`);
      result[name] = true;
      continue;
    }
    const value = match[2] ?? argv[++i];
    if (value === undefined) throw new UsageError(`--${match[1]} needs a value`);
    if (option.type === 'string') result[name] = value;
    else {
      const number = Number(value);
      if (value.trim() === '' || !Number.isFinite(number) || (option.type === 'integer' && !Number.isInteger(number))) {
        throw new UsageError(
          `--${match[1]} must be ${option.type === 'integer' ? 'an integer' : 'a number'}, got '${value}'`,
        );
      }
      result[name] = number;
    }
  }
  for (const [name, option] of Object.entries(spec)) {
    if (option.type !== 'boolean' && option.type !== 'string' && result[name] === null)
      throw new UsageError(`--${name} is required`);
  }
  return result as Parsed<S>;
}

/** The options `argv` gives, by their camelCase names (what a resumed run checks against its own). */
export function givenOptions(argv: readonly string[]): Set<string> {
  return new Set(
    argv.flatMap((argument) => {
      const match = /^--([a-z-]+)/.exec(argument);
      return match ? [match[1]!.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] : [];
    }),
  );
}

/** The options every training command takes (autoencoder, sweep, colourise), with the notebook's defaults. */
export const TRAINING_OPTIONS = {
  data: { type: 'string' },
  epochs: { type: 'integer', default: 10 },
  batchSize: { type: 'integer', default: 32 },
  sample: { type: 'number', default: 0.1 },
  seed: { type: 'integer', default: 1 },
  resume: { type: 'boolean' },
  tune: { type: 'boolean' },
  noTune: { type: 'boolean' },
} as const;

/** --tune, --no-tune or neither. */
export function tuningOf(options: { tune: boolean; noTune: boolean }): Tuning {
  if (options.tune && options.noTune) throw new UsageError('--tune and --no-tune contradict each other');
  return options.tune ? 'always' : options.noTune ? 'never' : 'auto';
}

/** The help of TRAINING_OPTIONS and --out, in the same words for every training command. */
export const TRAINING_HELP = `options of every training command (autoencoder, sweep, colourise):
  --data DIR        CIFAR-10 binary batches, Fashion-MNIST IDX files or a folder of PNGs;
                    without it CIFAR-10 is downloaded into ~/.cache/aelab
  --epochs N        epochs to train (default 10)
  --batch-size N    images per step (default 32)
  --sample F        fraction of all images to use, split 80/10/10 (default 0.1)
  --seed N          seeds the split, the shuffling and the initial weights (default 1)
  --out DIR         the run's folder (default runs/COMMAND)
  --resume          continue the run in --out from its last complete epoch, to its own
                    --epochs (or to --epochs N if given); other settings stay the run's own
  --tune            time the conv kernels' variants on this adapter first, however short
                    the training
  --no-tune         never time them: the kernels' heuristic variants run
                    (with neither, they are timed once per adapter and batch size when the
                    training takes longer than the timing, and kept in ~/.cache/aelab/tuning)
`;

/** Refuses training options no run can use. */
export function checkTrainingOptions(options: { epochs: number; batchSize: number; sample: number }): void {
  if (options.epochs < 1) throw new UsageError('--epochs must be at least 1');
  if (options.batchSize < 1) throw new UsageError('--batch-size must be at least 1');
  if (!(options.sample > 0 && options.sample <= 1)) throw new UsageError('--sample must be in (0, 1]');
}
