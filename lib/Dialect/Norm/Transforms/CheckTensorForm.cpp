//===- CheckTensorForm.cpp - norm-check-tensor-form pass --------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The pipelines' first step: their norm lowering works on tensors; a norm op
// on memrefs (or inside a gpu.launch) is rejected where it is.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMCHECKTENSORFORMPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;

namespace {

struct NormCheckTensorFormPass final
    : norm::impl::NormCheckTensorFormPassBase<NormCheckTensorFormPass> {
  using Base::Base;
  void runOnOperation() override {
    WalkResult walk = getOperation()->walk([&](Operation *op) {
      if (!isa<norm::NormDialect>(op->getDialect()))
        return WalkResult::advance();
      auto dps = dyn_cast<DestinationStyleOpInterface>(op);
      if (dps && !dps.hasPureTensorSemantics() &&
          !llvm::is_contained(memrefOps, op->getName().getStringRef())) {
        op->emitOpError()
            << "on memrefs is not lowered by this pipeline; write it on "
               "tensors (bufferization.to_tensor of the inputs, "
               "bufferization.materialize_in_destination of the results)";
        return WalkResult::interrupt();
      }
      for (Operation *p = op->getParentOp(); p; p = p->getParentOp())
        if (isa_and_nonnull<gpu::GPUDialect>(p->getDialect())) {
          op->emitOpError() << "inside '" << p->getName()
                            << "' is not lowered by this pipeline; write it "
                               "on the host, the GPU pipeline launches its "
                               "own kernels";
          return WalkResult::interrupt();
        }
      return WalkResult::advance();
    });
    if (walk.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
