//===- SetLLVMTarget.cpp - norm-set-llvm-target pass ------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMSETLLVMTARGETPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;

namespace {

struct NormSetLLVMTargetPass final
    : norm::impl::NormSetLLVMTargetPassBase<NormSetLLVMTargetPass> {
  using Base::Base;

  void runOnOperation() override {
    MLIRContext *context = &getContext();
    getOperation()->walk([&](LLVM::LLVMFuncOp func) {
      if (!cpu.empty())
        func.setTargetCpuAttr(StringAttr::get(context, cpu));
      if (!features.empty())
        func.setTargetFeaturesAttr(
            LLVM::TargetFeaturesAttr::get(context, features));
    });
  }
};

} // namespace
