//===- LaunchBounds.cpp - nvvm.minctasm from convert-norm-to-gpu marks ---===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `norm-gpu-launch-bounds`: after gpu-kernel-outlining, each outlined kernel
// whose body carries convert-norm-to-gpu's `norm.min_blocks_per_sm` mark
// gets `nvvm.minctasm` (PTX .minnctapersm), and the marks are removed.
// Upstream has no way to give a gpu.launch launch bounds: outlining builds
// the gpu.func with its known block/grid sizes only, so the mark rides on an
// op of the body, which outlining keeps.
//
//===----------------------------------------------------------------------===//

#include "norm/Conversion/NormToGPU/NormToGPU.h"
#include "norm/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/NVVMDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMGPULAUNCHBOUNDSPASS
#include "norm/Conversion/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;

namespace {

struct NormGPULaunchBoundsPass
    : norm::impl::NormGPULaunchBoundsPassBase<NormGPULaunchBoundsPass> {
  void runOnOperation() override {
    WalkResult result = getOperation()->walk([](gpu::GPUFuncOp func) {
      IntegerAttr bound;
      Operation *conflict = nullptr;
      func.walk([&](Operation *op) {
        auto mark = op->getAttrOfType<IntegerAttr>(norm::kMinBlocksPerSMAttr);
        if (!mark)
          return;
        op->removeAttr(norm::kMinBlocksPerSMAttr);
        if (bound && bound != mark)
          conflict = op;
        bound = mark;
      });
      if (conflict) {
        conflict->emitError()
            << "norm-gpu-launch-bounds: two different '"
            << norm::kMinBlocksPerSMAttr << "' marks in kernel '"
            << func.getName() << "'";
        return WalkResult::interrupt();
      }
      if (!bound)
        return WalkResult::advance();
      if (!func.isKernel() || bound.getInt() < 1) {
        func.emitError() << "norm-gpu-launch-bounds: '"
                         << norm::kMinBlocksPerSMAttr
                         << "' must be ≥ 1 and inside a kernel";
        return WalkResult::interrupt();
      }
      func->setAttr(NVVM::NVVMDialect::getMinctasmAttrName(),
                    IntegerAttr::get(IntegerType::get(func.getContext(), 32),
                                     bound.getInt()));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};

} // namespace
