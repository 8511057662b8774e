#!/usr/bin/env bash
# The one test command: installs what is missing, configures, builds into build/ and runs every
# test through ctest. Exits non-zero on any failure.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
"$root/deploy/install-deps.sh"

werror=OFF
if [ "${CI:-}" = "true" ]; then werror=ON; fi
jobs=$(nproc)

cmake -S "$root" -B "$root/build" -DIM2K_WERROR="$werror"
cmake --build "$root/build" -j"$jobs"
cd "$root/build"
ctest --output-on-failure -j"$jobs" --timeout 900
