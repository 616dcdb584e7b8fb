// RUN: norm-opt %s --norm-gpu-launch-bounds -split-input-file -verify-diagnostics | FileCheck %s
// RUN: norm-opt %s --convert-norm-to-gpu --gpu-kernel-outlining --norm-gpu-launch-bounds -split-input-file -verify-diagnostics 2>&1 | FileCheck %s --check-prefix=PIPE

// A marked kernel gets nvvm.minctasm; the mark is removed; an unmarked
// kernel is left alone.
// CHECK-LABEL: gpu.module @m
// CHECK:         gpu.func @marked(%{{.*}}) kernel attributes {known_block_size = array<i32: 512, 1, 1>, nvvm.minctasm = 2 : i32}
// CHECK-NEXT:      gpu.block_id x
// CHECK-NOT:       norm.min_blocks_per_sm
// CHECK:         gpu.func @plain(%{{.*}}) kernel attributes {known_block_size = array<i32: 128, 1, 1>} {
// CHECK-NOT:     nvvm.minctasm
module attributes {gpu.container_module} {
  gpu.module @m {
    gpu.func @marked(%m: memref<?xindex>) kernel attributes {known_block_size = array<i32: 512, 1, 1>} {
      %b = gpu.block_id x {norm.min_blocks_per_sm = 2 : i32}
      memref.store %b, %m[%b] : memref<?xindex>
      gpu.return
    }
    gpu.func @plain(%m: memref<?xindex>) kernel attributes {known_block_size = array<i32: 128, 1, 1>} {
      %b = gpu.block_id x
      memref.store %b, %m[%b] : memref<?xindex>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @m {
    gpu.func @two(%m: memref<?xindex>) kernel {
      %a = gpu.block_id x {norm.min_blocks_per_sm = 2 : i32}
      // expected-error @+1 {{two different 'norm.min_blocks_per_sm' marks in kernel 'two'}}
      %b = gpu.block_id y {norm.min_blocks_per_sm = 4 : i32}
      memref.store %a, %m[%b] : memref<?xindex>
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  gpu.module @m {
    // expected-error @+1 {{'norm.min_blocks_per_sm' must be ≥ 1 and inside a kernel}}
    gpu.func @helper(%m: memref<?xindex>) {
      %a = gpu.block_id x {norm.min_blocks_per_sm = 2 : i32}
      memref.store %a, %m[%a] : memref<?xindex>
      gpu.return
    }
  }
}

// -----

// Through the real producers: the persistent gradient kernel (one block of
// 512 threads per SM for N = 16384 bf16) comes out of outlining with
// nvvm.minctasm = 1; the column-sum kernel and the zero fill (M = 0) have
// no bound.
// PIPE-LABEL: gpu.module @rms_grad_kernel {
// PIPE:         gpu.func @rms_grad_kernel({{.*}}) kernel attributes {known_block_size = array<i32: 512, 1, 1>, nvvm.minctasm = 1 : i32}
// PIPE-NOT:     norm.min_blocks_per_sm
// PIPE-LABEL: gpu.module @rms_grad_kernel_0 {
// PIPE:         gpu.func @rms_grad_kernel({{.*}}) kernel attributes {known_block_size = array<i32: 32, 32, 1>, known_grid_size = array<i32: 512, 1, 1>} {
// PIPE-LABEL: gpu.module @rms_grad_kernel_1 {
// PIPE:         gpu.func @rms_grad_kernel({{.*}}) kernel attributes {known_block_size = array<i32: 256, 1, 1>, known_grid_size = array<i32: 64, 1, 1>} {
// PIPE-NOT:     nvvm.minctasm
func.func @rms_grad(%dy: memref<?x16384xf32>, %x: memref<?x16384xf32>,
                    %rstd: memref<?xf32>, %w: memref<16384xf32>,
                    %dx: memref<?x16384xf32>, %dw: memref<16384xf32>) {
  norm.rms_norm_grad ins(%dy : memref<?x16384xf32>, %x : memref<?x16384xf32>,
                         %rstd : memref<?xf32>)
      gamma(%w : memref<16384xf32>)
      outs dx(%dx : memref<?x16384xf32>) dgamma(%dw : memref<16384xf32>)
  return
}
