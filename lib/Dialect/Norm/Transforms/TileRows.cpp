//===- TileRows.cpp - norm-tile-rows pass -----------------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Tiles norm ops into scf.forall loops over rows through their
// TilingInterface (the upstream scf tiling driver does the work).
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMTILEROWSPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {

/// dx + dgamma/dbeta → a dx-only op and a dgamma/dbeta-only op.
template <typename OpTy>
struct SplitGradient final : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics() || !op.getDx() ||
        (!op.getDgamma() && !op.getDbeta()))
      return rewriter.notifyMatchFailure(op, "nothing to split");
    // The dx init is told apart by position, not by value: the inits may be
    // one value (legal for rank 1, or axis 0 of a square tensor), and a
    // split by value would not split and rewrite forever.
    unsigned dxNumber = op.getDxMutable().begin()->getOperandNumber();
    auto isInit = [&](OpOperand &operand) {
      return operand.getOperandNumber() >= op.getNumDpsInputs();
    };
    OpTy dxOp = norm::detail::cloneWithoutOperands(rewriter, op, [&](OpOperand &o) {
      return isInit(o) && o.getOperandNumber() != dxNumber;
    });
    OpTy colsOp = norm::detail::cloneWithoutOperands(
        rewriter, op, [&](OpOperand &o) { return o.getOperandNumber() == dxNumber; });
    SmallVector<Value> replacements = {dxOp->getResult(0)};
    llvm::append_range(replacements, colsOp->getResults());
    rewriter.replaceOp(op, replacements);
    return success();
  }
};

struct NormTileRowsPass final
    : norm::impl::NormTileRowsPassBase<NormTileRowsPass> {
  using Base::Base;

  void runOnOperation() override {
    // Tile sizes become index constants and loop steps: bounded so that
    // step arithmetic cannot overflow (a tile past the rows is one tile).
    constexpr int64_t kMaxTile = int64_t(1) << 24;
    if (tileRows < 1 || tileCols < 1 || tileRows > kMaxTile ||
        tileCols > kMaxTile) {
      mlir::emitError(getOperation()->getLoc())
          << "norm-tile-rows: tile-rows and tile-cols must be 1 to " << kMaxTile
          << ", got tile-rows=" << static_cast<int64_t>(tileRows)
          << " tile-cols=" << static_cast<int64_t>(tileCols);
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    populateNormSplitGradientPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();

    SmallVector<NormOpInterface> ops;
    getOperation()->walk([&](NormOpInterface op) {
      if (cast<DestinationStyleOpInterface>(op.getOperation())
              .hasPureTensorSemantics())
        ops.push_back(op);
    });
    IRRewriter rewriter(&getContext());
    for (NormOpInterface op : ops) {
      auto tileable = cast<TilingInterface>(op.getOperation());
      SmallVector<utils::IteratorType> types =
          tileable.getLoopIteratorTypes();
      int64_t axis = op.getNormalizedAxis();
      int64_t rank = op.getInputRank();
      // Tile the parallel side: the rows, or for dgamma/dbeta-only ops the
      // columns (innermost normalized dim by tile-cols).
      bool byRows = axis > 0 && types.front() == utils::IteratorType::parallel;
      bool byCols = !byRows && types.back() == utils::IteratorType::parallel;
      if (!byRows && !byCols)
        continue;
      SmallVector<OpFoldResult> tileSizes(rank, rewriter.getIndexAttr(0));
      if (byRows) {
        for (int64_t d = 0; d < axis; ++d)
          tileSizes[d] = rewriter.getIndexAttr(d == axis - 1 ? tileRows : 1);
      } else {
        for (int64_t d = axis; d < rank; ++d)
          tileSizes[d] = rewriter.getIndexAttr(d == rank - 1 ? tileCols : 1);
      }
      scf::SCFTilingOptions options;
      options.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
      options.setTileSizes(tileSizes);
      rewriter.setInsertionPoint(op);
      FailureOr<scf::SCFTilingResult> tiled =
          scf::tileUsingSCF(rewriter, tileable, options);
      if (failed(tiled)) {
        op->emitError("norm-tile-rows: could not tile this op");
        return signalPassFailure();
      }
      rewriter.replaceOp(op, tiled->replacements);
    }
  }
};

} // namespace

void mlir::norm::populateNormSplitGradientPatterns(
    RewritePatternSet &patterns) {
  patterns.add<SplitGradient<RmsNormGradOp>, SplitGradient<LayerNormGradOp>>(
      patterns.getContext());
}
