//===- FinalizeMPI.cpp - norm-finalize-mpi pass -----------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// After convert-shard-to-mpi: whole-grid communicators are the world's,
// the mpi dialect lowers to LLVM only when the
// module names its MPI implementation (a DLTI entry), and the shard.grid
// symbols that nothing refers to any more must go (mlir-translate rejects
// them).
//
//===----------------------------------------------------------------------===//

#include "norm/Conversion/Passes.h"

#include "mlir/Dialect/DLTI/DLTI.h"
#include "mlir/Dialect/MPI/IR/MPI.h"
#include "mlir/Dialect/Shard/IR/ShardOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMFINALIZEMPIPASS
#include "norm/Conversion/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kImplementationKey = "MPI:Implementation";

struct NormFinalizeMPIPass final
    : norm::impl::NormFinalizeMPIPassBase<NormFinalizeMPIPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    if (implementation != "MPICH" && implementation != "OpenMPI") {
      mlir::emitError(module.getLoc(),
                      "norm-finalize-mpi: implementation must be MPICH or "
                       "OpenMPI, not '")
          << implementation << "'";
      return signalPassFailure();
    }
    // Shard ops left over mean convert-shard-to-mpi did not run or failed.
    WalkResult leftover = module.walk([&](Operation *op) {
      if (isa<shard::ShardDialect>(op->getDialect()) && !isa<shard::GridOp>(op)) {
        op->emitOpError("is still here: run convert-shard-to-mpi first");
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (leftover.wasInterrupted())
      return signalPassFailure();

    // LLVM 22's convert-shard-to-mpi splits MPI_COMM_WORLD for every
    // collective, even over the whole grid, and nothing frees the new
    // communicators (MPICH runs out after a few thousand calls). A split
    // with a constant color puts every process in one group, ordered by
    // the key, their linear index in the grid, which the shard-to-MPI
    // mapping makes their world rank: that is MPI_COMM_WORLD.
    module.walk([&](mpi::CommSplitOp split) {
      if (!split.getComm().getDefiningOp<mpi::CommWorldOp>() ||
          !matchPattern(split.getColor(), m_Constant()))
        return;
      split.getNewcomm().replaceAllUsesWith(split.getComm());
      split.erase();
    });

    for (auto grid :
         llvm::make_early_inc_range(module.getOps<shard::GridOp>()))
      if (SymbolTable::symbolKnownUseEmpty(grid, module))
        grid.erase();

    bool usesMPI = false;
    module.walk([&](Operation *op) {
      if (isa<mpi::MPIDialect>(op->getDialect())) {
        usesMPI = true;
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (!usesMPI || module->hasAttr(DLTIDialect::kMapAttrName))
      return;
    MLIRContext *ctx = &getContext();
    module->setAttr(
        DLTIDialect::kMapAttrName,
        MapAttr::get(ctx, {DataLayoutEntryAttr::get(
                              StringAttr::get(ctx, kImplementationKey),
                              StringAttr::get(ctx, implementation))}));
  }
};

} // namespace
