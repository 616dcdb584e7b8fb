// The norm ops' ShardingInterface: upstream sharding-propagation and
// shard-partition turn annotated global functions into SPMD code.
// RUN: norm-opt %s --split-input-file --pass-pipeline="builtin.module(func.func(sharding-propagation),func.func(shard-partition),canonicalize)" | FileCheck %s

shard.grid @grid(shape = 4)

// Hidden dim split: gamma's sharding is propagated from x, and the op
// becomes pre → all_gather → post on the local 16 columns.
// CHECK-LABEL: func.func @hidden
// CHECK-SAME: (%[[X:.*]]: tensor<8x16xf32>, %[[W:.*]]: tensor<16xf32>) -> (tensor<8x16xf32>, tensor<8xf32>)
// CHECK: %[[PRE:.*]] = norm.rms_norm_pre_all_gather ins(%[[X]] : tensor<8x16xf32>)
// CHECK: %[[G:.*]] = shard.all_gather %[[PRE]] on @grid grid_axes = [0] gather_axis = 1 : tensor<8x2xf32> -> tensor<8x8xf32>
// CHECK: %[[POST:.*]]:2 = norm.rms_norm_post_all_gather ins(%[[X]] : tensor<8x16xf32>) stats(%[[G]] : tensor<8x8xf32>) gamma(%[[W]] : tensor<16xf32>)
// CHECK: return %[[POST]]#0, %[[POST]]#1
func.func @hidden(%x: tensor<8x64xf32>, %w: tensor<64xf32>) -> (tensor<8x64xf32>, tensor<8xf32>) {
  %sh = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %sh : tensor<8x64xf32>
  %e = tensor.empty() : tensor<8x64xf32>
  %s = tensor.empty() : tensor<8xf32>
  %y, %rstd = norm.rms_norm ins(%xs : tensor<8x64xf32>) gamma(%w : tensor<64xf32>) outs(%e : tensor<8x64xf32>) rstd(%s : tensor<8xf32>) -> tensor<8x64xf32>, tensor<8xf32>
  %ys = shard.shard %y to %sh annotate_for_users : tensor<8x64xf32>
  return %ys, %rstd : tensor<8x64xf32>, tensor<8xf32>
}

// -----

shard.grid @grid(shape = 4)

// Rows split: the gradient runs on the local rows and dgamma (a sum over
// every row) is all-reduced over the row shards.
// CHECK-LABEL: func.func @rows
// CHECK-SAME: (%{{.*}}: tensor<2x64xf32>, %{{.*}}: tensor<2x64xf32>, %{{.*}}: tensor<2xf32>, %{{.*}}: tensor<64xf32>) -> (tensor<2x64xf32>, tensor<64xf32>)
// CHECK: %[[G:.*]]:2 = norm.rms_norm_grad {{.*}} outs dx(%{{.*}} : tensor<2x64xf32>) dgamma(%{{.*}} : tensor<64xf32>)
// CHECK: %[[R:.*]] = shard.all_reduce %[[G]]#1 on @grid grid_axes = [0] : tensor<64xf32> -> tensor<64xf32>
// CHECK: return %[[G]]#0, %[[R]]
func.func @rows(%dy: tensor<8x64xf32>, %x: tensor<8x64xf32>, %r: tensor<8xf32>, %w: tensor<64xf32>) -> (tensor<8x64xf32>, tensor<64xf32>) {
  %sh = shard.sharding @grid split_axes = [[0]] : !shard.sharding
  %xs = shard.shard %x to %sh : tensor<8x64xf32>
  %dys = shard.shard %dy to %sh : tensor<8x64xf32>
  %e = tensor.empty() : tensor<8x64xf32>
  %g = tensor.empty() : tensor<64xf32>
  %dx, %dw = norm.rms_norm_grad ins(%dys : tensor<8x64xf32>, %xs : tensor<8x64xf32>, %r : tensor<8xf32>) gamma(%w : tensor<64xf32>) outs dx(%e : tensor<8x64xf32>) dgamma(%g : tensor<64xf32>) -> tensor<8x64xf32>, tensor<64xf32>
  return %dx, %dw : tensor<8x64xf32>, tensor<64xf32>
}

// -----

shard.grid @grid2(shape = 2x2)

// Rows on grid axis 0 and the hidden dim on axis 1: row sums all-reduced
// over axis 1, dgamma over axis 0.
// CHECK-LABEL: func.func @both
// CHECK: shard.all_reduce %{{.*}} on @grid2 grid_axes = [1] : tensor<4xf32> -> tensor<4xf32>
// CHECK: %[[W:.*]] = norm.rms_norm_grad {{.*}} outs dgamma(%{{.*}} : tensor<32xf32>)
// CHECK: shard.all_reduce %[[W]] on @grid2 grid_axes = [0] : tensor<32xf32> -> tensor<32xf32>
func.func @both(%dy: tensor<8x64xf32>, %x: tensor<8x64xf32>, %r: tensor<8xf32>) -> (tensor<8x64xf32>, tensor<64xf32>) {
  %sh = shard.sharding @grid2 split_axes = [[0], [1]] : !shard.sharding
  %xs = shard.shard %x to %sh : tensor<8x64xf32>
  %dys = shard.shard %dy to %sh : tensor<8x64xf32>
  %e = tensor.empty() : tensor<8x64xf32>
  %g = tensor.empty() : tensor<64xf32>
  %dx, %dw = norm.rms_norm_grad ins(%dys : tensor<8x64xf32>, %xs : tensor<8x64xf32>, %r : tensor<8xf32>) outs dx(%e : tensor<8x64xf32>) dgamma(%g : tensor<64xf32>) -> tensor<8x64xf32>, tensor<64xf32>
  return %dx, %dw : tensor<8x64xf32>, tensor<64xf32>
}

// -----

shard.grid @grid(shape = 4)

// A runtime eps is a scalar: every shard reads it as is, and post takes it.
// CHECK-LABEL: func.func @hidden_runtime_eps
// CHECK-SAME: (%[[X:.*]]: tensor<8x16xf32>, %[[W:.*]]: tensor<16xf32>, %[[E:.*]]: f32)
// CHECK: %[[PRE:.*]] = norm.rms_norm_pre_all_gather ins(%[[X]] : tensor<8x16xf32>)
// CHECK: %[[G:.*]] = shard.all_gather %[[PRE]]
// CHECK: norm.rms_norm_post_all_gather ins(%[[X]] : tensor<8x16xf32>) stats(%[[G]] : tensor<8x8xf32>) gamma(%[[W]] : tensor<16xf32>) eps(%[[E]] : f32)
func.func @hidden_runtime_eps(%x: tensor<8x64xf32>, %w: tensor<64xf32>, %eps: f32) -> tensor<8x64xf32> {
  %sh = shard.sharding @grid split_axes = [[], [0]] : !shard.sharding
  %xs = shard.shard %x to %sh : tensor<8x64xf32>
  %e = tensor.empty() : tensor<8x64xf32>
  %y = norm.rms_norm ins(%xs : tensor<8x64xf32>) gamma(%w : tensor<64xf32>) eps(%eps : f32) outs(%e : tensor<8x64xf32>) -> tensor<8x64xf32>
  %ys = shard.shard %y to %sh annotate_for_users : tensor<8x64xf32>
  return %ys : tensor<8x64xf32>
}
