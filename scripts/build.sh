#!/usr/bin/env bash
# Configures (once) and builds the given targets into $NORM_BUILD_DIR
# (default: build/). Usage: scripts/build.sh [ninja targets...]
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${NORM_BUILD_DIR:-$root/build}"
prefix="$(llvm-config-22 --prefix)"

if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE="${NORM_BUILD_TYPE:-Release}" \
    -DMLIR_DIR="$prefix/lib/cmake/mlir" \
    -DLLVM_DIR="$prefix/lib/cmake/llvm"
fi
# Fresh clones live at different paths: hash paths relative to the checkout
# so that ccache hits across them.
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
ninja -C "$build" "$@"
