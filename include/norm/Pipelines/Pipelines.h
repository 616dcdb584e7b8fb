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
#include "mlir/Support/LLVM.h"

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
  PassOptions::Option<int64_t> gradChunks{
      *this, "grad-chunks",
      llvm::cl::desc("Parallel chunks of rows of a gradient op with "
                     "dgamma/dbeta (each a partial dgamma/dbeta row; fixed, "
                     "so the sums do not depend on the thread count)"),
      llvm::cl::init(64)};
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
  PassOptions::Option<bool> nativeBf16{
      *this, "native-bf16",
      llvm::cl::desc("Leave bf16 <-> f32 conversions to LLVM (one "
                     "instruction each with AVX512-BF16, e.g. vcvtneps2bf16) "
                     "instead of expanding them to integer shifts and "
                     "round-to-nearest-even arithmetic; only for targets with "
                     "avx512bf16 (elsewhere LLVM calls a function per "
                     "element)"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> nontemporalStores{
      *this, "nontemporal-stores",
      llvm::cl::desc("Streaming (nontemporal) stores for vector stores of "
                     "at least 64 bytes into the function's argument "
                     "buffers (norm-nontemporal-stores); measured faster for "
                     "f32 outputs far beyond the caches, slower for bf16"),
      llvm::cl::init(false)};
  PassOptions::Option<bool> emitCInterface{
      *this, "emit-c-interface",
      llvm::cl::desc("Emit _mlir_ciface_<name> wrappers callable from C"),
      llvm::cl::init(true)};
  PassOptions::Option<std::string> mpiImplementation{
      *this, "mpi-implementation",
      llvm::cl::desc("The MPI that code with shard collectives links "
                     "against: MPICH or OpenMPI"),
      llvm::cl::init("MPICH")};
};

/// Builds `norm-lower-to-cpu` into `pm` (anchored on a builtin.module):
/// shard collectives (from `shard-partition` or `norm-split-all-gather`) →
/// MPI (`norm-all-gather-to-all-reduce`, upstream `convert-shard-to-mpi`,
/// `norm-finalize-mpi`) → norm-tile-rows → norm-decompose → norm-vectorize → one-shot bufferization
/// (function boundaries, identity layouts; results equivalent to an argument
/// are dropped, so outputs are written into the caller's buffers) → OpenMP
/// or sequential loops → LLVM dialect.
/// Reports a pipeline builder's error (bad options); returns failure. The
/// default prints the message on stderr.
using NormPipelineErrorFn = function_ref<LogicalResult(const Twine &)>;

/// Adds norm-lower-to-cpu to `pm`. Every pass is constructed (none is looked
/// up by name, so nothing needs registering but the dialects and interfaces
/// of `registerNormDependencies`); bad options are reported through
/// `onError` and fail without adding anything.
LogicalResult buildNormLowerToCPUPipeline(OpPassManager &pm,
                                          const NormLowerToCPUOptions &options,
                                          NormPipelineErrorFn onError = {});

/// Options of `norm-lower-to-nvvm`.
struct NormLowerToNVVMOptions
    : public PassPipelineOptions<NormLowerToNVVMOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("GPU architecture (sm_<N>)"),
      llvm::cl::init("sm_90")};
  PassOptions::Option<std::string> features{
      *this, "features",
      llvm::cl::desc("PTX features (PTX ISA version); empty: the version "
                     "that introduced `chip` (+ptx80 for sm_90/sm_90a, "
                     "+ptx88 for sm_100/sm_120, ...)"),
      llvm::cl::init("")};
  PassOptions::Option<int> optLevel{
      *this, "opt-level", llvm::cl::desc("LLVM optimization level of kernels"),
      llvm::cl::init(3)};
  PassOptions::Option<std::string> format{
      *this, "format",
      llvm::cl::desc("Kernel binary embedded in the host module: ptx, cubin "
                     "or fatbin"),
      llvm::cl::init("fatbin")};
  PassOptions::Option<std::string> ptxasOptions{
      *this, "ptxas-options",
      llvm::cl::desc("Options passed to ptxas (cubin/fatbin)"),
      llvm::cl::init("")};
  PassOptions::Option<int64_t> vectorBytes{
      *this, "vector-bytes",
      llvm::cl::desc("Bytes per vector access along a row (16 = 128-bit)"),
      llvm::cl::init(16)};
  PassOptions::Option<int64_t> persistentBlocks{
      *this, "persistent-blocks",
      llvm::cl::desc("Blocks of the persistent gradient grid"),
      llvm::cl::init(264)};
  PassOptions::Option<int64_t> loopThreads{
      *this, "loop-threads",
      llvm::cl::desc("Threads per row of the kernels for a dynamic N"),
      llvm::cl::init(256)};
  PassOptions::Option<int64_t> gradElements{
      *this, "grad-elements",
      llvm::cl::desc("Elements per thread of the gradient kernels (static "
                     "N; 1 to 64)"),
      llvm::cl::init(8)};
  PassOptions::Option<bool> gradPrefetch{
      *this, "grad-prefetch",
      llvm::cl::desc("Gradient kernels load the next row before the current "
                     "row's reductions"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> gradLaunchBounds{
      *this, "grad-launch-bounds",
      llvm::cl::desc("Gradient kernels of static N: a one-wave persistent "
                     "grid from a register estimate, with launch bounds"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> genericThreads{
      *this, "generic-threads",
      llvm::cl::desc("Threads per block of the generic linalg path (split "
                     "ops and other linalg)"),
      llvm::cl::init(128)};
  PassOptions::Option<bool> entryPoints{
      *this, "entry-points",
      llvm::cl::desc("Add C entry points on device pointers and a CUDA "
                     "stream (norm-gpu-entry-points)"),
      llvm::cl::init(true)};
  PassOptions::Option<std::string> entryPrefix{
      *this, "entry-prefix", llvm::cl::desc("Prefix of the C entry points"),
      llvm::cl::init("norm_")};
};

/// Builds `norm-lower-to-nvvm` into `pm` (anchored on a builtin.module):
/// split ops decomposed → one-shot bufferization → convert-norm-to-gpu
/// (specialized row kernels) → the rest of linalg through parallel loops to
/// gpu.launch → device allocations → C entry points → upstream
/// `gpu-lower-to-nvvm-pipeline` (outlining, NVVM, gpu-module-to-binary,
/// host code calling the mgpu* runtime). Fails on bad options.
/// Adds norm-lower-to-nvvm to `pm`, as buildNormLowerToCPUPipeline does.
LogicalResult buildNormLowerToNVVMPipeline(
    OpPassManager &pm, const NormLowerToNVVMOptions &options,
    NormPipelineErrorFn onError = {});

/// Registers the norm pipelines with the global pass registry (norm-opt).
void registerNormPipelines();

} // namespace norm
} // namespace mlir

#endif // NORM_PIPELINES_PIPELINES_H
