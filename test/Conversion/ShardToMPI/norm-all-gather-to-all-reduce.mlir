// RUN: norm-opt %s --split-input-file --norm-all-gather-to-all-reduce --canonicalize | FileCheck %s
// RUN: norm-opt %s --split-input-file --norm-all-gather-to-all-reduce --convert-shard-to-mpi --norm-finalize-mpi --canonicalize | FileCheck %s --check-prefix=MPI

shard.grid @grid(shape = 4)

// CHECK-LABEL: func.func @gather_last
// CHECK-SAME: (%[[S:.*]]: tensor<8x2xf32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[Z:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<8x8xf32>)
// CHECK: %[[P:.*]] = shard.process_multi_index on @grid axes = [0] : index
// CHECK: %[[OFF:.*]] = arith.muli %[[P]], %c2 : index
// CHECK: %[[IN:.*]] = tensor.insert_slice %[[S]] into %[[Z]][0, %[[OFF]]] [8, 2] [1, 1]
// CHECK: %[[R:.*]] = shard.all_reduce %[[IN]] on @grid grid_axes = [0] : tensor<8x8xf32> -> tensor<8x8xf32>
// CHECK: return %[[R]]
// MPI: module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "MPICH">}
// MPI-NOT: shard.grid
// MPI-LABEL: func.func @gather_last
// MPI: %[[W:.*]] = mpi.comm_world : !mpi.comm
// MPI: mpi.comm_rank(%[[W]])
// MPI-NOT: mpi.comm_split
// MPI: mpi.allreduce(%{{.*}}, %{{.*}}, MPI_SUM, %{{.*}}) : memref<64xf32>, memref<64xf32>
// MPI-NOT: shard.
func.func @gather_last(%s: tensor<8x2xf32>) -> tensor<8x8xf32> {
  %g = shard.all_gather %s on @grid grid_axes = [0] gather_axis = 1 : tensor<8x2xf32> -> tensor<8x8xf32>
  return %g : tensor<8x8xf32>
}

// -----

shard.grid @grid2(shape = 2x3)

// Over grid axis 1 of a 2×3 grid: the block's position is the index along
// that axis; the collective runs on a split communicator.
// CHECK-LABEL: func.func @gather_axis1
// CHECK: %[[P:.*]] = shard.process_multi_index on @grid2 axes = [1] : index
// CHECK: %[[OFF:.*]] = arith.muli %[[P]], %c3 : index
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, %[[OFF]]] [4, 3] [1, 1] : tensor<4x3xf64> into tensor<4x9xf64>
// CHECK: shard.all_reduce %{{.*}} on @grid2 grid_axes = [1] : tensor<4x9xf64> -> tensor<4x9xf64>
// MPI-LABEL: func.func @gather_axis1
// MPI: mpi.comm_split
// MPI: mpi.allreduce
func.func @gather_axis1(%s: tensor<4x3xf64>) -> tensor<4x9xf64> {
  %g = shard.all_gather %s on @grid2 grid_axes = [1] gather_axis = 1 : tensor<4x3xf64> -> tensor<4x9xf64>
  return %g : tensor<4x9xf64>
}
