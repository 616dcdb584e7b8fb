// RUN: norm-opt %s --convert-norm-to-gpu -split-input-file -verify-diagnostics
// RUN: %norm_exit norm-opt %s --convert-norm-to-gpu="vector-bytes=3" 2>&1 | FileCheck %s --check-prefix=OPT

// OPT: error: convert-norm-to-gpu: vector-bytes must be 1, 2, 4, 8 or 16, got 3
// OPT: exit=1

// Tensors are not lowered: bufferize first.
func.func @on_tensors(%x: tensor<?x64xf32>, %y: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // expected-error @+1 {{could not be lowered to GPU kernels: operands must be memrefs with identity layouts (bufferize first)}}
  %r = norm.rms_norm ins(%x : tensor<?x64xf32>) outs(%y : tensor<?x64xf32>) -> tensor<?x64xf32>
  return %r : tensor<?x64xf32>
}

// -----

// A strided view cannot be read with contiguous 128-bit vectors.
func.func @strided(%x: memref<?x64xf32, strided<[128, 1]>>, %y: memref<?x64xf32>) {
  // expected-error @+1 {{could not be lowered to GPU kernels}}
  norm.rms_norm ins(%x : memref<?x64xf32, strided<[128, 1]>>) outs(%y : memref<?x64xf32>)
  return
}

// -----

// Regression (found by norm-fuzz): kernels are named after their function,
// and a name PTX cannot spell reached the NVPTX backend's fatal error.
// expected-error @+1 {{convert-norm-to-gpu: 'bad name' cannot name GPU kernels (PTX symbols are [A-Za-z_$][A-Za-z0-9_$]*)}}
func.func @"bad name"(%x: memref<4x8xf32>, %y: memref<4x8xf32>) {
  norm.rms_norm ins(%x : memref<4x8xf32>) outs(%y : memref<4x8xf32>)
  return
}
