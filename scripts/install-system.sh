#!/usr/bin/env bash
# Installs the system packages aelab needs on a fresh Debian bookworm machine:
# - Mesa's lavapipe (a Vulkan driver that runs on the CPU) from bookworm-backports,
#   because Dawn refuses bookworm's own Mesa 22.3 and needs Mesa 25;
# - dataset-fashion-mnist (the full Fashion-MNIST as gzipped IDX files), a second data set;
# - chromium, whose WebGPU (SwiftShader) runs the browser parity suite;
# - xz-utils, which compresses the GPU kit's binaries (scripts/device-kit.sh).
#
# The backports suite is added by reusing the URI of the machine's own Debian
# source, so this script names no package host of its own.
set -euo pipefail

SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi

have_mesa25() {
  local version
  version=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  [ -n "$version" ] && dpkg --compare-versions "$version" ge 25
}

have_fashion_mnist() {
  [ -f /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]
}

if have_mesa25 && have_fashion_mnist && [ -x /usr/bin/chromium ] && command -v xz >/dev/null; then
  echo "install-system: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers), dataset-fashion-mnist, chromium and xz already present"
  exit 0
fi

sources=/etc/apt/sources.list.d/debian.sources
backports=/etc/apt/sources.list.d/aelab-backports.sources
if [ ! -f "$backports" ]; then
  uri=""
  if [ -f "$sources" ]; then
    # First URI whose stanza serves the plain 'bookworm' suite (not -security).
    uri=$(awk '/^URIs:/{u=$2} /^Suites:/{ for (i=2;i<=NF;i++) if ($i=="bookworm") { print u; exit } }' "$sources")
  fi
  if [ -z "$uri" ] && [ -f /etc/apt/sources.list ]; then
    uri=$(awk '$1=="deb" && $3=="bookworm" {print $2; exit}' /etc/apt/sources.list)
  fi
  if [ -z "$uri" ]; then
    echo "install-system: cannot find the machine's Debian bookworm source to derive a backports URI from" >&2
    exit 1
  fi
  echo "install-system: adding bookworm-backports from $uri"
  $SUDO tee "$backports" >/dev/null <<SRC
Types: deb
URIs: $uri
Suites: bookworm-backports
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
fi

export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq -t bookworm-backports mesa-vulkan-drivers libvulkan1 >/dev/null
$SUDO apt-get install -y -qq dataset-fashion-mnist chromium xz-utils >/dev/null
echo "install-system: mesa-vulkan-drivers $(dpkg-query -W -f='${Version}' mesa-vulkan-drivers)"
