//===- Sharding.h - norm ops across a device grid ---------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The SPMD form of rms_norm, layer_norm and their gradients when their rows
// and/or their normalized dims are split over the axes of a `shard.grid`:
// the one builder that both `norm-split-all-gather` and the norm ops'
// `shard::ShardingInterface` partition method (run by upstream
// `shard-partition`) use.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_TRANSFORMS_SHARDING_H
#define NORM_DIALECT_NORM_TRANSFORMS_SHARDING_H

#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Support/LLVM.h"

namespace mlir {
class DialectRegistry;
class RewritePatternSet;
namespace norm {

/// How a norm op's iteration space is distributed over a grid.
struct NormDistribution {
  /// The `shard.grid` symbol.
  FlatSymbolRefAttr grid;
  /// Grid axes that split the rows (leading dims of `x`), in order.
  SmallVector<shard::GridAxis> rowAxes;
  /// Grid axes that split the normalized dims, in order.
  SmallVector<shard::GridAxis> colAxes;
  /// Number of shards of each row: the product of the grid's sizes along
  /// `colAxes` (static).
  int64_t numColShards = 1;
};

/// Builds, at `rewriter`'s insertion point, the per-device form of `op` (an
/// rms_norm, layer_norm, rms_norm_grad or layer_norm_grad on tensors) whose
/// operands' local shards are `localOperands` (in `op`'s operand order), and
/// returns the local values of `op`'s results:
///
/// * normalized dims split: forward → `*_pre_all_gather` → `shard.all_gather`
///   of the statistics along their last dim over `colAxes` →
///   `*_post_all_gather`; gradients → dx from the local shard with its
///   per-row sums (Σ g·x̂, and Σ g for layer norm) `shard.all_reduce`d over
///   `colAxes`; dgamma/dbeta stay local to the column shard;
/// * rows split: the op on the local rows; dgamma/dbeta are
///   `shard.all_reduce`d (sum) over `rowAxes`.
FailureOr<SmallVector<Value>>
buildDistributedNorm(RewriterBase &rewriter, Operation *op, ValueRange localOperands,
                     const NormDistribution &distribution);

/// Rewrites every rms_norm, layer_norm and gradient op on tensors into its
/// form with the normalized dims split over `gridAxes` of `grid` (the
/// operands are already the local shards: SPMD code).
void populateNormSplitAllGatherPatterns(RewritePatternSet &patterns,
                                        FlatSymbolRefAttr grid,
                                        ArrayRef<shard::GridAxis> gridAxes,
                                        int64_t numShards);

/// Registers `shard::ShardingInterface` for rms_norm, layer_norm,
/// rms_norm_grad and layer_norm_grad (upstream `sharding-propagation` and
/// `shard-partition` then handle them).
void registerShardingInterfaceExternalModels(DialectRegistry &registry);

} // namespace norm
} // namespace mlir

#endif // NORM_DIALECT_NORM_TRANSFORMS_SHARDING_H
