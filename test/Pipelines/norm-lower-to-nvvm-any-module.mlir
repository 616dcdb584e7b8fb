// The NVVM pipeline on a module with no norm op (issue 21: norm-decompose's
// filter-ops check failed when the norm dialect was not loaded).
// RUN: norm-opt %s --norm-lower-to-nvvm="format=ptx" | FileCheck %s
// CHECK: gpu.binary
// CHECK: llvm.func @norm_f
func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %y = linalg.exp ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
