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
#
# Runs from the source tree (norm-opt and the runtime from
# ${NORM_BUILD_DIR:-build}) or installed as <prefix>/bin/norm-aot (norm-opt
# beside it, the runtime in <prefix>/lib*). NORM_OPT overrides norm-opt.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
runtime=""
if [ -x "$here/norm-opt" ]; then # installed
  norm_opt="$here/norm-opt"
  for lib in "$here"/../lib "$here"/../lib64 "$here"/../lib/*-linux-gnu; do
    if [ -f "$lib/libnorm_gpu_runtime_static.a" ]; then
      runtime="$lib/libnorm_gpu_runtime_static.a"
      break
    fi
  done
else
  root="$(cd "$here/.." && pwd)"
  build="${NORM_BUILD_DIR:-$root/build}"
  norm_opt="$build/bin/norm-opt"
  runtime="$build/lib/libnorm_gpu_runtime_static.a"
fi
norm_opt="${NORM_OPT:-$norm_opt}"
if [ ! -f "$runtime" ]; then
  echo "norm-aot: the norm GPU runtime (libnorm_gpu_runtime_static.a) is" \
    "missing; norm was built without the CUDA toolkit?" >&2
  exit 1
fi
prefix="$(llvm-config-22 --prefix)"
if [ "$#" -lt 2 ]; then
  echo "usage: norm-aot IN.mlir OUT.so [norm-lower-to-nvvm options]" >&2
  exit 2
fi
in="$1"; out="$2"; options="${3:-}"
cuda="${CUDA_HOME:-/usr/local/cuda}"
# gpu-module-to-binary finds ptxas and libdevice through CUDA_HOME.
export CUDA_HOME="$cuda"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT

"$norm_opt" "$in" --norm-lower-to-nvvm="$options" -o "$work/lowered.mlir"
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
# Only the C entry points are exported (a version script): they are the
# functions that set the caller's stream (normGpuSetStream) first. The
# wrapped functions, the kernels' load/unload code and the runtime stay
# local.
awk '/^define /{ name = $0; sub(/^[^@]*@/, "", name); sub(/\(.*/, "", name) }
     /call void @normGpuSetStream\(/{ print name }' "$work/host.ll" |
  sort -u > "$work/entries"
if [ ! -s "$work/entries" ]; then
  echo "norm-aot.sh: $in has no C entry points (entry-points=false?)" >&2
  exit 1
fi
{ echo "{ global:"; sed 's/$/;/' "$work/entries"; echo "local: *; };"; } \
  > "$work/exports.map"
clang-22 -shared -o "$out" "$work/host.o" \
  -Wl,--version-script="$work/exports.map" \
  "$runtime" "${runner[@]}" \
  -Wl,--exclude-libs,ALL -L"$stubs" -lcuda -lstdc++ -Wl,--as-needed
