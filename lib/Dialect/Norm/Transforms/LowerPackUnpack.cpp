//===- LowerPackUnpack.cpp - norm-lower-pack-unpack pass --------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// linalg.pack / linalg.unpack → pad/reshape/transpose, through upstream's
// linalg::lowerPack / linalg::lowerUnPack (which only the transform dialect
// exposes upstream), so that one-shot bufferization sees ops it handles.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMLOWERPACKUNPACKPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;

namespace {

struct LowerPack final : OpRewritePattern<linalg::PackOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::PackOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "not on tensors");
    if (failed(linalg::lowerPack(rewriter, op)))
      return rewriter.notifyMatchFailure(op, "upstream lowerPack failed");
    return success();
  }
};

struct LowerUnPack final : OpRewritePattern<linalg::UnPackOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(linalg::UnPackOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "not on tensors");
    if (failed(linalg::lowerUnPack(rewriter, op)))
      return rewriter.notifyMatchFailure(op, "upstream lowerUnPack failed");
    return success();
  }
};

struct NormLowerPackUnpackPass final
    : norm::impl::NormLowerPackUnpackPassBase<NormLowerPackUnpackPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    norm::populateNormLowerPackUnpackPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // What could not be lowered is reported where it is, not later as an
    // unlocated bufferization failure.
    WalkResult walk = getOperation()->walk([](Operation *op) {
      if (isa<linalg::PackOp, linalg::UnPackOp>(op) &&
          cast<DestinationStyleOpInterface>(op).hasPureTensorSemantics()) {
        op->emitOpError("could not be lowered to pad/reshape/transpose "
                        "(norm-lower-pack-unpack)");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace

void mlir::norm::populateNormLowerPackUnpackPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LowerPack, LowerUnPack>(patterns.getContext());
}
