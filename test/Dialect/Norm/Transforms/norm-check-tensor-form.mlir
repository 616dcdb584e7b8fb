// RUN: norm-opt %s -split-input-file --norm-check-tensor-form -verify-diagnostics
// RUN: %norm_exit norm-opt %s -split-input-file --norm-lower-to-cpu 2>&1 | FileCheck %s --check-prefix=CPU
// RUN: %norm_exit norm-opt %s -split-input-file --norm-lower-to-nvvm="format=isa" 2>&1 | FileCheck %s --check-prefix=NVVM

// CPU: error: 'norm.rms_norm' op on memrefs is not lowered by this pipeline
// CPU: error: 'norm.rms_norm' op inside 'gpu.launch' is not lowered by this pipeline
// CPU: error: 'norm.rms_norm_pre_all_gather' op on memrefs is not lowered by this pipeline
// CPU: exit=1
// NVVM: error: 'norm.rms_norm' op inside 'gpu.launch' is not lowered by this pipeline
// NVVM-NOT: 'norm.rms_norm_pre_all_gather' op on memrefs
// NVVM: exit=1

func.func @tensors(%x: tensor<8x64xf32>, %y0: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %y = norm.rms_norm ins(%x : tensor<8x64xf32>) outs(%y0 : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %y : tensor<8x64xf32>
}

// -----

func.func @memrefs(%x: memref<8x64xf32>, %y: memref<8x64xf32>) {
  // expected-error @+1 {{op on memrefs is not lowered by this pipeline; write it on tensors}}
  norm.rms_norm ins(%x : memref<8x64xf32>) outs(%y : memref<8x64xf32>)
  return
}

// -----

func.func @in_launch(%x: tensor<8x64xf32>, %y0: tensor<8x64xf32>) {
  %c1 = arith.constant 1 : index
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    // expected-error @+1 {{op inside 'gpu.launch' is not lowered by this pipeline}}
    %y = norm.rms_norm ins(%x : tensor<8x64xf32>) outs(%y0 : tensor<8x64xf32>) -> tensor<8x64xf32>
    gpu.terminator
  }
  return
}

// -----

// The GPU pipeline lowers every norm op on memrefs (convert-norm-to-gpu,
// the split ops too since 2026-12-03); the CPU pipeline and the pass with no
// `memref-ops` reject them.
func.func @split_memrefs(%x: memref<8x64xf32>, %s: memref<8x2xf32>) {
  // expected-error @+1 {{op on memrefs is not lowered by this pipeline}}
  norm.rms_norm_pre_all_gather ins(%x : memref<8x64xf32>) outs(%s : memref<8x2xf32>) {stats_layout = #norm.stats<count_sumsq>}
  return
}
