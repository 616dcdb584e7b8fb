//===- PipelineUtils.h - helpers of the norm pipelines ----------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef NORM_LIB_PIPELINES_PIPELINEUTILS_H
#define NORM_LIB_PIPELINES_PIPELINEUTILS_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/raw_ostream.h"

namespace mlir::norm::pipeline_utils {

/// Adds an upstream pass (or nested pipeline) by its textual name; every
/// name used by the norm pipelines is registered by `registerAllPasses`. A
/// mistake is a bug in the pipeline, reported on stderr and fatal.
inline void addUpstream(OpPassManager &pm, StringRef pipeline,
                        StringRef owner) {
  if (failed(parsePassPipeline(pipeline, pm, llvm::errs())))
    llvm::report_fatal_error(llvm::Twine(owner) +
                             ": bad upstream pipeline: " + pipeline);
}

} // namespace mlir::norm::pipeline_utils

#endif // NORM_LIB_PIPELINES_PIPELINEUTILS_H
