#!/usr/bin/env bash
# On a GPU machine without MLIR: runs the GPU execution suite
# (test/Integration/GPU/check_gpu.py), its edge cases (check_gpu_edge.py),
# stream order (check_stream_order.py) and the entry points' argument checks
# (check_entry_args.py), the distributed split (check_split.py), dynamic N
# at every vector width and batch invariance (check_invariance.py) on
# build/gpu/libtests.so, built elsewhere by
# scripts/build-gpu-artifacts.sh; then python/norm_torch's device tests on
# build/torch/libnorm_torch.so (scripts/build-torch-lib.sh) where present.
# Needs python3 with torch.cuda (and a C++ compiler for norm_torch's C++ ops).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
gpu="${NORM_BUILD_DIR:-$root/build}/gpu"
# Every check runs; the script fails if any failed.
status=0
python3 "$root/test/Integration/GPU/check_gpu.py" "$gpu/libtests.so" "$gpu/tests.json" "$@" || status=1
python3 "$root/test/Integration/GPU/check_gpu_edge.py" "$gpu/libtests.so" "$gpu/tests.json" || status=1
python3 "$root/test/Integration/GPU/check_stream_order.py" "$gpu/libtests.so" "$gpu/tests.json" || status=1
python3 "$root/test/Integration/GPU/check_entry_args.py" "$gpu/libtests.so" "$gpu/tests.json" || status=1
python3 "$root/test/Integration/GPU/check_split.py" "$gpu/libtests.so" "$gpu/tests.json" || status=1
python3 "$root/test/Integration/GPU/check_invariance.py" "$gpu/libtests.so" "$gpu/tests.json" || status=1
# python/norm_torch on the library of scripts/build-torch-lib.sh, if built:
# with its C++ ops, then with its Python CUDA implementation.
torchlib="${NORM_BUILD_DIR:-$root/build}/torch/libnorm_torch.so"
if [ -f "$torchlib" ]; then
  python3 "$root/python/tests/test_gpu.py" "$torchlib" || status=1
  NORM_TORCH_PYTHON_OPS=1 python3 "$root/python/tests/test_gpu.py" "$torchlib" || status=1
fi
exit "$status"
