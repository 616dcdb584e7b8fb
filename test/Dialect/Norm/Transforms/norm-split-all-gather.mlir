// RUN: norm-opt %s --split-input-file --norm-split-all-gather="grid=grid" | FileCheck %s
// RUN: norm-opt %s --split-input-file --norm-split-all-gather="grid=grid2 grid-axes=1" | FileCheck %s --check-prefix=AXIS1

shard.grid @grid(shape = 4)
shard.grid @grid2(shape = 2x3)

// RMSNorm with residual and no residual_out: pre still returns h for post.
// CHECK-LABEL: func.func @rms_residual
// CHECK-SAME: (%[[X:.*]]: tensor<8x64xbf16>, %[[W:.*]]: tensor<64xbf16>, %[[R:.*]]: tensor<8x64xbf16>)
// CHECK: %[[S0:.*]] = tensor.empty() : tensor<8x2xf32>
// CHECK: %[[H0:.*]] = tensor.empty() : tensor<8x64xbf16>
// CHECK: %[[PRE:.*]]:2 = norm.rms_norm_pre_all_gather ins(%[[X]] : tensor<8x64xbf16>) residual(%[[R]] : tensor<8x64xbf16>) outs(%[[S0]] : tensor<8x2xf32>) residual_out(%[[H0]] : tensor<8x64xbf16>) {stats_layout = #norm.stats<count_sumsq>}
// CHECK: %[[G:.*]] = shard.all_gather %[[PRE]]#0 on @grid grid_axes = [0] gather_axis = 1 : tensor<8x2xf32> -> tensor<8x8xf32>
// CHECK: %[[Y:.*]] = norm.rms_norm_post_all_gather ins(%[[PRE]]#1 : tensor<8x64xbf16>) stats(%[[G]] : tensor<8x8xf32>) gamma(%[[W]] : tensor<64xbf16>)
// CHECK-SAME: epsilon = 1.000000e-05 : f64, gamma_offset = 1.000000e+00 : f64
// CHECK-SAME: stats_layout = #norm.stats<count_sumsq>
// CHECK: return %[[Y]]
// AXIS1-LABEL: func.func @rms_residual
// AXIS1: shard.all_gather %{{.*}} on @grid2 grid_axes = [1] gather_axis = 1 : tensor<8x2xf32> -> tensor<8x6xf32>
func.func @rms_residual(%x: tensor<8x64xbf16>, %w: tensor<64xbf16>, %r: tensor<8x64xbf16>) -> tensor<8x64xbf16> {
  %e = tensor.empty() : tensor<8x64xbf16>
  %y = norm.rms_norm ins(%x : tensor<8x64xbf16>) gamma(%w : tensor<64xbf16>) residual(%r : tensor<8x64xbf16>) outs(%e : tensor<8x64xbf16>) {epsilon = 1.0e-5 : f64, gamma_offset = 1.0 : f64} -> tensor<8x64xbf16>
  return %y : tensor<8x64xbf16>
}

// LayerNorm with f32 accumulation: statistics in f64, rstd rounded to f32;
// residual_out comes from pre.
// CHECK-LABEL: func.func @layer
// CHECK: %[[PRE:.*]]:2 = norm.layer_norm_pre_all_gather {{.*}} outs(%{{.*}} : tensor<2x4x3xf64>) residual_out(%{{.*}} : tensor<2x4x32xf32>) {acc_type = f64, stats_layout = #norm.stats<count_sum_m2>}
// CHECK: %[[G:.*]] = shard.all_gather %[[PRE]]#0 on @grid grid_axes = [0] gather_axis = 2 : tensor<2x4x3xf64> -> tensor<2x4x12xf64>
// CHECK: %[[POST:.*]]:2 = norm.layer_norm_post_all_gather ins(%[[PRE]]#1 : tensor<2x4x32xf32>) stats(%[[G]] : tensor<2x4x12xf64>) {{.*}} rstd(%{{.*}} : tensor<2x4xf64>) {acc_type = f64
// CHECK: %[[RSTD:.*]] = linalg.generic
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK: return %[[POST]]#0, %[[RSTD]], %[[PRE]]#1
func.func @layer(%x: tensor<2x4x32xf32>, %r: tensor<2x4x32xf32>) -> (tensor<2x4x32xf32>, tensor<2x4xf32>, tensor<2x4x32xf32>) {
  %e = tensor.empty() : tensor<2x4x32xf32>
  %s = tensor.empty() : tensor<2x4xf32>
  %h = tensor.empty() : tensor<2x4x32xf32>
  %y, %rstd, %hh = norm.layer_norm ins(%x : tensor<2x4x32xf32>) residual(%r : tensor<2x4x32xf32>) outs(%e : tensor<2x4x32xf32>) rstd(%s : tensor<2x4xf32>) residual_out(%h : tensor<2x4x32xf32>) -> tensor<2x4x32xf32>, tensor<2x4xf32>, tensor<2x4x32xf32>
  return %y, %rstd, %hh : tensor<2x4x32xf32>, tensor<2x4xf32>, tensor<2x4x32xf32>
}

