// Builds the package into dist/: the library (dist/index.js, browser-safe), its Node entry
// (dist/node.js), the command line (dist/cli.js), the lab page that `aelab lab` serves
// (dist/lab/: index.html, lab.css and lab.js, the engine bundled for the browser) and the
// type declarations (dist/types).
// The .wgsl kernels are assembled into src first (embed-wgsl.mjs), then bundled in.
//   npm run build
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import {
  chmodSync,
  copyFileSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

const { version } = JSON.parse(readFileSync('package.json', 'utf8'));
execFileSync(process.execPath, ['scripts/embed-wgsl.mjs'], { stdio: 'inherit' });
rmSync('dist', { recursive: true, force: true });

const common = {
  bundle: true,
  format: 'esm',
  // The package's dependencies load from node_modules as they are; only aelab's own code is bundled.
  packages: 'external',
  sourcemap: true,
  logLevel: 'warning',
};
// One build with shared chunks: the library, its Node entry and the command line load the
// same module for each class, so a model built from 'aelab' trains on an engine from
// 'aelab/node' or from the command line (instanceof holds across them). dist/index.js and its
// chunks import nothing from node:*, which a test checks.
await build({
  ...common,
  entryPoints: { index: 'src/index.ts', node: 'src/node.ts', cli: 'src/cli/main.ts' },
  outdir: 'dist',
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  platform: 'node',
  target: 'node20',
  banner: { js: '#!/usr/bin/env node' }, // a hashbang is valid at the start of any module
});
chmodSync('dist/cli.js', 0o755);
// The lab page: its dependencies bundled in too (a browser has no node_modules).
await build({
  ...common,
  packages: undefined,
  entryPoints: { lab: 'src/lab/main.ts' },
  outdir: 'dist/lab',
  platform: 'browser',
  target: 'es2022',
  minify: true,
});
mkdirSync('dist/lab', { recursive: true });
for (const file of ['index.html', 'lab.css']) copyFileSync(`src/lab/page/${file}`, `dist/lab/${file}`);

// The declarations keep the sources' layout under dist/types; their relative imports end in .js
// there, as a consumer's TypeScript expects of a package.
execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.build.json'], { stdio: 'inherit' });
for (const file of declarationFiles('dist/types')) {
  writeFileSync(file, readFileSync(file, 'utf8').replace(/(from\s+'|import\(')(\.{1,2}\/[^']*)\.ts'/g, "$1$2.js'"));
}

function declarationFiles(folder) {
  return readdirSync(folder).flatMap((entry) => {
    const path = join(folder, entry);
    return statSync(path).isDirectory() ? declarationFiles(path) : path.endsWith('.d.ts') ? [path] : [];
  });
}
console.log(`build: dist/index.js, dist/node.js, dist/cli.js, dist/lab and dist/types (aelab ${version})`);
