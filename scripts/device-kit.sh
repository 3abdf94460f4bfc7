#!/usr/bin/env bash
# Assembles the GPU kit: everything the checks and benchmarks need on a Linux GPU machine with
# no Node and no network, in one folder of at most 60 MiB (docs/performance.md, "Real GPU"):
#   app/        the aelab command, the benchmarks and the adapter probe, bundled (bundle.mjs),
#               and the webgpu package's JavaScript
#   bin/        this machine's Node and Dawn's linux-x64 binding, xz-compressed, and
#               busybox-static, whose xz unpacks them there
#   vulkan/     the Vulkan loader and its companions (Debian's libvulkan1, libglvnd0, libglx0,
#               libegl1), unpacked
#   cifar10/    the shared CIFAR-10 sample
#   run.sh      the one command: bash DIR/run.sh --out OUT
#   bash scripts/device-kit.sh DIR
set -euo pipefail
cd "$(dirname "$0")/.."
kit=${1:?usage: bash scripts/device-kit.sh DIR}
limit=$((60 * 1024 * 1024))
data=${AELAB_CIFAR:-../shared/data/cifar10}

rm -rf "$kit"
mkdir -p "$kit/bin" "$kit/vulkan" "$kit/cifar10"
node scripts/embed-wgsl.mjs
node scripts/device-kit/bundle.mjs "$kit"

# Node and Dawn: the two large binaries, compressed (about 99 and 21 MB as they are).
node_binary=$(command -v node)
xz -9 -T2 -c "$node_binary" >"$kit/bin/node.xz"
xz -9 -T2 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$kit/bin/dawn.node.xz"

# Debian's packages: busybox-static for xz, and the Vulkan loader with the libraries NVIDIA's
# driver loads beside it. Unpacked into the kit, never into / on the machine.
downloads=$(mktemp -d)
trap 'rm -rf "$downloads"' EXIT
chmod 777 "$downloads" # apt's own user downloads into it
(cd "$downloads" && apt-get download busybox-static libvulkan1 libglvnd0 libglx0 libegl1 >/dev/null)
for deb in "$downloads"/*.deb; do
  case $(basename "$deb") in
    busybox-static_*) dpkg-deb -x "$deb" "$downloads/busybox" && cp "$downloads/busybox/bin/busybox" "$kit/bin/busybox" ;;
    *) dpkg-deb -x "$deb" "$kit/vulkan" ;;
  esac
done
rm -rf "$kit/vulkan/usr/share/doc" "$kit/vulkan/usr/share/lintian"

# The data: the shared sample's batches, as they are.
for file in "$data"/*.bin "$data"/batches.meta.txt; do
  [ -f "$file" ] && cp "$file" "$kit/cifar10/"
done
ls "$kit/cifar10"/data_batch_1.bin >/dev/null

cp scripts/device-kit/run.sh "$kit/run.sh"
node --version >"$kit/bin/node.version"

size=$(du -sb "$kit" | cut -f1)
echo "device kit: $kit, $((size / 1024 / 1024)) MiB ($size bytes; at most $limit)"
if [ "$size" -gt "$limit" ]; then
  echo "device kit: over its 60 MiB" >&2
  exit 1
fi
