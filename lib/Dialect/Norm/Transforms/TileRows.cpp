//===- TileRows.cpp - norm-tile-rows pass -----------------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Tiles norm ops into scf.forall loops over rows through their
// TilingInterface, and gradient ops with dgamma/dbeta through their
// PartialReductionOpInterface (the upstream scf tiling driver does the
// work).
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMTILEROWSPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {

struct NormTileRowsPass final
    : norm::impl::NormTileRowsPassBase<NormTileRowsPass> {
  using Base::Base;

  /// dx + dgamma/dbeta in one pass over x and dy, through the op's
  /// PartialReductionOpInterface:
  ///   scf.forall over `grad-chunks` chunks of the innermost leading dim
  ///   (OuterParallel: chunk c writes partial row c of a [chunks, N] tensor)
  ///     scf.for over the chunk's rows by `tile-rows` (OuterReduction: the
  ///       dx rows, and dy·x̂ / dy added into [tile-rows, N] accumulators)
  ///     Σ of the accumulators → the chunk's partial row
  ///   Σ of the partial rows, in chunk order → dgamma / dbeta.
  /// The chunks are a fixed number, not one per thread, so dgamma/dbeta do
  /// not depend on the thread count.
  LogicalResult tileGradient(RewriterBase &rewriter, NormOpInterface op) {
    int64_t axis = op.getNormalizedAxis();
    int64_t rank = op.getInputRank();
    // No more chunks than rows, when the row count is known.
    int64_t numChunks = gradChunks;
    int64_t rowCount =
        cast<ShapedType>(op.getInput().getType()).getDimSize(axis - 1);
    if (!ShapedType::isDynamic(rowCount))
      numChunks = std::max<int64_t>(1, std::min(numChunks, rowCount));
    SmallVector<OpFoldResult> chunks(rank, rewriter.getIndexAttr(0));
    chunks[axis - 1] = rewriter.getIndexAttr(numChunks);
    scf::SCFTilingOptions outer;
    outer.setLoopType(scf::SCFTilingOptions::LoopType::ForallOp);
    outer.setReductionTilingStrategy(
        ReductionTilingStrategy::PartialReductionOuterParallel);
    outer.setNumThreads(chunks);
    outer.setReductionDims({static_cast<unsigned>(axis - 1)});
    rewriter.setInsertionPoint(op);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(op.getOperation()), outer);
    if (failed(tiled))
      return op->emitError("norm-tile-rows: could not split this gradient "
                           "op into chunks of rows");
    rewriter.replaceOp(op, tiled->replacements);
    if (tiled->tiledOps.size() != 1)
      return success();
    auto chunk = dyn_cast<TilingInterface>(tiled->tiledOps.front());
    if (!chunk)
      return success();

    SmallVector<OpFoldResult> rows(rank, rewriter.getIndexAttr(0));
    SmallVector<unsigned> leading;
    for (int64_t d = 0; d < axis; ++d) {
      rows[d] = rewriter.getIndexAttr(d == axis - 1 ? tileRows : 1);
      leading.push_back(d);
    }
    scf::SCFTilingOptions inner;
    inner.setLoopType(scf::SCFTilingOptions::LoopType::ForOp);
    inner.setReductionTilingStrategy(
        ReductionTilingStrategy::PartialReductionOuterReduction);
    inner.setTileSizes(rows);
    inner.setReductionDims(leading);
    rewriter.setInsertionPoint(chunk);
    FailureOr<scf::SCFTilingResult> rowLoop =
        scf::tileUsingSCF(rewriter, chunk, inner);
    if (failed(rowLoop))
      return chunk->emitError("norm-tile-rows: could not tile the rows of "
                              "this gradient chunk");
    rewriter.replaceOp(chunk, rowLoop->replacements);
    return success();
  }

  void runOnOperation() override {
    // Tile sizes become index constants and loop steps: bounded so that
    // step arithmetic cannot overflow (a tile past the rows is one tile).
    constexpr int64_t kMaxTile = int64_t(1) << 24;
    // Each chunk has a partial dgamma/dbeta row of N accumulators.
    constexpr int64_t kMaxGradChunks = 4096;
    if (tileRows < 1 || tileCols < 1 || tileRows > kMaxTile ||
        tileCols > kMaxTile) {
      mlir::emitError(getOperation()->getLoc())
          << "norm-tile-rows: tile-rows and tile-cols must be 1 to " << kMaxTile
          << ", got tile-rows=" << static_cast<int64_t>(tileRows)
          << " tile-cols=" << static_cast<int64_t>(tileCols);
      return signalPassFailure();
    }
    if (gradChunks < 1 || gradChunks > kMaxGradChunks) {
      mlir::emitError(getOperation()->getLoc())
          << "norm-tile-rows: grad-chunks must be 1 to " << kMaxGradChunks
          << ", got " << static_cast<int64_t>(gradChunks);
      return signalPassFailure();
    }
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
      // A gradient op with dgamma/dbeta sums over its rows: chunks of rows
      // in parallel, each with its own partial dgamma/dbeta, and one pass
      // over x and dy per chunk.
      // (Statically empty rows have nothing to split: left whole.)
      auto xType = cast<ShapedType>(op.getInput().getType());
      bool emptyRows = llvm::any_of(
          xType.getShape().take_front(axis), [](int64_t s) { return s == 0; });
      if (emptyRows)
        continue;
      if (axis > 0 && types.front() == utils::IteratorType::reduction &&
          isa<PartialReductionOpInterface>(op.getOperation())) {
        if (failed(tileGradient(rewriter, op)))
          return signalPassFailure();
        continue;
      }
      // Tile the parallel side: the rows, or for dgamma/dbeta-only ops
      // without rows the columns.
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
