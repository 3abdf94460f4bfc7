#!/usr/bin/env bash
# Sets up a fresh Debian machine and runs the main job: builds the package and trains the
# notebook's convolutional autoencoder (part 1). Without --data it downloads CIFAR-10 into
# ~/.cache/aelab.
#   bash scripts/main.sh --data ../shared/data/cifar10 --epochs 10
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-system.sh
npm ci --no-fund --no-audit --loglevel=error
npm run --silent build
node dist/cli.js autoencoder "$@"
