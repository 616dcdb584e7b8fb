#!/usr/bin/env bash
# norm built against MLIR's static libraries (NORM_LINK_MLIR_STATIC=ON,
# issue 21.4) into ${NORM_STATIC_BUILD_DIR:-build-static}: norm-opt, then
# the lit tests that need nothing but norm-opt and LLVM's tools (dialect,
# transforms, conversions, pipelines). Checks that the tool links no
# libMLIR.so.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${NORM_STATIC_BUILD_DIR:-$root/build-static}"
prefix="$(llvm-config-22 --prefix)"
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release \
    -DNORM_LINK_MLIR_STATIC=ON \
    -DMLIR_DIR="$prefix/lib/cmake/mlir" -DLLVM_DIR="$prefix/lib/cmake/llvm" \
    >/dev/null
fi
export CCACHE_BASEDIR="${CCACHE_BASEDIR:-$root}"
ninja -C "$build" norm-opt
if ldd "$build/bin/norm-opt" | grep -q "libMLIR.so"; then
  echo "test-static: norm-opt links libMLIR.so" >&2
  exit 1
fi
"$prefix/bin/lit" -q "$build/test" --filter '^NORM :: (Dialect|Conversion|Pipelines)/'
echo "test-static: norm-opt on static MLIR passed the dialect, conversion and pipeline tests"
