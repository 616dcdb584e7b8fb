//===- Decompose.cpp - norm-decompose pass ----------------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/ADT/StringSet.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMDECOMPOSEPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {

/// Replaces a norm op by its `decomposeOperation` DAG.
struct DecomposeNormOp final
    : OpInterfaceRewritePattern<linalg::AggregatedOpInterface> {
  DecomposeNormOp(MLIRContext *context, ArrayRef<std::string> filterOps)
      : OpInterfaceRewritePattern(context) {
    for (const std::string &name : filterOps)
      filter.insert(name);
  }

  LogicalResult matchAndRewrite(linalg::AggregatedOpInterface op,
                                PatternRewriter &rewriter) const override {
    if (!isa<NormOpInterface>(op.getOperation()))
      return rewriter.notifyMatchFailure(op, "not a norm op");
    if (!filter.empty() && !filter.contains(op->getName().getStringRef()))
      return rewriter.notifyMatchFailure(op, "not in filter-ops");
    FailureOr<SmallVector<Value>> values = op.decomposeOperation(rewriter);
    if (failed(values))
      return rewriter.notifyMatchFailure(op, "cannot decompose (memref?)");
    rewriter.replaceOp(op, *values);
    return success();
  }

  llvm::StringSet<> filter;
};

struct NormDecomposePass final
    : norm::impl::NormDecomposePassBase<NormDecomposePass> {
  using Base::Base;

  LogicalResult initialize(MLIRContext *context) override {
    // A misspelled op name would silently decompose nothing.
    for (const std::string &name : filterOps) {
      std::optional<RegisteredOperationName> info =
          RegisteredOperationName::lookup(name, context);
      if (!info || !info->hasInterface<NormOpInterface>())
        return emitError(UnknownLoc::get(context))
               << "norm-decompose: filter-ops names '" << name
               << "', which is not a norm op";
    }
    return success();
  }

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateNormDecomposePatterns(patterns, filterOps);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

void mlir::norm::populateNormDecomposePatterns(
    RewritePatternSet &patterns, ArrayRef<std::string> filterOps) {
  patterns.add<DecomposeNormOp>(patterns.getContext(), filterOps);
}
