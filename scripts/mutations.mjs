// The mutation lists and what they must cover, shared by the runner (mutation-check.mjs) and
// its test (test/mutations.test.ts). A mutation breaks one backward kernel (or reference) the
// way a real bug would; the lists live beside the ops, in *mutations.json:
// [{ name, file, from, to }], `file` relative to the list.
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';

/** Every mutation under `folder`, with `file` made relative to the repository and `list` the file it came from. */
export function mutationLists(folder = 'src') {
  return readdirSync(folder).flatMap((entry) => {
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) return mutationLists(path);
    if (!entry.endsWith('mutations.json')) return [];
    return JSON.parse(readFileSync(path, 'utf8')).map((mutation) => ({
      ...mutation,
      list: path,
      file: join(dirname(path), mutation.file),
    }));
  });
}

/**
 * The tests that must catch a mutation of `list` named `mutationName`: the files to run, and a name filter for
 * them (vitest -t). An op's mutations are caught by its parity cases and tie rules; the conv's
 * also by its variants; an update rule's by the optimiser tests.
 */
export function testsFor(list, mutationName = '') {
  const name = basename(list) === 'mutations.json' ? basename(dirname(list)) : basename(list, '.mutations.json');
  const camel = name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
  if (['adam', 'rmsprop', 'sgd'].includes(name)) return { files: ['test/nn/optimisers.test.ts'], filter: null };
  // The tape and the optimiser meet in the reserved gradient homes: either breaks the other's tests.
  if (name === 'autograd' || name === 'optimisers')
    return {
      files: ['test/nn/autograd.test.ts', 'test/nn/optimisers.test.ts', 'test/nn/training.test.ts'],
      filter: null,
    };
  if (list.startsWith(join('src', 'backend')))
    return {
      files: ['test/kernels/ops.test.ts', 'test/backend/engine.test.ts', 'test/nn/autograd.test.ts'],
      filter: null,
    };
  // The row sums combine a conv's split weight and bias gradients (encodeSumRows): its cases run them.
  if (name === 'sum' && /^sum_rows/.test(mutationName))
    return { files: ['test/kernels/ops.test.ts'], filter: 'sum|conv2d' };
  if (name === 'conv2d')
    return {
      files: ['test/kernels/ops.test.ts', 'test/tuning/tuning.test.ts', 'test/kernels/tie-rules.test.ts'],
      filter: 'conv2d|variant',
    };
  // A list may hold several ops' mutations (sum.ts defines sum and mean): the op a mutation
  // names first is in the filter too.
  const op = /^[a-z]\w*/i.exec(mutationName)?.[0];
  const filter = camel === 'maxPool2d' ? 'maxPool2d|pool' : camel;
  return {
    files: ['test/kernels/ops.test.ts', 'test/kernels/tie-rules.test.ts'],
    filter: op && op !== camel ? `${filter}|${op}` : filter,
  };
}

/**
 * The backward entry points of every .wgsl file under `folder`: each `@compute` (or generated,
 * `// #each-quad`) function whose name says it computes a gradient, with its body and the
 * bodies of the functions of the same file it calls (where a mutation may also land).
 */
export function backwardEntryPoints(folder = 'src/kernels') {
  return wgslFiles(folder).flatMap((file) => {
    const text = readFileSync(file, 'utf8');
    const functions = new Map([...text.matchAll(/^fn (\w+)\(([\s\S]*?)^}/gm)].map((match) => [match[1], match[0]]));
    const entries = [...text.matchAll(/^(?:@compute[^\n]*|\/\/ #(?:each-quad|sum-quads)[^\n]*)\nfn (\w+)\(/gm)].map(
      (match) => match[1],
    );
    return entries
      .filter((name) => /backward|gradient/i.test(name))
      .map((name) => {
        const body = functions.get(name) ?? '';
        const called = [...functions.keys()].filter(
          (other) => other !== name && new RegExp(`\\b${other}\\(`).test(body),
        );
        return {
          file: relative('.', file),
          name,
          text: [body, ...called.map((other) => functions.get(other))].join('\n'),
        };
      });
  });
}

function wgslFiles(folder) {
  return readdirSync(folder).flatMap((entry) => {
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) return wgslFiles(path);
    return entry.endsWith('.wgsl') ? [path] : [];
  });
}
