#!/usr/bin/env bash
# Ahead-of-time compilation of a module for NVIDIA GPUs into a shared library
# whose C entry points take device pointers and a CUDA stream:
#   int32_t norm_<func>(void *stream, void *ptr..., int64_t dynamic_size...)
# (norm-gpu-entry-points; 0 = success, else the CUDA error code).
#
# Usage: scripts/norm-aot.sh IN.mlir OUT.so [norm-lower-to-nvvm options]
#   e.g. scripts/norm-aot.sh model.mlir libmodel.so "chip=sm_90 format=fatbin"
# The library embeds the kernels (fatbin by default), the host code and the
# norm GPU runtime; it needs only libcuda.so.1 (the driver) at run time, and
# libmlir_c_runner_utils (copied beside it) if its host code calls memrefCopy.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${NORM_BUILD_DIR:-$root/build}"
prefix="$(llvm-config-22 --prefix)"
in="$1"; out="$2"; options="${3:-}"
cuda="${CUDA_HOME:-/usr/local/cuda}"
# gpu-module-to-binary finds ptxas and libdevice through CUDA_HOME.
export CUDA_HOME="$cuda"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

"$build/bin/norm-opt" "$in" --norm-lower-to-nvvm="$options" -o "$work/lowered.mlir"
"$prefix/bin/mlir-translate" --mlir-to-llvmir "$work/lowered.mlir" -o "$work/host.ll"
clang-22 -O2 -fPIC -c "$work/host.ll" -o "$work/host.o" -Wno-override-module
stubs="$cuda/lib64/stubs"
[ -d "$stubs" ] || stubs="$cuda/targets/x86_64-linux/lib/stubs"
# Host code that copies between non-contiguous buffers calls MLIR's
# memrefCopy: then the library needs libmlir_c_runner_utils, which is copied
# next to it (the GPU machine has no MLIR) and found through $ORIGIN.
runner=()
if grep -q "@memrefCopy" "$work/host.ll"; then
  cp "$prefix/lib/libmlir_c_runner_utils.so.22.1" "$(dirname "$out")/"
  runner=(-L"$prefix/lib" -l:libmlir_c_runner_utils.so.22.1 '-Wl,-rpath,$ORIGIN')
fi
clang-22 -shared -o "$out" "$work/host.o" \
  "$build/lib/libnorm_gpu_runtime_static.a" "${runner[@]}" \
  -Wl,--exclude-libs,ALL -L"$stubs" -lcuda -lstdc++ -Wl,--as-needed
