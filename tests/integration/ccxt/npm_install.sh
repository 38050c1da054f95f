#!/bin/sh
# The set-up step of the ccxt check (tests/integration/CMakeLists.txt, fixture ccxt_deps):
# copies the check into the build tree and installs its pinned npm dependencies there
# (`npm ci` from package-lock.json). Fails, so that the check fails too, when npm or the
# registry is not reachable: the check never passes without having run.
# Usage: npm_install.sh SOURCE_DIR WORK_DIR
set -eu
src=$1
work=$2
mkdir -p "$work"
cp "$src/package.json" "$src/package-lock.json" "$src/check.mjs" "$work/"
cd "$work"
if grep -q '"version": "4.5.84"' node_modules/ccxt/package.json 2>/dev/null; then
  echo "ccxt 4.5.84 already installed in $work"
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "npm not found (./setup.sh installs nodejs and npm): the ccxt check cannot run" >&2
  exit 1
fi
if ! npm ci --no-audit --no-fund; then
  echo "npm ci failed (is the npm registry reachable?): the ccxt check cannot run" >&2
  exit 1
fi
