//===- CheckLowered.cpp - norm-check-lowered pass ---------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The pipelines' last step: fail, located at the op, on anything that LLVM
// IR translation would reject, instead of exiting 0 with unusable output.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringExtras.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMCHECKLOWEREDPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;

namespace {

struct NormCheckLoweredPass final
    : norm::impl::NormCheckLoweredPassBase<NormCheckLoweredPass> {
  using Base::Base;
  void runOnOperation() override {
    SmallVector<std::string> accepted(dialects.begin(), dialects.end());
    if (accepted.empty())
      accepted = {"builtin", "llvm", "omp"};
    WalkResult walk = getOperation()->walk([&](Operation *op) {
      StringRef ns = op->getName().getDialectNamespace();
      if (llvm::is_contained(accepted, ns) ||
          llvm::is_contained(accepted, op->getName().getStringRef()))
        return WalkResult::advance();
      op->emitError() << "'" << op->getName()
                      << "' was not lowered to LLVM: the lowered module "
                         "may hold only ops of the dialects "
                      << llvm::join(accepted, ", ");
      return WalkResult::interrupt();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
