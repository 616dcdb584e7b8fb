//===- Pipelines.h - norm compilation pipelines -----------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Pipelines from norm ops (and the rest of a linalg-on-tensors module) to the
// LLVM dialect. Each is a function on an OpPassManager with an options
// struct, registered under a name for norm-opt (the model of upstream's
// `sparsifier` and `gpu-lower-to-nvvm-pipeline`).
//
//===----------------------------------------------------------------------===//

#ifndef NORM_PIPELINES_PIPELINES_H
#define NORM_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassOptions.h"

#include <string>

namespace mlir {
class OpPassManager;
namespace norm {

/// Options of `norm-lower-to-cpu`.
struct NormLowerToCPUOptions
    : public PassPipelineOptions<NormLowerToCPUOptions> {
  PassOptions::Option<int64_t> tileRows{
      *this, "tile-rows",
      llvm::cl::desc("Rows per parallel iteration of a norm op"),
      llvm::cl::init(1)};
  PassOptions::Option<int64_t> vectorWidth{
      *this, "vector-width",
      llvm::cl::desc("Elements per vector along a row (16 f32 = two AVX2 "
                     "registers)"),
      llvm::cl::init(16)};
  PassOptions::Option<bool> parallel{
      *this, "parallel",
      llvm::cl::desc("Run the row loops on OpenMP threads (link libomp); "
                     "false gives sequential loops"),
      llvm::cl::init(true)};
  PassOptions::Option<unsigned> numThreads{
      *this, "num-threads",
      llvm::cl::desc("OpenMP threads; 0 leaves it to the runtime "
                     "(OMP_NUM_THREADS)"),
      llvm::cl::init(0)};
  PassOptions::Option<std::string> targetCPU{
      *this, "target-cpu",
      llvm::cl::desc("Target CPU set on every llvm.func (e.g. x86-64-v3)"),
      llvm::cl::init("")};
  PassOptions::Option<std::string> targetFeatures{
      *this, "target-features",
      llvm::cl::desc("Target features set on every llvm.func"),
      llvm::cl::init("+avx2,+fma,+f16c")};
  PassOptions::Option<bool> emitCInterface{
      *this, "emit-c-interface",
      llvm::cl::desc("Emit _mlir_ciface_<name> wrappers callable from C"),
      llvm::cl::init(true)};
};

/// Builds `norm-lower-to-cpu` into `pm` (anchored on a builtin.module):
/// norm-tile-rows → norm-decompose → norm-vectorize → one-shot bufferization
/// (function boundaries, identity layouts; results equivalent to an argument
/// are dropped, so outputs are written into the caller's buffers) → OpenMP
/// or sequential loops → LLVM dialect.
void buildNormLowerToCPUPipeline(OpPassManager &pm,
                                 const NormLowerToCPUOptions &options);

/// Registers the norm pipelines with the global pass registry (norm-opt).
void registerNormPipelines();

} // namespace norm
} // namespace mlir

#endif // NORM_PIPELINES_PIPELINES_H
