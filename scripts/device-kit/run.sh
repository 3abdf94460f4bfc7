#!/usr/bin/env bash
# The GPU kit's one command (scripts/device-kit.sh makes the kit): the checks and benchmarks on
# this machine's GPU, with nothing from outside the kit but bash and coreutils.
#   bash DIR/run.sh --out OUT [--quick]
# Finds the Vulkan driver (NVIDIA's ICD where drivers put it, or VK_DRIVER_FILES if set), prints
# the adapter, then runs, each step bounded in time (the whole within 8 minutes):
#   1. aelab check: every op's cases and every conv variant on this GPU
#   2. the training benchmark at batch 32, 256 and 1,024, beside the plain conv's limit and
#      TensorFlow.js on the same adapter
#   3. the kernel benchmark
#   4. Part 1, 10 epochs on the kit's CIFAR-10 sample
#   5. one sweep trial
# OUT gets kit.json (the adapter and every step: its status, exit code, time and results) and
# logs/STEP.log, also when a step fails. --quick: the same steps, smaller (four ops' checks, batch
# 32 only, no tuning, one epoch), as the tests run the kit on a CPU's Vulkan.
set -uo pipefail
kit=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=""
quick=0
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=${2:-}; shift 2 ;;
    --out=*) out=${1#--out=}; shift ;;
    --quick) quick=1; shift ;;
    -h | --help) head -n 16 "$kit/run.sh" | tail -n +2 | cut -c3-; exit 0 ;;
    *) echo "run.sh: unknown argument '$1' (bash run.sh --out OUT [--quick])" >&2; exit 2 ;;
  esac
done
[ -n "$out" ] || { echo "run.sh: --out OUT is required" >&2; exit 2; }
mkdir -p "$out/logs" || exit 1
out=$(cd "$out" && pwd)
started=$(date -u +%Y-%m-%dT%H:%M:%SZ)

# What each step writes, and the kit's runtime (Node and Dawn unpacked), live in a scratch folder.
work=$(mktemp -d "${TMPDIR:-/tmp}/aelab-kit.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
cp -r "$kit/app" "$work/app"
"$kit/bin/busybox" xz -dc "$kit/bin/node.xz" >"$work/node" && chmod +x "$work/node"
"$kit/bin/busybox" xz -dc "$kit/bin/dawn.node.xz" >"$work/app/node_modules/webgpu/dist/linux-x64/dawn.node"

# The Vulkan loader from the kit; the driver from the machine.
export LD_LIBRARY_PATH="$kit/vulkan/usr/lib/x86_64-linux-gnu${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
if [ -z "${VK_DRIVER_FILES:-}" ]; then
  for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json \
    /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.x86_64.json; do
    if [ -f "$icd" ]; then export VK_DRIVER_FILES=$icd; break; fi
  done
fi
export AELAB_CIFAR="$kit/cifar10" XDG_CACHE_HOME="$work/cache"
echo "run.sh: Vulkan driver ${VK_DRIVER_FILES:-none found, so the Vulkan loader searches}"

# JSON by hand (bash and coreutils only): a string escaped, a file's JSON or null.
json_string() {
  local s=${1//\\/\\\\}
  s=${s//\"/\\\"}
  s=${s//$'\n'/\\n}
  s=${s//$'\t'/ }
  printf '"%s"' "${s//$'\r'/}"
}
json_file() { if [ -s "$1" ]; then cat "$1"; else printf 'null'; fi; }

steps=()
# step NAME SECONDS RESULT_FILE COMMAND...: runs COMMAND in the scratch folder for at most
# SECONDS, its output in logs/NAME.log; records its status and RESULT_FILE's JSON.
step() {
  local name=$1 limit=$2 result=$3
  shift 3
  local log="$out/logs/$name.log" begin end code status
  echo "run.sh: $name (at most $limit s): $*"
  begin=$(date +%s)
  (cd "$work" && timeout --kill-after=10 "$limit" "$@") >"$log" 2>&1
  code=$?
  end=$(date +%s)
  case $code in
    0) status=ok ;;
    124 | 137) status="timed out" ;;
    *) status=failed ;;
  esac
  echo "run.sh: $name: $status (exit $code, $((end - begin)) s)"
  tail -n 3 "$log"
  steps+=("{\"name\": $(json_string "$name"), \"command\": $(json_string "$*"), \"status\": \"$status\", \"exitCode\": $code, \"seconds\": $((end - begin)), \"log\": \"logs/$name.log\", \"result\": $(json_file "$work/$result")}")
}

node=("$work/node")
if [ "$quick" = 1 ]; then
  batches=32 kernel_batches=32 epochs=1 sample=0.1 limits=(60 180 180 180 120 120)
  checks=(--ops add,relu,maxPool2d,conv2d) smaller=(--quick)
else
  batches=32,256,1024 kernel_batches=32,256 epochs=10 sample=1 limits=(30 90 150 90 60 45)
  checks=() smaller=()
fi
printf '{"fewer_layers": [true], "channel_factor": [2], "kernel_size": [3], "compression_factor": [2]}\n' >"$work/one-trial.json"

step adapter "${limits[0]}" adapter.json "${node[@]}" app/adapter.mjs adapter.json
[ -s "$work/adapter.json" ] && echo "run.sh: adapter: $(cat "$work/adapter.json")"
step check "${limits[1]}" check.json "${node[@]}" app/aelab.mjs check "${checks[@]}" --json check.json
step train "${limits[2]}" bench/results/train.json "${node[@]}" app/bench-train.mjs --batches "$batches" "${smaller[@]}"
step kernels "${limits[3]}" bench/results/kernels.json "${node[@]}" app/bench-kernels.mjs --batches "$kernel_batches" "${smaller[@]}"
step part1 "${limits[4]}" runs/part1/metrics.json "${node[@]}" app/aelab.mjs autoencoder --data "$AELAB_CIFAR" \
  --epochs "$epochs" --sample "$sample" --out runs/part1
step sweep "${limits[5]}" runs/sweep/results.json "${node[@]}" app/aelab.mjs sweep --data "$AELAB_CIFAR" \
  --epochs "$epochs" --sample "$sample" --best-epochs 0 --grid one-trial.json --out runs/sweep

{
  printf '{\n  "kit": "aelab GPU kit",\n  "started": "%s",\n  "finished": "%s",\n' "$started" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '  "quick": %s,\n  "host": %s,\n  "vulkanDriver": %s,\n' "$([ "$quick" = 1 ] && echo true || echo false)" \
    "$(json_string "$(uname -n) $(uname -r)")" "$(json_string "${VK_DRIVER_FILES:-}")"
  printf '  "adapter": %s,\n  "steps": [\n' "$(json_file "$work/adapter.json")"
  for i in "${!steps[@]}"; do
    printf '    %s%s\n' "${steps[$i]}" "$([ "$i" -lt $((${#steps[@]} - 1)) ] && echo ,)"
  done
  printf '  ]\n}\n'
} >"$out/kit.json"
failed=0
for s in "${steps[@]}"; do case $s in *'"status": "ok"'*) ;; *) failed=$((failed + 1)) ;; esac; done
echo "run.sh: wrote $out/kit.json: ${#steps[@]} steps, $failed not ok"
[ "$failed" = 0 ]
