// Breaks each backward kernel (and each reference backward) in turn, in one of the ways a
// real bug would (a flipped sign, a dropped term, a swapped index, a wrong tie rule), runs
// the test suite, and requires it to fail. Every file is restored afterwards. The mutations of
// an op live beside it, in *mutations.json.
//   node scripts/mutation-check.mjs            all mutations
//   node scripts/mutation-check.mjs conv2d     those whose name contains 'conv2d'
//   node scripts/mutation-check.mjs softmax 'relu backward'   those whose name contains either
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';

/**
 * Every mutation, from the *mutations.json files beside the ops they break (conv2d's in its
 * folder, relu's in relu.mutations.json): [{ name, file, from, to }], `file` relative to the list.
 */
function mutationLists(folder) {
  return readdirSync(folder).flatMap((entry) => {
    const path = join(folder, entry);
    if (statSync(path).isDirectory()) return mutationLists(path);
    if (!entry.endsWith('mutations.json')) return [];
    return JSON.parse(readFileSync(path, 'utf8')).map((mutation) => ({ ...mutation, file: join(dirname(path), mutation.file) }));
  });
}
const mutations = mutationLists('src');

/** The suites that exercise kernels (the command-line and resume suites add minutes, not coverage of kernels). */
const KERNEL_SUITES = ['test/ops.test.ts', 'test/tie-rules.test.ts', 'test/tuning.test.ts', 'test/autograd.test.ts', 'test/optimisers.test.ts', 'test/autoencoder-gradients.test.ts', 'test/training.test.ts'];

const filters = process.argv.length > 2 ? process.argv.slice(2) : [''];
const selected = mutations.filter(({ name }) => filters.some((filter) => name.includes(filter)));
const survivors = [];
for (const { name, file, from, to } of selected) {
  const original = readFileSync(file, 'utf8');
  const occurrences = original.split(from).length - 1;
  if (occurrences !== 1) {
    console.error(`mutation '${name}': expected exactly one '${from}' in ${file}, found ${occurrences}`);
    process.exit(2);
  }
  writeFileSync(file, original.replace(from, to));
  try {
    spawnSync('node', ['scripts/embed-wgsl.mjs'], { stdio: 'inherit' });
    const run = spawnSync('npx', ['vitest', 'run', '--reporter=dot', ...KERNEL_SUITES], { encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
    const failed = (run.stdout.match(/Tests\s+(\d+) failed/) ?? [])[1];
    if (run.status === 0) survivors.push(name);
    console.log(`${run.status === 0 ? 'SURVIVED' : 'caught  '}  ${name}${failed ? ` (${failed} tests failed)` : ''}`);
  } finally {
    writeFileSync(file, original);
  }
}
spawnSync('node', ['scripts/embed-wgsl.mjs'], { stdio: 'inherit' });
console.log(`\n${selected.length - survivors.length} of ${selected.length} mutations caught`);
if (survivors.length > 0) {
  console.log(`survived: ${survivors.join('; ')}`);
  process.exit(1);
}
