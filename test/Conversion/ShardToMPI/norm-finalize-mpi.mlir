// RUN: norm-opt %s --split-input-file --norm-finalize-mpi="implementation=OpenMPI" --verify-diagnostics | FileCheck %s
// RUN: not norm-opt %s --split-input-file --norm-finalize-mpi="implementation=LAM" 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: error: norm-finalize-mpi: implementation must be MPICH or OpenMPI, not 'LAM'

// CHECK: module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "OpenMPI">}
// CHECK-NOT: shard.grid
// CHECK-LABEL: func.func @world
// CHECK-NOT: mpi.comm_split
// CHECK: %[[W:.*]] = mpi.comm_world : !mpi.comm
// CHECK-NEXT: mpi.allreduce(%{{.*}}, %{{.*}}, MPI_SUM, %[[W]])
shard.grid @grid(shape = 4)
func.func @world(%b: memref<8xf32>, %key: i32) {
  %c0 = arith.constant 0 : i32
  %w = mpi.comm_world : !mpi.comm
  %c = mpi.comm_split(%w, %c0, %key) : !mpi.comm
  mpi.allreduce(%b, %b, MPI_SUM, %c) : memref<8xf32>, memref<8xf32>
  return
}

// -----

// A split whose color depends on the process stays.
// CHECK-LABEL: func.func @group
// CHECK: mpi.comm_split
func.func @group(%b: memref<8xf32>, %color: i32, %key: i32) {
  %w = mpi.comm_world : !mpi.comm
  %c = mpi.comm_split(%w, %color, %key) : !mpi.comm
  mpi.allreduce(%b, %b, MPI_SUM, %c) : memref<8xf32>, memref<8xf32>
  return
}

// -----

shard.grid @grid(shape = 4)
func.func @leftover(%s: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @below {{is still here: run convert-shard-to-mpi first}}
  %r = shard.all_reduce %s on @grid grid_axes = [0] : tensor<8xf32> -> tensor<8xf32>
  return %r : tensor<8xf32>
}
