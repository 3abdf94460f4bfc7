// Runs a TypeScript entry point under Node: bundles it with esbuild (the .wgsl kernels are
// already embedded in src/kernels/wgsl.generated.ts) and imports the bundle in this process.
//   node scripts/run-ts.mjs bench/kernels.ts [arguments...]
import { build } from 'esbuild';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { execFileSync } from 'node:child_process';

const [entry, ...rest] = process.argv.slice(2);
if (!entry) {
  console.error('usage: node scripts/run-ts.mjs FILE.ts [arguments...]');
  process.exit(2);
}
const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
execFileSync(process.execPath, [resolve(root, 'scripts', 'embed-wgsl.mjs')]);
const outfile = resolve(root, '.cache', 'run', basename(entry).replace(/\.ts$/, '.mjs'));
await build({
  entryPoints: [entry],
  outfile,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  sourcemap: 'inline',
  // Packages load from node_modules as they are; only the project's TypeScript is bundled.
  packages: 'external',
  logLevel: 'warning',
});
process.argv = [process.argv[0], outfile, ...rest];
await import(pathToFileURL(outfile).href);
