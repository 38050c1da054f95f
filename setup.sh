#!/usr/bin/env bash
# keel set-up on Debian 12: installs the Debian packages keel needs (once) and builds into build/.
# Usage: ./setup.sh            (Release-with-debug-info build in build/)
set -euo pipefail
cd "$(dirname "$0")"

PACKAGES=(build-essential cmake ninja-build pkg-config
          librocksdb-dev libboost-dev libssl-dev libsimdjson-dev libcereal-dev libspdlog-dev
          libgtest-dev libgmock-dev libyaml-cpp-dev libcli11-dev libbenchmark-dev zlib1g-dev
          libsqlite3-dev libpq-dev postgresql clang libclang-rt-14-dev)
# node + npm drive the independent ccxt client check of `keel sim` (tests/integration).
command -v npm >/dev/null 2>&1 || PACKAGES+=(nodejs npm)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -d ../shared/data/binance ]; then
  echo "setup: warning: ../shared/data/binance is missing; the default run and the tests replay it" >&2
fi

cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j "$(nproc)"
echo "setup: built build/bin/keel"
