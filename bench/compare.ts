// The engine's default setting for this adapter against the other one, under Node or Deno
// (settings-comparison.ts): its own loop unrolling, or its wait policy.
//   node scripts/run-ts.mjs bench/compare.ts waits|unroll [32,256]
//   deno run --unstable-webgpu -A bench/compare.ts waits|unroll [32,256]
// Prints a line per figure and writes bench/results/compare-<what>-<runtime>.json.
import process from 'node:process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { runtimeName } from '../src/backend/device.ts';
import { loadCifar10 } from '../src/data/cifar10.ts';
import { autoencoderData } from '../src/data/image-set.ts';
import { compare } from './settings-comparison.ts';
import { CIFAR10_DIRECTORY } from '../scripts/data-location.mjs';

const [what, batches = '32,256'] = process.argv.slice(2);
if (what !== 'unroll' && what !== 'waits') {
  console.error('usage: bench/compare.ts waits|unroll [BATCHES, e.g. 32,256]');
  process.exit(2);
}
const data = autoencoderData(loadCifar10(CIFAR10_DIRECTORY).train);
const records = await compare(data, batches.split(',').map(Number), what);
mkdirSync('bench/results', { recursive: true });
const file = `bench/results/compare-${what}-${runtimeName()}.json`;
writeFileSync(
  file,
  JSON.stringify(
    records.map((record) => ({ ...record, runtime: runtimeName(), date: new Date().toISOString().slice(0, 10) })),
    null,
    2,
  ) + '\n',
);
console.log(`wrote ${file}`);
process.exit(0);
