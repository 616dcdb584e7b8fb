#!/usr/bin/env bash
# python/norm_torch without a GPU (docs/Torch.md, "Tests"): builds the
# kernel library (scripts/build-torch-lib.sh: norm-opt, ptxas, the AOT link)
# and checks its exports; runs python/tests/test_cpu.py against Debian's
# PyTorch with the library's manifest; compiles csrc/ops.cpp against
# Debian's PyTorch headers (syntax and API; the GPU machine builds it with
# its own PyTorch).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${NORM_BUILD_DIR:-$root/build}/torch"
if command -v ptxas >/dev/null || [ -x "${CUDA_HOME:-/usr/local/cuda}/bin/ptxas" ]; then
  bash "$root/scripts/build-torch-lib.sh"
  exported=$(nm -D --defined-only "$out/libnorm_torch.so" | awk '$2 == "T"' | wc -l)
  entries=$(/usr/bin/python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" \
    "$out/libnorm_torch.json")
  if [ "$exported" != "$entries" ]; then
    echo "test-torch: $exported exported symbols for $entries entry points" >&2
    exit 1
  fi
  manifest="$out/libnorm_torch.json"
else
  echo "test-torch: no CUDA toolkit: the library is not built; manifest generated only"
  mkdir -p "$out"
  /usr/bin/python3 "$root/scripts/gen_gpu_cases.py" torch "$out/cases.mlir" "$out/cases.json"
  manifest="$out/cases.json"
fi
/usr/bin/python3 "$root/python/tests/test_cpu.py" "$manifest"
inc="$(/usr/bin/python3 -c 'import os, torch; print(os.path.dirname(torch.__file__))')"
for d in /usr/include "$inc/include"; do
  if [ -f "$d/torch/library.h" ]; then
    g++ -std=c++17 -fsyntax-only -Wall -Werror -I"$d" -I"$d/torch/csrc/api/include" \
      "$root/python/norm_torch/csrc/ops.cpp"
    echo "test-torch: csrc/ops.cpp compiles against $d"
    exit 0
  fi
done
echo "test-torch: no PyTorch headers found" >&2
exit 1
