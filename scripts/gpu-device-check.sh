#!/usr/bin/env bash
# On a GPU machine without MLIR: runs the GPU execution suite
# (test/Integration/GPU/check_gpu.py) and its edge cases (check_gpu_edge.py) on build/gpu/libtests.so, built
# elsewhere by scripts/build-gpu-artifacts.sh. Needs python3 with torch.cuda.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
gpu="${NORM_BUILD_DIR:-$root/build}/gpu"
python3 "$root/test/Integration/GPU/check_gpu.py" "$gpu/libtests.so" "$gpu/tests.json" "$@"
python3 "$root/test/Integration/GPU/check_gpu_edge.py" "$gpu/libtests.so" "$gpu/tests.json"
python3 "$root/test/Integration/GPU/check_stream_order.py" "$gpu/libtests.so" "$gpu/tests.json"
