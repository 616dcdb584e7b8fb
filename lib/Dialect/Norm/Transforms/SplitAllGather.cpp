//===- SplitAllGather.cpp - norm-split-all-gather pass ----------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// SPMD code whose norm ops see one shard of the normalized dims: each op
// becomes pre_all_gather → shard.all_gather of the statistics →
// post_all_gather (gradients: dx from local row sums all-reduced over the
// shards). The rewrite is `buildDistributedNorm`, the same one
// `shard-partition` runs through the ops' ShardingInterface.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"
#include "norm/Dialect/Norm/Transforms/Sharding.h"

#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMSPLITALLGATHERPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {

template <typename OpTy>
struct SplitOverGrid final : OpRewritePattern<OpTy> {
  SplitOverGrid(MLIRContext *ctx, NormDistribution dist)
      : OpRewritePattern<OpTy>(ctx), dist(std::move(dist)) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "not on tensors");
    if constexpr (std::is_same_v<OpTy, RmsNormGradOp> ||
                  std::is_same_v<OpTy, LayerNormGradOp>)
      if (!op.getDx())
        return rewriter.notifyMatchFailure(
            op, "dgamma/dbeta of a column shard need nothing from the others");
    FailureOr<SmallVector<Value>> results = buildDistributedNorm(
        rewriter, op, SmallVector<Value>(op->getOperands()), dist);
    if (failed(results))
      return failure();
    rewriter.replaceOp(op, *results);
    return success();
  }

  NormDistribution dist;
};

struct NormSplitAllGatherPass final
    : norm::impl::NormSplitAllGatherPassBase<NormSplitAllGatherPass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    auto fail = [&](const Twine &message) {
      mlir::emitError(root->getLoc(), "norm-split-all-gather: ") << message;
      signalPassFailure();
    };
    if (grid.empty())
      return fail("needs the grid option (the shard.grid symbol)");
    auto gridAttr = FlatSymbolRefAttr::get(&getContext(), grid);
    auto gridOp = SymbolTable::lookupNearestSymbolFrom<shard::GridOp>(
        root, gridAttr.getAttr());
    if (!gridOp)
      return fail("no shard.grid named @" + grid + " is visible here");
    ArrayRef<int64_t> shape = gridOp.getShape();
    SmallVector<shard::GridAxis> axes;
    for (int64_t a : gridAxes) {
      if (a < 0 || a >= static_cast<int64_t>(shape.size()))
        return fail("grid-axes names axis " + Twine(a) + ", but @" + grid +
                    " has " + Twine(shape.size()) + " axes");
      if (llvm::is_contained(axes, a))
        return fail("grid-axes names axis " + Twine(a) + " twice");
      axes.push_back(static_cast<shard::GridAxis>(a));
    }
    if (axes.empty())
      for (int64_t a = 0, e = shape.size(); a < e; ++a)
        axes.push_back(static_cast<shard::GridAxis>(a));
    for (shard::GridAxis a : axes)
      if (shape[a] == 0)
        return fail("@" + grid + " has size 0 along axis " + Twine(a) +
                    ": a norm cannot be split over no devices");
    int64_t shards = shard::collectiveProcessGroupSize(axes, shape);
    if (shards <= 0 || ShapedType::isDynamic(shards))
      return fail("the grid's size along grid-axes must be static");

    RewritePatternSet patterns(&getContext());
    populateNormSplitAllGatherPatterns(patterns, gridAttr, axes, shards);
    if (failed(applyPatternsGreedily(root, std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::norm::populateNormSplitAllGatherPatterns(
    RewritePatternSet &patterns, FlatSymbolRefAttr grid,
    ArrayRef<shard::GridAxis> gridAxes, int64_t numShards) {
  NormDistribution dist;
  dist.grid = grid;
  dist.colAxes.assign(gridAxes.begin(), gridAxes.end());
  dist.numColShards = numShards;
  patterns.add<SplitOverGrid<RmsNormOp>, SplitOverGrid<LayerNormOp>,
               SplitOverGrid<RmsNormGradOp>, SplitOverGrid<LayerNormGradOp>>(
      patterns.getContext(), dist);
}
