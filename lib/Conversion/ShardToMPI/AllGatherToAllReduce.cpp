//===- AllGatherToAllReduce.cpp - norm-all-gather-to-all-reduce -*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// LLVM 22's convert-shard-to-mpi lowers shard.all_reduce but not
// shard.all_gather, and its mpi dialect has no allgather. An all-gather is
// an all-reduce (sum) of a zero tensor of the gathered shape in which each
// process has written its own block at its offset: exact, and the bytes
// are the statistics of one row per shard, which are few.
//
//===----------------------------------------------------------------------===//

#include "norm/Conversion/Passes.h"
#include "norm/Conversion/ShardToMPI/ShardToMPI.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMALLGATHERTOALLREDUCEPASS
#include "norm/Conversion/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {

struct AllGatherToAllReduce final : OpRewritePattern<shard::AllGatherOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(shard::AllGatherOp op,
                                PatternRewriter &rewriter) const override {
    auto inType = dyn_cast<RankedTensorType>(op.getInput().getType());
    auto outType = dyn_cast<RankedTensorType>(op.getResult().getType());
    if (!inType || !outType)
      return rewriter.notifyMatchFailure(op, "not on ranked tensors");
    int64_t axis = op.getGatherAxis().getSExtValue();
    SymbolTableCollection symbols;
    shard::GridOp grid = shard::getGrid(op, symbols);
    if (!grid)
      return op.emitOpError("refers to no shard.grid");
    ArrayRef<shard::GridAxis> gridAxes = op.getGridAxes();
    SmallVector<int64_t> basis;
    for (shard::GridAxis a : gridAxes)
      basis.push_back(grid.getShape()[a]);
    if (llvm::any_of(basis, ShapedType::isDynamic) ||
        ShapedType::isDynamic(inType.getDimSize(axis)))
      return op.emitOpError(
          "needs a static grid and a static size along gather_axis to be "
          "lowered to MPI");

    Location loc = op.getLoc();
    Type elementType = outType.getElementType();
    SmallVector<OpFoldResult> inSizes =
        tensor::getMixedSizes(rewriter, loc, op.getInput());
    SmallVector<OpFoldResult> outSizes(inSizes);
    outSizes[axis] =
        rewriter.getIndexAttr(outType.getDimSize(axis));
    Value zero = arith::ConstantOp::create(rewriter, loc, elementType,
                                           rewriter.getZeroAttr(elementType));
    Value empty =
        tensor::EmptyOp::create(rewriter, loc, outSizes, elementType);
    Value zeros =
        linalg::FillOp::create(rewriter, loc, zero, empty).getResult(0);

    // This process's position among the processes of the group, in the
    // order the gather concatenates them (row-major over grid_axes).
    Value position;
    if (gridAxes.empty()) {
      position = arith::ConstantIndexOp::create(rewriter, loc, 0);
    } else {
      auto multi = shard::ProcessMultiIndexOp::create(
          rewriter, loc, grid.getSymName(), gridAxes);
      position = affine::AffineLinearizeIndexOp::create(
          rewriter, loc, multi.getResults(), basis, /*disjoint=*/true);
    }
    Value offset = arith::MulIOp::create(
        rewriter, loc, position,
        arith::ConstantIndexOp::create(rewriter, loc,
                                       inType.getDimSize(axis)));
    SmallVector<OpFoldResult> offsets(inType.getRank(),
                                      rewriter.getIndexAttr(0));
    offsets[axis] = offset;
    SmallVector<OpFoldResult> strides(inType.getRank(),
                                      rewriter.getIndexAttr(1));
    Value placed = tensor::InsertSliceOp::create(
        rewriter, loc, op.getInput(), zeros, offsets, inSizes, strides);
    Value reduced = shard::AllReduceOp::create(
        rewriter, loc, outType, op.getGridAttr(), op.getGridAxesAttr(), placed,
        shard::ReductionKindAttr::get(rewriter.getContext(),
                                      shard::ReductionKind::Sum));
    rewriter.replaceOp(op, reduced);
    return success();
  }
};

struct NormAllGatherToAllReducePass final
    : norm::impl::NormAllGatherToAllReducePassBase<
          NormAllGatherToAllReducePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateAllGatherToAllReducePatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
    // A gather the pattern could not lower would fail later in MPI form.
    getOperation()->walk([&](shard::AllGatherOp op) {
      op.emitOpError("was not lowered to an all-reduce");
      signalPassFailure();
    });
  }
};

} // namespace

void mlir::norm::populateAllGatherToAllReducePatterns(
    RewritePatternSet &patterns) {
  patterns.add<AllGatherToAllReduce>(patterns.getContext());
}
