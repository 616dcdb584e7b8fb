//===- SetLLVMTarget.cpp - norm-set-llvm-target pass ------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/TargetParser/Host.h"

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
    // "native" is no processor LLVM knows: the host's CPU is.
    std::string cpuName = cpu == "native" ? llvm::sys::getHostCPUName().str()
                                          : std::string(cpu);
    getOperation()->walk([&](LLVM::LLVMFuncOp func) {
      if (!cpuName.empty())
        func.setTargetCpuAttr(StringAttr::get(context, cpuName));
      if (!features.empty())
        func.setTargetFeaturesAttr(
            LLVM::TargetFeaturesAttr::get(context, features));
    });
  }
};

} // namespace
