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

# The fuzz smoke: the libFuzzer targets (clang, ASan+UBSan) in a tree of their own, a few seconds
# each over their seed corpora (tests/fuzz/README.md). IM2K_FUZZ_SMOKE=0 skips it.
if [ "${IM2K_FUZZ_SMOKE:-1}" != 0 ]; then
  CXX=clang++ cmake -S "$root" -B "$root/build-fuzz" -DIM2K_FUZZ=ON -DIM2K_TESTS=OFF \
    -DIM2K_WERROR="$werror"
  cmake --build "$root/build-fuzz" -j"$jobs" --target frame_fuzz spf_fuzz dns_wire_fuzz \
    config_fuzz header_fuzz
  "$root/tests/fuzz/smoke.sh" "$root/build-fuzz/bin" 5
fi
