// Bad options are diagnosed, and norm-opt exits 1.
// RUN: not norm-opt %s --norm-split-all-gather 2>&1 | FileCheck %s --check-prefix=NOGRID
// RUN: not norm-opt %s --norm-split-all-gather="grid=nope" 2>&1 | FileCheck %s --check-prefix=UNKNOWN
// RUN: not norm-opt %s --norm-split-all-gather="grid=grid grid-axes=3" 2>&1 | FileCheck %s --check-prefix=AXIS
// RUN: not norm-opt %s --norm-split-all-gather="grid=grid2 grid-axes=1,1" 2>&1 | FileCheck %s --check-prefix=TWICE
// RUN: not norm-opt %s --norm-split-all-gather="grid=dyn" 2>&1 | FileCheck %s --check-prefix=DYN
// RUN: not norm-opt %s --norm-split-all-gather="grid=empty" 2>&1 | FileCheck %s --check-prefix=ZERO

// NOGRID: error: norm-split-all-gather: needs the grid option (the shard.grid symbol)
// UNKNOWN: error: norm-split-all-gather: no shard.grid named @nope is visible here
// AXIS: error: norm-split-all-gather: grid-axes names axis 3, but @grid has 1 axes
// TWICE: error: norm-split-all-gather: grid-axes names axis 1 twice
// DYN: error: norm-split-all-gather: the grid's size along grid-axes must be static
// ZERO: error: norm-split-all-gather: @empty has size 0 along axis 1: a norm cannot be split over no devices

shard.grid @grid(shape = 4)
shard.grid @grid2(shape = 2x3)
shard.grid @dyn(shape = ?)
shard.grid @empty(shape = 2x0)
func.func @f(%x: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %e = tensor.empty() : tensor<8x64xf32>
  %y = norm.rms_norm ins(%x : tensor<8x64xf32>) outs(%e : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %y : tensor<8x64xf32>
}
