#!/usr/bin/env bash
# Builds, on this machine (no GPU needed), what the GPU machine runs:
# build/gpu/{libtests.so,tests.json} (the execution suite) and
# build/gpu/{libbench.so,bench.json} (the benchmark). Carry build/gpu there
# and run scripts/gpu-device-check.sh (and bench/gpu/run.py).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${NORM_BUILD_DIR:-$root/build}/gpu"
mkdir -p "$out"
bash "$root/scripts/build.sh" norm-opt NormGpuRuntimeStatic
for kind in tests bench; do
  python3 "$root/scripts/gen_gpu_cases.py" "$kind" "$out/$kind.mlir" "$out/$kind.json"
  bash "$root/scripts/norm-aot.sh" "$out/$kind.mlir" "$out/lib$kind.so" "${NORM_NVVM_OPTIONS:-}"
done
# The launch-cost floor (issue 18): a bare cuLaunchKernel next to an entry
# point, from C++ (bench/gpu/launch_floor.cpp).
cuda="${CUDA_HOME:-/usr/local/cuda}"
if [ -f "$cuda/include/cuda.h" ]; then
  g++ -O2 -std=c++17 -I"$cuda/include" "$root/bench/gpu/launch_floor.cpp" \
    -L"$cuda/lib64/stubs" -lcuda -ldl -o "$out/launch_floor"
fi
ls -la "$out"
