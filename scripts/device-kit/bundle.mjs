// The GPU kit's JavaScript (scripts/device-kit.sh): the aelab command, the training and kernel
// benchmarks and the adapter probe, bundled by esbuild with every dependency but Dawn's native
// binding (and h5wasm, which only Keras import loads) into DIR/app, sharing one engine chunk;
// the webgpu package's JavaScript beside them, with its linux-x64 binary alone.
//   node scripts/device-kit/bundle.mjs DIR
import { build } from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

const [kit] = process.argv.slice(2);
if (!kit) {
  console.error('usage: node scripts/device-kit/bundle.mjs DIR');
  process.exit(2);
}
const app = join(kit, 'app');
await build({
  entryPoints: {
    aelab: 'src/cli/main.ts',
    'bench-train': 'bench/train.ts',
    'bench-kernels': 'bench/kernels.ts',
    adapter: 'scripts/device-kit/adapter.ts',
  },
  outdir: app,
  outExtension: { '.js': '.mjs' },
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  minify: true,
  external: ['webgpu', 'h5wasm'],
  // Bundled CommonJS (protobufjs, TensorFlow.js) calls require for Node's own modules.
  banner: {
    js: "import { createRequire as __kitRequire } from 'node:module'; const require = __kitRequire(import.meta.url);",
  },
  logLevel: 'warning',
});
const webgpu = join(app, 'node_modules', 'webgpu');
mkdirSync(join(webgpu, 'dist', 'linux-x64'), { recursive: true });
for (const file of ['index.js', 'package.json', 'LICENSE.md'])
  copyFileSync(join('node_modules', 'webgpu', file), join(webgpu, file));
console.log(`bundled ${app}`);
