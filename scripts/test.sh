#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs every test: the type-check, the API reference with no
# undocumented export, the JSR package's dry run, the vitest suite on Node + Dawn, a sample of
# the mutations, the GPU parity suite on Deno's own WebGPU and (through the lab page) in headless
# Chromium, a Deno smoke run of the command line and of the sweep, the fault-injection suite,
# the packed package installed into an empty folder, and the GPU kit run on lavapipe. This is
# the README's test command, and CI runs exactly this. With CI set (to any value) a missing
# WebGPU adapter fails the run, and the closing line names whatever was skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-system.sh
npm ci --no-fund --no-audit --loglevel=error
npm run --silent typecheck
# One layout, Prettier's (.prettierrc.json): a file it would change fails the run here.
npm run --silent format:check
# The API reference (typedoc.json): an exported symbol without a doc comment fails the run.
npm run --silent docs
# The JSR package (deno.json) as it would be published: every export explicitly typed.
npm run --silent publish:check

mkdir -p .cache
results=.cache/vitest-results.json
npx vitest run --reporter=default --reporter=json --outputFile="$results"
# The subgroup checks and every conv2d variant again with lavapipe at 16 lanes: subgroups of
# 16 then hold two of the kernels' groups of 8, which no other adapter here has. Only where
# the CPU has AVX-512 (lavapipe's 16 lanes are its 512-bit vectors).
wide_results=.cache/vitest-16-lanes.json
wide_skipped=""
rm -f "$wide_results"
if grep -qw avx512f /proc/cpuinfo; then
  LP_NATIVE_VECTOR_WIDTH=512 npx vitest run test/tuning/subgroups.test.ts test/tuning/tuning.test.ts -t 'subgroups|variant' \
    --reporter=default --reporter=json --outputFile="$wide_results"
else
  wide_skipped="the 16-lane pass (this CPU has no AVX-512)"
  echo "16 lanes: skipped: $wide_skipped"
fi
# A sample of the mutations (scripts/mutation-check.mjs): each breaks a backward kernel and
# must be caught by a failed assertion in the tests named for it.
mutations_log=.cache/mutations.log
node scripts/mutation-check.mjs 2>&1 | grep -v '^Warning: maxDynamic' | tee "$mutations_log" || true

deno_log=.cache/deno-parity.log
npm run --silent test:deno 2>&1 | tee "$deno_log"