// Gradient: the per-row sums are all-reduced over the shards and divided
// by the full row length (64 local × 4 shards = 256); dgamma stays a local
// gradient op.
// CHECK-LABEL: func.func @layer_grad
// CHECK-DAG: %[[INVN:.*]] = arith.constant 3.906250e-03 : f32
// CHECK: %[[SUMS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]
// CHECK: %[[A:.*]] = shard.all_reduce %[[SUMS]]#0 on @grid grid_axes = [0] : tensor<8xf32> -> tensor<8xf32>
// CHECK: %[[B:.*]] = shard.all_reduce %[[SUMS]]#1 on @grid grid_axes = [0] : tensor<8xf32> -> tensor<8xf32>
// CHECK: %[[DX:.*]] = linalg.generic {{.*}} ins({{.*}}, %[[A]], %[[B]] : {{.*}}) outs(%{{.*}} : tensor<8x64xbf16>)
// CHECK: arith.mulf %{{.*}}, %[[INVN]] : f32
// CHECK: %[[DW:.*]]:2 = norm.layer_norm_grad {{.*}} outs dgamma(%{{.*}} : tensor<64xf32>) dbeta(%{{.*}} : tensor<64xf32>)
// CHECK: return %[[DX]], %[[DW]]#0, %[[DW]]#1
func.func @layer_grad(%dy: tensor<8x64xbf16>, %x: tensor<8x64xbf16>, %m: tensor<8xf32>, %r: tensor<8xf32>, %w: tensor<64xbf16>) -> (tensor<8x64xbf16>, tensor<64xf32>, tensor<64xf32>) {
  %e = tensor.empty() : tensor<8x64xbf16>
  %g = tensor.empty() : tensor<64xf32>
  %b = tensor.empty() : tensor<64xf32>
  %dx, %dw, %db = norm.layer_norm_grad ins(%dy : tensor<8x64xbf16>, %x : tensor<8x64xbf16>, %m : tensor<8xf32>, %r : tensor<8xf32>) gamma(%w : tensor<64xbf16>) outs dx(%e : tensor<8x64xbf16>) dgamma(%g : tensor<64xf32>) dbeta(%b : tensor<64xf32>) -> tensor<8x64xbf16>, tensor<64xf32>, tensor<64xf32>
  return %dx, %dw, %db : tensor<8x64xbf16>, tensor<64xf32>, tensor<64xf32>
}

// dgamma of a column shard needs nothing from the other shards.
// CHECK-LABEL: func.func @weights_only
// CHECK-NOT: shard.
// CHECK: norm.rms_norm_grad
// CHECK-NOT: shard.
func.func @weights_only(%dy: tensor<8x64xf32>, %x: tensor<8x64xf32>, %r: tensor<8xf32>) -> tensor<64xf32> {
  %g = tensor.empty() : tensor<64xf32>
  %dw = norm.rms_norm_grad ins(%dy : tensor<8x64xf32>, %x : tensor<8x64xf32>, %r : tensor<8xf32>) outs dgamma(%g : tensor<64xf32>) -> tensor<64xf32>
  return %dw : tensor<64xf32>
}

// A runtime eps goes to post; LayerNorm's post merges in f64, so it gets
// the eps widened (exactly).
// CHECK-LABEL: func.func @runtime_eps
// CHECK-SAME: (%[[X:.*]]: tensor<8x64xf32>, %[[E:.*]]: f32)
// CHECK: norm.rms_norm_post_all_gather {{.*}} eps(%[[E]] : f32)
// CHECK: %[[W:.*]] = arith.extf %[[E]] : f32 to f64
// CHECK: norm.layer_norm_post_all_gather {{.*}} eps(%[[W]] : f64)
func.func @runtime_eps(%x: tensor<8x64xf32>, %eps: f32) -> (tensor<8x64xf32>, tensor<8x64xf32>) {
  %e = tensor.empty() : tensor<8x64xf32>
  %a = norm.rms_norm ins(%x : tensor<8x64xf32>) eps(%eps : f32) outs(%e : tensor<8x64xf32>) -> tensor<8x64xf32>
  %b = norm.layer_norm ins(%x : tensor<8x64xf32>) eps(%eps : f32) outs(%e : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %a, %b : tensor<8x64xf32>, tensor<8x64xf32>
}
