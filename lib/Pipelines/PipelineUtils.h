//===- PipelineUtils.h - helpers of the norm pipelines ----------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_PIPELINES_PIPELINEUTILS_H
#define NORM_LIB_PIPELINES_PIPELINEUTILS_H

#include "norm/Pipelines/Pipelines.h"

#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"

#include "llvm/ADT/Twine.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::norm::pipeline_utils {

using ErrorFn = NormPipelineErrorFn;

/// The default error handler of the pipeline builders: the message on
/// stderr, and failure.
inline LogicalResult errorToStderr(const llvm::Twine &message) {
  llvm::errs() << message << "\n";
  return failure();
}

/// Both pipelines' entry into buffers: tensor.empty folded into its uses,
/// then one-shot bufferization across function boundaries with identity
/// layouts (outputs land in the caller's buffers).
inline void addOneShotBufferize(OpPassManager &pm) {
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
}

} // namespace mlir::norm::pipeline_utils

#endif // NORM_LIB_PIPELINES_PIPELINEUTILS_H