# The command line under Deno, from the TypeScript sources: a one-epoch smoke run, kernel
# tuning forced (--tune: a 1-epoch run would skip it) into a cache of its own, which must
# then hold the adapter's file.
smoke=.cache/deno-smoke
rm -rf "$smoke" .cache/deno-smoke-cache
deno_smoke=0
if XDG_CACHE_HOME=.cache/deno-smoke-cache npx deno run --unstable-webgpu -A src/cli/main.ts autoencoder --data "${AELAB_CIFAR:-../shared/data/cifar10}" --epochs 1 --tune --out "$smoke" \
  && [ -f "$smoke/model.safetensors" ] && [ -f "$smoke/report.html" ] \
  && ls .cache/deno-smoke-cache/aelab/tuning/*.json >/dev/null; then
  deno_smoke=1
  echo "deno smoke run: passed"
else
  echo "deno smoke run: FAILED"
fi

# The sweep (Part 2) under Deno: 2 trials of 1 epoch, to results and a report.
sweep_smoke=.cache/deno-sweep
rm -rf "$sweep_smoke"
echo '{"fewer_layers": [true], "channel_factor": [2], "kernel_size": [3], "compression_factor": [2, 4]}' > .cache/deno-sweep-grid.json
if npx deno run --unstable-webgpu -A src/cli/main.ts sweep --data "${AELAB_CIFAR:-../shared/data/cifar10}" --grid .cache/deno-sweep-grid.json \
    --epochs 1 --sample 0.05 --best-epochs 0 --out "$sweep_smoke" \
  && [ "$(tail -n +2 "$sweep_smoke/results.csv" | wc -l)" = 2 ] && [ -f "$sweep_smoke/report.html" ]; then
  deno_smoke=$((deno_smoke + 1))
  echo "deno sweep smoke run: passed"
else
  echo "deno sweep smoke run: FAILED"
fi

# Colourisation (Part 3) under Deno: every method for 1 epoch on a small sample, to a report.
colourise_smoke=.cache/deno-colourise
rm -rf "$colourise_smoke"
if npx deno run --unstable-webgpu -A src/cli/main.ts colourise --method all --data "${AELAB_CIFAR:-../shared/data/cifar10}" \
    --epochs 1 --sample 0.05 --no-tune --out "$colourise_smoke" \
  && [ -f "$colourise_smoke/report.html" ] && [ -f "$colourise_smoke/lab-classes/model.safetensors" ]; then
  deno_smoke=$((deno_smoke + 1))
  echo "deno colourise smoke run: passed"
else
  echo "deno colourise smoke run: FAILED"
fi

# The lab page in headless Chromium, served by 'aelab lab': training, the Inside view, the
# gradient-check suite on the browser's own WebGPU (the parity line), a kernel row, saving and
# loading a model, the diagram, colourising, a lost device, a batch too large, long tasks, dropped
# files and a browser without WebGPU. Screenshots in docs/images/lab-*.png.
browser_log=.cache/browser-lab.log
node scripts/browser-lab.mjs 2>&1 | tee "$browser_log" || true

# Faults a user's machine injects: SIGKILL, a full disk at every write, two runs on a folder,
# the folder deleted, SIGINT; every broken run resumed bit-identically, no file lost.
faults_log=.cache/faults.log
npm run --silent test:faults 2>&1 | grep -v '^Warning: maxDynamic' | tee "$faults_log" || true

# The package as a user installs it: npm pack, the tarball installed into an empty folder.
package_log=.cache/package.log
bash scripts/test-package.sh 2>&1 | tee "$package_log" || true

# The GPU kit (scripts/device-kit.sh) built and its run.sh run on lavapipe in a clean
# environment with the kit's own Node, --quick: kit.json must hold every step's result.
kit_log=.cache/device-kit.log
bash scripts/test-device-kit.sh 2>&1 | grep -v '^Warning: maxDynamic' | tee "$kit_log" || true

# One closing line for all the runners.
node -e '
  const fs = require("fs");
  const vitest = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
  const deno = fs.readFileSync(process.argv[2], "utf8").match(/(\d+) passed, (\d+) failed/);
  const smoke = Number(process.argv[3]);
  const browser = fs.readFileSync(process.argv[4], "utf8").match(/browser parity: (\d+) passed, (\d+) failed/) ?? [null, 0, 1];
  const wide = fs.existsSync(process.argv[5]) ? JSON.parse(fs.readFileSync(process.argv[5], "utf8")) : { numPassedTests: 0, numFailedTests: 0 };
  const pack = fs.readFileSync(process.argv[6], "utf8").match(/package: (\d+) passed, (\d+) failed/) ?? [null, 0, 1];
  const faults = fs.readFileSync(process.argv[7], "utf8").match(/faults: (\d+) passed, (\d+) failed/) ?? [null, 0, 1];
  const lab = fs.readFileSync(process.argv[4], "utf8").match(/lab: (\d+) passed, (\d+) failed/) ?? [null, 0, 1];
  const kit = fs.readFileSync(process.argv[10], "utf8").match(/device kit: (\d+) passed, (\d+) failed/) ?? [null, 0, 1];
  const mutations = fs.readFileSync(process.argv[9], "utf8").match(/mutations: (\d+) caught, (\d+) survived, (\d+) not applicable/) ?? [null, 0, 1, 0];
  const passed = vitest.numPassedTests + wide.numPassedTests + Number(deno[1]) + smoke + Number(browser[1]) + Number(lab[1]) + Number(pack[1]) + Number(faults[1]) + Number(mutations[1]) + Number(kit[1]);
  const failed = vitest.numFailedTests + wide.numFailedTests + Number(deno[2]) + (3 - smoke) + Number(browser[2]) + Number(lab[2]) + Number(pack[2]) + Number(faults[2]) + Number(mutations[2]) + Number(kit[2]);
  // What did not run, and why: every skip is named here, not only in the log above.
  const skipped = [];
  if (vitest.numPendingTests > 0) skipped.push(`${vitest.numPendingTests} vitest tests (see "skipped" in the log)`);
  if (process.argv[8]) skipped.push(process.argv[8]);
  if (Number(mutations[3]) > 0) skipped.push(`${mutations[3]} mutations not applicable (see .cache/mutations.log)`);
  console.log(`tests: ${passed} passed, ${failed} failed${skipped.length ? `; skipped: ${skipped.join("; ")}` : ""}`);
  process.exit(failed > 0 ? 1 : 0);
' "$results" "$deno_log" "$deno_smoke" "$browser_log" "$wide_results" "$package_log" "$faults_log" "$wide_skipped" "$mutations_log" "$kit_log"
