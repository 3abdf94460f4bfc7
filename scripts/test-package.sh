#!/usr/bin/env bash
# The package as a user gets it: npm pack (which builds dist/), the tarball installed into an
# empty folder, its `aelab` command run, and a short script that imports the library and checks
# a GPU convolution against the float64 reference. Prints "package: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap '[ -n "${KEEP_PACKAGE_TEST:-}" ] || rm -rf "$work"' EXIT

tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
mkdir "$work/app"
cd "$work/app"
npm init -y >/dev/null
npm pkg set type=module # as docs/your-own-model.md sets up a folder
npm install --no-fund --no-audit --loglevel=error "$work/$tarball" >/dev/null

check_prefix=package
source "$root/scripts/checks.sh"
check "aelab --help" bash -c 'npx --no-install aelab --help | grep -q "aelab autoencoder"'
check "aelab --version" bash -c 'npx --no-install aelab --version | grep -qx "aelab [0-9.]*"'
check "aelab with an unknown command exits 2" bash -c 'npx --no-install aelab frobnicate 2>/dev/null; test $? -eq 2'

cat > script.mjs <<'JS'
// A user's script: a conv on the GPU beside the same conv on the float64 reference.
import { createEngine, ReferenceEngine, F } from 'aelab';
import { loadCifar10 } from 'aelab/node';
const engine = await createEngine();
const reference = new ReferenceEngine();
const x = Array.from({ length: 2 * 3 * 8 * 8 }, (_, i) => Math.sin(i)), w = Array.from({ length: 4 * 3 * 3 * 3 }, (_, i) => Math.cos(i) / 4);
const gpu = await F.conv2d(engine.tensor(x, [2, 3, 8, 8]), engine.tensor(w, [4, 3, 3, 3]), null, { padding: 'same' }).read();
const ref = F.conv2d(reference.tensor(x, [2, 3, 8, 8]), reference.tensor(w, [4, 3, 3, 3]), null, { padding: 'same' }).data;
const error = Math.max(...ref.map((value, i) => Math.abs(value - gpu[i])));
if (!(error < 1e-5) || typeof loadCifar10 !== 'function') throw new Error(`conv2d: GPU and reference differ by ${error}`);
console.log(`conv2d on ${engine.adapterDescription}: largest difference from the float64 reference ${error.toExponential(2)}`);
JS
check "a script importing aelab and aelab/node" node script.mjs

# The declarations as a TypeScript user's compiler reads them (the project's tsc, a strict config).
cp script.mjs script.ts
cat > tsconfig.json <<JSON
{ "compilerOptions": { "target": "ES2022", "module": "ESNext", "moduleResolution": "bundler", "strict": true, "noEmit": true,
  "lib": ["ES2022", "DOM"], "types": ["@webgpu/types"], "typeRoots": ["$root/node_modules/@types", "$root/node_modules"] }, "files": ["script.ts"] }
JSON
check "the script type-checks against the package's declarations" node "$root/node_modules/typescript/bin/tsc" -p tsconfig.json

# The library entry and the chunks it loads import nothing from node:* (browser-safe); the
# command line and 'aelab/node' share its chunks, so their classes are the same ones.
check "the library entry imports nothing from node:*" node -e '
  const fs = require("fs"), path = require("path"), seen = new Set();
  const visit = (file) => { if (seen.has(file)) return; seen.add(file);
    for (const [, spec] of fs.readFileSync(file, "utf8").matchAll(/(?:from|import)\s*"([^"]+)"/g)) {
      if (spec.startsWith("node:")) { console.error(`${file} imports ${spec}`); process.exit(1); }
      if (spec.startsWith(".")) visit(path.join(path.dirname(file), spec));
    } };
  visit("node_modules/aelab/dist/index.js");'

# docs/your-own-model.md, run exactly as written: its TypeScript blocks joined into one file,
# checked by tsc --strict, then run under Node (compiled) and under Deno (as TypeScript).
node -e '
  const text = require("fs").readFileSync(process.argv[1], "utf8");
  const blocks = [...text.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]);
  require("fs").writeFileSync("model.ts", blocks.join("\n"));' "$root/docs/your-own-model.md"
cat > tsconfig.guide.json <<JSON
{ "compilerOptions": { "target": "ES2022", "module": "ESNext", "moduleResolution": "bundler", "strict": true, "outDir": "guide",
  "lib": ["ES2022", "DOM"], "types": ["@webgpu/types"], "typeRoots": ["$root/node_modules/@types", "$root/node_modules"] }, "files": ["model.ts"] }
JSON
check "the guide type-checks (tsc --strict) and compiles" node "$root/node_modules/typescript/bin/tsc" -p tsconfig.guide.json
check "the guide runs under Node: trains, saves, reloads, gradchecks, catches the wrong op" bash -c 'node guide/model.js > guide-node.log 2>&1 && grep -q "reloaded: the same test loss" guide-node.log && grep -q "gradcheck: passed" guide-node.log && grep -q "the wrong one fails" guide-node.log || { cat guide-node.log; false; }'
check "the guide runs under Deno" bash -c '"'"$root"'/node_modules/.bin/deno" run --unstable-webgpu -A model.ts > guide-deno.log 2>&1 && grep -q "the wrong one fails" guide-deno.log || { cat guide-deno.log; false; }'

# aelab check --model on a user's TypeScript file (transpiled by the typescript package found
# on NODE_PATH, as it would be in the user's own node_modules).
cat > check-model.ts <<'TS'
import { Conv2d, MaxPool2d, Sequential, type Engine } from 'aelab';
export default (engine: Engine) => new Sequential([new Conv2d(engine, { inChannels: 2, outChannels: 3, kernelSize: 3, activation: 'relu' }), new MaxPool2d(2)]);
export const inputShape = [2, 6, 6];
TS
check "aelab check --model FILE.ts passes a correct model" bash -c 'NODE_PATH="'"$root"'/node_modules" npx --no-install aelab check --model check-model.ts > check-model.log 2>&1 && grep -q "gradcheck: passed" check-model.log || { cat check-model.log; false; }'

checks_summary
test "$failed" -eq 0
