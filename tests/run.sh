#!/usr/bin/env bash
# Every test keel has, as CI runs them (after ./setup.sh built build/):
#  1. build-asan (clang, AddressSanitizer + UndefinedBehaviorSanitizer + libFuzzer; warnings are
#     enforced by the gcc build, so not fatal here): the unit
#     tests under the sanitizers, then every fuzz target for FUZZ_SECONDS (default 60) each;
#  2. the whole suite in build/: unit, integration and the bounded crash campaign.
# KEEL_TESTS=quick skips step 1.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${KEEL_TESTS:-full}" != quick ]; then
  cmake -S . -B build-asan -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DKEEL_SANITIZE=ON -DKEEL_FUZZ=ON -DKEEL_WERROR=OFF >/dev/null
  cmake --build build-asan -j "$(nproc)"
  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
      ctest --test-dir build-asan -L unit --output-on-failure -j 2
  tests/fuzz/run.sh build-asan "${FUZZ_SECONDS:-60}"
fi
ctest --test-dir build --output-on-failure -j 2
