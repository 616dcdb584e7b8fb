//===- NontemporalStores.cpp - norm-nontemporal-stores pass -----*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Marks the vector stores into a function's argument buffers nontemporal
// (streaming stores that bypass the caches) when one store writes at least
// a cache line. Upstream has the `nontemporal` flag on vector.store but no
// pass that sets it; vector.transfer_write has no such flag, so eligible
// transfer_writes become vector.store.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMNONTEMPORALSTORESPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {

/// Whether `memref` is (a view of) an argument of the enclosing function:
/// the caller's buffer, not a temporary that is read back soon.
bool isArgumentBuffer(Value memref) {
  while (true) {
    if (auto arg = dyn_cast<BlockArgument>(memref))
      return isa<FunctionOpInterface>(arg.getOwner()->getParentOp());
    Operation *def = memref.getDefiningOp();
    if (auto view = dyn_cast_or_null<ViewLikeOpInterface>(def)) {
      memref = view.getViewSource();
      continue;
    }
    if (auto cast = dyn_cast_or_null<memref::CastOp>(def)) {
      memref = cast.getSource();
      continue;
    }
    return false;
  }
}

/// Whether a store of `type` writes at least `minBytes` bytes.
bool isWideEnough(VectorType type, int64_t minBytes) {
  unsigned bits = type.getElementTypeBitWidth();
  return !type.isScalable() && bits % 8 == 0 &&
         type.getNumElements() * (bits / 8) >= minBytes;
}

/// In-bounds, unmasked, minor-identity transfer_write of a 1-D vector into
/// an argument buffer → vector.store {nontemporal = true}.
struct StreamTransferWrite final
    : OpRewritePattern<vector::TransferWriteOp> {
  StreamTransferWrite(MLIRContext *context, int64_t minBytes)
      : OpRewritePattern(context), minBytes(minBytes) {}

  LogicalResult matchAndRewrite(vector::TransferWriteOp op,
                                PatternRewriter &rewriter) const override {
    auto memrefType = dyn_cast<MemRefType>(op.getBase().getType());
    VectorType vectorType = op.getVectorType();
    // vector.store needs a unit innermost stride (a strided view would be
    // written as if it were contiguous).
    if (!memrefType || !memrefType.isLastDimUnitStride() || op.getMask() ||
        vectorType.getRank() != 1 ||
        !op.getPermutationMap().isMinorIdentity() ||
        llvm::any_of(op.getInBoundsValues(), [](bool b) { return !b; }) ||
        !isWideEnough(vectorType, minBytes) || !isArgumentBuffer(op.getBase()))
      return rewriter.notifyMatchFailure(op, "not a wide store to an argument");
    auto store = rewriter.replaceOpWithNewOp<vector::StoreOp>(
        op, op.getVector(), op.getBase(), op.getIndices());
    store.setNontemporal(true);
    return success();
  }
  int64_t minBytes;
};

/// vector.store into an argument buffer → nontemporal.
struct StreamStore final : OpRewritePattern<vector::StoreOp> {
  StreamStore(MLIRContext *context, int64_t minBytes)
      : OpRewritePattern(context), minBytes(minBytes) {}

  LogicalResult matchAndRewrite(vector::StoreOp op,
                                PatternRewriter &rewriter) const override {
    if (op.getNontemporal() || op.getVectorType().getRank() != 1 ||
        !isWideEnough(op.getVectorType(), minBytes) ||
        !isArgumentBuffer(op.getBase()))
      return failure();
    rewriter.modifyOpInPlace(op, [&] { op.setNontemporal(true); });
    return success();
  }
  int64_t minBytes;
};

struct NormNontemporalStoresPass final
    : norm::impl::NormNontemporalStoresPassBase<
          NormNontemporalStoresPass> {
  using Base::Base;

  void runOnOperation() override {
    if (minBytes < 1 || minBytes > 4096) {
      mlir::emitError(getOperation()->getLoc())
          << "norm-nontemporal-stores: min-bytes must be 1 to 4096, got "
          << static_cast<int64_t>(minBytes);
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateNormNontemporalStoresPatterns(patterns, minBytes);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};

} // namespace

void mlir::norm::populateNormNontemporalStoresPatterns(
    RewritePatternSet &patterns, int64_t minBytes) {
  patterns.add<StreamTransferWrite, StreamStore>(patterns.getContext(),
                                                 minBytes);
}
