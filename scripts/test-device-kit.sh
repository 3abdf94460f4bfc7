#!/usr/bin/env bash
# The GPU kit as a GPU machine gets it: built by scripts/device-kit.sh, then its run.sh run here
# on lavapipe in a clean environment (env -i: no PATH beyond /usr/bin and /bin, HOME in a
# temporary folder, no Node but the kit's), with --quick. Checks the kit's size and that kit.json
# holds every step's result. Prints "device kit: N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
kit=.cache/device-kit
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

check_prefix='device kit'
source scripts/checks.sh

check "the kit builds within 60 MiB" bash scripts/device-kit.sh "$kit"
check "the kit holds no Node but its own compressed one" bash -c "! find '$kit' -name node -type f | grep -q ."
# lavapipe's ICD, as a GPU machine's driver would be found; nothing else from this machine.
icd=$(ls /usr/share/vulkan/icd.d/lvp_icd*.json | head -n 1)
mkdir -p "$work/home"
env -i HOME="$work/home" PATH=/usr/bin:/bin VK_DRIVER_FILES="$icd" bash "$kit/run.sh" --out "$work/out" --quick
code=$?
check "run.sh exits 0 in a clean environment (exit $code)" test "$code" = 0
check "run.sh writes kit.json and a log per step" bash -c "test -s '$work/out/kit.json' && test \$(ls '$work/out/logs' | wc -l) = 6"
# kit.json read by this machine's Node (the kit's own ran the steps).
check "kit.json holds the adapter and every step's result" node -e '
  const kit = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const names = kit.steps.map((step) => step.name).join(",");
  const want = "adapter,check,train,kernels,part1,sweep";
  if (names !== want) throw new Error(`steps ${names}, not ${want}`);
  for (const step of kit.steps)
    if (step.status !== "ok" || step.result === null) throw new Error(`${step.name}: ${step.status}, result ${JSON.stringify(step.result)}`);
  const [check, train, kernels, part1, sweep] = kit.steps.slice(1).map((step) => step.result);
  if (!/llvmpipe/.test(kit.adapter.adapter) || !/^node v/.test(kit.adapter.runtime)) throw new Error(`adapter ${JSON.stringify(kit.adapter)}`);
  if (!check.passed || !(check.rows?.length > 0)) throw new Error("check: not passed");
  if (!(train[0].imagesPerSecond > 0 && train[0].shareOfLimit > 0 && train[0].tensorflowImagesPerSecond > 0)) throw new Error("train: no figures");
  if (!(kernels.length > 0)) throw new Error("kernels: no records");
  if (!(part1.test.psnr > 0)) throw new Error("part1: no test PSNR");
  if (sweep.trials.length !== 1) throw new Error(`sweep: ${sweep.trials.length} trials`);
' "$work/out/kit.json"
# A step that fails is recorded, and kit.json is still written: the same kit with no driver.
env -i HOME="$work/home" PATH=/usr/bin:/bin VK_DRIVER_FILES=/nonexistent/icd.json bash "$kit/run.sh" --out "$work/broken" --quick >/dev/null 2>&1
code=$?
check "without a driver, run.sh fails (exit $code) and still writes kit.json" node -e '
  const kit = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (Number(process.argv[2]) === 0 || kit.steps.length !== 6 || kit.steps[0].status !== "failed") throw new Error(JSON.stringify(kit.steps[0]));
' "$work/broken/kit.json" "$code"
checks_summary
