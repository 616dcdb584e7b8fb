// A global function with its hidden dim annotated as sharded, partitioned
// and compiled by norm-lower-to-cpu: the collectives become MPI calls
// (MPICH ABI by default, Open MPI on request), no shard op or grid is left,
// and the whole-grid collective uses MPI_COMM_WORLD.
// RUN: norm-opt %s --pass-pipeline="builtin.module(func.func(sharding-propagation),func.func(shard-partition),canonicalize,norm-lower-to-cpu{parallel=false})" | FileCheck %s
// RUN: norm-opt %s --pass-pipeline="builtin.module(func.func(sharding-propagation),func.func(shard-partition),canonicalize,norm-lower-to-cpu{parallel=false mpi-implementation=OpenMPI})" | FileCheck %s --check-prefix=OMPI
// RUN: not norm-opt %s --pass-pipeline="builtin.module(func.func(sharding-propagation),func.func(shard-partition),norm-lower-to-cpu{mpi-implementation=LAM})" 2>&1 | FileCheck %s --check-prefix=BAD

// CHECK: module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "MPICH">
// CHECK-NOT: shard.
// CHECK-DAG: llvm.func @MPI_Allreduce(!llvm.ptr, !llvm.ptr, i32, i32, i32, i32) -> i32
// CHECK-DAG: llvm.func @MPI_Comm_rank(i32, !llvm.ptr) -> i32
// CHECK-NOT: MPI_Comm_split
// CHECK: llvm.func @layer(
// CHECK: llvm.call @MPI_Comm_rank
// CHECK: llvm.call @MPI_Allreduce
// OMPI: dlti.map = #dlti.map<"MPI:Implementation" = "OpenMPI">
// OMPI: llvm.mlir.global external @ompi_mpi_comm_world
// BAD: error: norm-lower-to-cpu: mpi-implementation must be MPICH or OpenMPI, got 'LAM'

shard.grid @grid(shape = 2)
func.func @layer(%x: tensor<4x64xbf16>, %w: tensor<64xbf16>) -> tensor<4x64xbf16> {
  %sh = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %sh annotate_for_users : tensor<4x64xbf16>
  %e = tensor.empty() : tensor<4x64xbf16>
  %y = norm.layer_norm ins(%xs : tensor<4x64xbf16>) gamma(%w : tensor<64xbf16>) outs(%e : tensor<4x64xbf16>) -> tensor<4x64xbf16>
  %ys = shard.shard %y to %sh annotate_for_users : tensor<4x64xbf16>
  return %ys : tensor<4x64xbf16>
}
