// REQUIRES: cuda
// Every op × f32/f16/bf16 × optional operands and results, static and
// dynamic N, M = 333, 1 and 0, run on the GPU through the AOT entry points on
// PyTorch tensors and compared with a float64 reference side by side with
// PyTorch's own error (test/Integration/GPU/check_gpu.py says the criteria).
// On a GPU machine without MLIR, scripts/gpu-device-check.sh runs the same
// check on a library built elsewhere.
// RUN: rm -rf %t && mkdir -p %t
// RUN: %python %norm_src_root/scripts/gen_gpu_cases.py tests %t/cases.mlir %t/cases.json
// RUN: bash %norm_src_root/scripts/norm-aot.sh %t/cases.mlir %t/lib.so
// RUN: %torch_python %S/check_gpu.py %t/lib.so %t/cases.json | FileCheck %s
// CHECK: [[N:[0-9]+]] of [[N]] GPU checks passed
// Numerical edge cases (check_gpu_edge.py) on the same kernels.
// RUN: %torch_python %S/check_gpu_edge.py %t/lib.so %t/cases.json | FileCheck %s --check-prefix=EDGE
// EDGE: [[E:[0-9]+]] of [[E]] GPU edge cases passed
