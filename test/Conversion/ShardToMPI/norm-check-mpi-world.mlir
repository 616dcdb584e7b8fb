// RUN: norm-opt %s --norm-check-mpi-world -split-input-file -verify-diagnostics | FileCheck %s
// A function that communicates on a grid of P processes counts the
// processes first and stops with a message (write to fd 2, abort) when the
// count is not P (issue 21 item 7). Execution: test/Integration/MPI.

shard.grid @grid(shape = 2x2)

// CHECK: llvm.mlir.global internal constant @__norm_mpi_world_message_0("norm: @f was partitioned for the 4 processes of @grid (shape 2x2) but runs on another number of MPI processes\0A")
// CHECK-LABEL: func.func @f
// CHECK:   %[[ONE:.+]] = arith.constant dense<1> : tensor<1xi64>
// CHECK:   %[[N:.+]] = shard.all_reduce %[[ONE]] on @grid grid_axes = [0, 1] : tensor<1xi64> -> tensor<1xi64>
// CHECK:   %[[V:.+]] = tensor.extract %[[N]]
// CHECK:   %[[BAD:.+]] = arith.cmpi ne, %[[V]], %c4_i64
// CHECK:   scf.if %[[BAD]] {
// CHECK:     llvm.call @write
// CHECK:     llvm.call @abort()
// CHECK-LABEL: func.func @local
// CHECK-NOT: shard.all_reduce
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = shard.all_reduce %x on @grid grid_axes = [1] : tensor<4xf32> -> tensor<4xf32>
  return %r : tensor<4xf32>
}
func.func @local(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

shard.grid @dyn(shape = ?)
// expected-error @+1 {{norm-check-mpi-world: grid @dyn has a dynamic shape: the number of processes cannot be checked}}
func.func @g(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = shard.all_reduce %x on @dyn grid_axes = [0] : tensor<4xf32> -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

shard.grid @a(shape = 2)
shard.grid @b(shape = 4)
// expected-error @+1 {{the function uses grids @a (2 processes) and @b (4): one program runs on one number of processes}}
func.func @h(%x: tensor<4xf32>) -> tensor<4xf32> {
  %r = shard.all_reduce %x on @a grid_axes = [0] : tensor<4xf32> -> tensor<4xf32>
  %s = shard.all_reduce %r on @b grid_axes = [0] : tensor<4xf32> -> tensor<4xf32>
  return %s : tensor<4xf32>
}
