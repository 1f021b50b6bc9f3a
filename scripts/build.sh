#!/usr/bin/env bash
# Configures and builds dscd into ./build (binaries in build/bin). Extra arguments go to
# cmake, e.g. scripts/build.sh -DDSC_WERROR=ON.
set -euo pipefail
cd "$(dirname "$0")/.."
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo "$@" >/dev/null
cmake --build build -j "$(nproc)"
