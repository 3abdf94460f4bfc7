#!/usr/bin/env bash
# The package as a user gets it: npm pack (which builds dist/), the tarball installed into an
# empty folder, its `aelab` command run, and a short script that imports the library and checks
# a GPU convolution against the float64 reference. Prints "package: N passed, M failed".
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
mkdir "$work/app"
cd "$work/app"
npm init -y >/dev/null
npm install --no-fund --no-audit --loglevel=error "$work/$tarball" >/dev/null

passed=0
failed=0
check() {
  local name=$1
  shift
  if "$@"; then passed=$((passed + 1)); echo "package: $name: ok"; else failed=$((failed + 1)); echo "package: $name: FAILED"; fi
}
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

echo "package: $passed passed, $failed failed"
test "$failed" -eq 0
