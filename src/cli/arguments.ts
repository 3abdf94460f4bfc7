// A small --flag parser: every option is declared with its type and default, unknown or
// malformed options are usage errors (exit status 2).
import { AelabError } from '../errors.ts';

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

/** The options every training command takes (autoencoder, sweep), with the notebook's defaults. */
export const TRAINING_OPTIONS = {
  data: { type: 'string' },
  epochs: { type: 'integer', default: 10 },
  batchSize: { type: 'integer', default: 32 },
  sample: { type: 'number', default: 0.1 },
  seed: { type: 'integer', default: 1 },
  resume: { type: 'boolean' },
  tune: { type: 'boolean' },
} as const;

/** Refuses training options no run can use. */
export function checkTrainingOptions(options: { epochs: number; batchSize: number; sample: number }): void {
  if (options.epochs < 1) throw new UsageError('--epochs must be at least 1');
  if (options.batchSize < 1) throw new UsageError('--batch-size must be at least 1');
  if (!(options.sample > 0 && options.sample <= 1)) throw new UsageError('--sample must be in (0, 1]');
}
