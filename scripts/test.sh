#!/usr/bin/env bash
# Set-up command 2: installs what is missing, builds (warnings are errors) and runs the
# whole test suite: unit, service and functional tests (real dscd processes).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh -DDSC_WERROR=ON -DDSC_BUILD_TESTS=ON
cd build
ctest --output-on-failure --timeout 600 "$@"
