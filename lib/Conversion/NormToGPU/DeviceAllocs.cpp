//===- DeviceAllocs.cpp - host temporaries into device memory ---*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `norm-gpu-device-allocs`: bufferization allocates temporaries with
// memref.alloc in host code; when kernels use them they must live in device
// memory. Upstream has no pass for this (gpu-to-llvm lowers gpu.alloc, but
// nothing produces it from memref.alloc), so this one does.
//
//===----------------------------------------------------------------------===//

#include "norm/Conversion/Passes.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMGPUDEVICEALLOCSPASS
#include "norm/Conversion/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {

bool onHost(Operation *op) {
  return !op->getParentOfType<gpu::LaunchOp>() &&
         !op->getParentOfType<gpu::GPUModuleOp>();
}

bool inHostSpace(MemRefType type) {
  return !type.getMemorySpace() ||
         (isa<IntegerAttr>(type.getMemorySpace()) &&
          type.getMemorySpaceAsInt() == 0);
}

struct AllocToGPU final : OpRewritePattern<memref::AllocOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::AllocOp op,
                                PatternRewriter &rewriter) const override {
    if (!onHost(op) || !inHostSpace(op.getType()))
      return rewriter.notifyMatchFailure(op, "not a host-side allocation");
    rewriter.replaceOpWithNewOp<gpu::AllocOp>(
        op, op.getType(), Type(), ValueRange{}, op.getDynamicSizes(),
        op.getSymbolOperands());
    return success();
  }
};

struct DeallocToGPU final : OpRewritePattern<memref::DeallocOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::DeallocOp op,
                                PatternRewriter &rewriter) const override {
    if (!onHost(op) || !op.getMemref().getDefiningOp<gpu::AllocOp>())
      return rewriter.notifyMatchFailure(op, "not a device allocation");
    rewriter.replaceOpWithNewOp<gpu::DeallocOp>(op, Type(), ValueRange{},
                                                op.getMemref());
    return success();
  }
};

/// A host memref.copy (bufferization's copy between two temporaries or
/// into an output) would read and write device memory from the CPU (a
/// segfault, found on the split ops' generic path): a device-to-device
/// gpu.memcpy instead, put on the call's stream by gpu-async-region.
struct CopyToGPU final : OpRewritePattern<memref::CopyOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(memref::CopyOp op,
                                PatternRewriter &rewriter) const override {
    auto source = dyn_cast<MemRefType>(op.getSource().getType());
    auto target = dyn_cast<MemRefType>(op.getTarget().getType());
    if (!onHost(op) || !source || !target || !inHostSpace(source) ||
        !inHostSpace(target))
      return rewriter.notifyMatchFailure(op, "not a host-side copy");
    // gpu.memcpy moves one contiguous block: identity layouts only.
    if (!source.getLayout().isIdentity() || !target.getLayout().isIdentity())
      return rewriter.notifyMatchFailure(op, "strided copy");
    rewriter.replaceOpWithNewOp<gpu::MemcpyOp>(op, Type(), ValueRange{},
                                               op.getTarget(), op.getSource());
    return success();
  }
};

struct NormGPUDeviceAllocsPass final
    : norm::impl::NormGPUDeviceAllocsPassBase<NormGPUDeviceAllocsPass> {
  void runOnOperation() override {
    // Host loops left by the generic path would touch device memory from
    // the CPU: a mapping failure, reported rather than miscompiled.
    WalkResult loops = getOperation()->walk([](scf::ParallelOp loop) {
      if (!onHost(loop))
        return WalkResult::advance();
      loop.emitError("norm-gpu-device-allocs: parallel loop left on the host "
                     "(not mapped to a GPU kernel)");
      return WalkResult::interrupt();
    });
    if (loops.wasInterrupted())
      return signalPassFailure();
    RewritePatternSet patterns(&getContext());
    populateNormGPUDeviceAllocPatterns(patterns);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // What is left would touch device memory on the host.
    WalkResult copies = getOperation()->walk([](memref::CopyOp copy) {
      if (!onHost(copy))
        return WalkResult::advance();
      copy.emitError("norm-gpu-device-allocs: a strided memref.copy on the "
                     "host would access device memory from the CPU");
      return WalkResult::interrupt();
    });
    if (copies.wasInterrupted())
      return signalPassFailure();
  }
};

} // namespace

void mlir::norm::populateNormGPUDeviceAllocPatterns(
    RewritePatternSet &patterns) {
  patterns.add<AllocToGPU, DeallocToGPU, CopyToGPU>(patterns.getContext());
}
