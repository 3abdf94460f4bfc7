// The mutation lists beside the ops (*mutations.json, run by npm run test:mutations) stay
// applicable: each mutation's text occurs exactly once in its file, and changes it. A refactor
// that moves or rewrites the text fails here, in seconds, not in the hour-long mutation run.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { sourceFiles } from './support/layers.ts';

interface Mutation { name: string; file: string; from: string; to: string }

const lists = sourceFiles('.').filter((path) => path.endsWith('mutations.json'));
const mutations = lists.flatMap((list) =>
  (JSON.parse(readFileSync(list, 'utf8')) as Mutation[]).map((mutation) => ({ ...mutation, list, file: join(dirname(list), mutation.file) })),
);

describe('mutation lists', () => {
  it('every op with a backward pass has mutations beside it', () => {
    expect(mutations.length).toBeGreaterThanOrEqual(71);
    for (const op of ['relu', 'sigmoid', 'tanh', 'conv2d/', 'max-pool2d', 'upsample2d', 'sum', 'binary-cross-entropy', 'mean-squared-error', 'mean-absolute-error']) {
      expect(lists.some((list) => list.includes(op)), op).toBe(true);
    }
  });

  it.each(mutations.map((mutation) => [mutation.name, mutation] as const))('%s: its text occurs once, and the mutation changes it', (_, mutation) => {
    const text = readFileSync(mutation.file, 'utf8');
    expect(text.split(mutation.from).length - 1).toBe(1);
    expect(mutation.to).not.toBe(mutation.from);
  });
});
