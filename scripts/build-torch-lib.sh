#!/usr/bin/env bash
# Builds the kernel library behind python/norm_torch (docs/Torch.md):
# ${NORM_BUILD_DIR:-build}/torch/libnorm_torch.so and libnorm_torch.json,
# norm's forward and backward kernels for every variant the custom ops use,
# for f32/f16/bf16, at the hidden sizes in $NORM_TORCH_NS (comma-separated;
# default gen_gpu_cases.py's TORCH_N) plus dynamic N for every other size.
# Needs norm-opt and the GPU runtime (built here if missing) and the CUDA
# toolkit, no GPU. Extra arguments go to norm-lower-to-nvvm
# (e.g. "chip=sm_100a"). Install into the package with
#   NORM_TORCH_INSTALL=1 scripts/build-torch-lib.sh
# (copies into python/norm_torch/lib/, which `pip install` packages).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${NORM_BUILD_DIR:-$root/build}/torch"
mkdir -p "$out"
build="${NORM_BUILD_DIR:-$root/build}"
if [ ! -x "$build/bin/norm-opt" ] || [ ! -f "$build/lib/libnorm_gpu_runtime_static.a" ]; then
  bash "$root/scripts/build.sh" norm-opt NormGpuRuntimeStatic
fi
/usr/bin/python3 "$root/scripts/gen_gpu_cases.py" torch "$out/libnorm_torch.mlir" \
  "$out/libnorm_torch.json"
bash "$root/scripts/norm-aot.sh" "$out/libnorm_torch.mlir" "$out/libnorm_torch.so" \
  "${1:-}"
if [ "${NORM_TORCH_INSTALL:-0}" = 1 ]; then
  mkdir -p "$root/python/norm_torch/lib"
  cp "$out/libnorm_torch.so" "$out/libnorm_torch.json" "$root/python/norm_torch/lib/"
fi
echo "build-torch-lib: $out/libnorm_torch.so ($(/usr/bin/python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$out/libnorm_torch.json") entry points)"
