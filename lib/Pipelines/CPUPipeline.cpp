//===- CPUPipeline.cpp - norm-lower-to-cpu ----------------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "norm/Conversion/Passes.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"
#include "norm/Pipelines/Pipelines.h"
#include "PipelineUtils.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Conversion/VectorToSCF/VectorToSCF.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Dialect/Vector/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::norm;

/// The options no pass could run with: checked before anything is added.
static LogicalResult checkCPUOptions(const NormLowerToCPUOptions &options,
                                     const pipeline_utils::ErrorFn &error) {
  if (options.tileRows < 1 || options.tileRows > (int64_t(1) << 24))
    return error("norm-lower-to-cpu: tile-rows must be 1 to 16777216, got " +
                 llvm::Twine(static_cast<int64_t>(options.tileRows)));
  if (options.gradChunks < 1 || options.gradChunks > 4096)
    return error("norm-lower-to-cpu: grad-chunks must be 1 to 4096, got " +
                 llvm::Twine(static_cast<int64_t>(options.gradChunks)));
  if (options.vectorWidth < 1 || options.vectorWidth > 1024)
    return error("norm-lower-to-cpu: vector-width must be 1 to 1024, got " +
                 llvm::Twine(static_cast<int64_t>(options.vectorWidth)));
  if (options.mpiImplementation != "MPICH" &&
      options.mpiImplementation != "OpenMPI")
    return error("norm-lower-to-cpu: mpi-implementation must be MPICH or "
                 "OpenMPI, got '" +
                 llvm::Twine(options.mpiImplementation) + "'");
  return success();
}

LogicalResult mlir::norm::buildNormLowerToCPUPipeline(
    OpPassManager &pm, const NormLowerToCPUOptions &options,
    pipeline_utils::ErrorFn error) {
  if (!error)
    error = pipeline_utils::errorToStderr;
  if (failed(checkCPUOptions(options, error)))
    return failure();
  // Every pass is constructed here (never parsed by name), so the pipeline
  // needs no pass registration; registerNormDependencies brings in the
  // dialects and interfaces the passes use.

  // Norm ops on memrefs or in device code would pass through untouched.
  pm.addPass(createNormCheckTensorFormPass());
  // Collectives of distributed code → MPI calls (nothing happens to a
  // module without shard ops).
  pm.addPass(createNormAllGatherToAllReducePass());
  // A program partitioned for P processes stops with a message on another
  // number of processes (instead of computing garbage).
  pm.addPass(createNormCheckMPIWorldPass());
  pm.addPass(createConvertShardToMPIPass());
  NormFinalizeMPIPassOptions mpiOptions;
  mpiOptions.implementation = options.mpiImplementation;
  pm.addPass(createNormFinalizeMPIPass(mpiOptions));

  // arith/math on tensors (hand-written or raised-around IR) → linalg.
  pm.addPass(createConvertElementwiseToLinalgPass());
  // x^n with a constant integer n → multiplications (LLVM 22 rejects the
  // vector llvm.intr.powi that convert-math-to-llvm would make); any other
  // n → powf.
  math::MathExpandOpsPassOptions expand;
  expand.opMnemonics = {"fpowi"};
  pm.addPass(math::createMathExpandOpsPass(expand));
  // One-shot bufferization does not handle linalg.pack/unpack.
  pm.addPass(createNormLowerPackUnpackPass());
  // Norm ops → per-row tiles → linalg → vectors, all on tensors.
  NormTileRowsPassOptions tileOptions;
  tileOptions.tileRows = options.tileRows;
  tileOptions.gradChunks = options.gradChunks;
  pm.addPass(createNormTileRowsPass(tileOptions));
  pm.addPass(createNormDecomposePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  NormVectorizePassOptions vectorOptions;
  vectorOptions.vectorWidth = options.vectorWidth;
  pm.addPass(createNormVectorizePass(vectorOptions));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  // Per-row values (rstd, mean, the row sums) are read once per row, into
  // registers, not once per vector: on tensors their reads are pure and
  // hoist out of the column loops (after bufferization they are loads that
  // may alias the outputs, which nothing below could hoist).
  pm.addPass(createLoopInvariantCodeMotionPass());

  // Bufferize: outputs land in the caller's buffers; per-row temporaries go
  // on the stack where small, everything else is freed.
  pipeline_utils::addOneShotBufferize(pm);
  pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
  bufferization::PromoteBuffersToStackPassOptions stack;
  stack.maxAllocSizeInBytes = 4096;
  pm.addNestedPass<func::FuncOp>(
      bufferization::createPromoteBuffersToStackPass(stack));
  bufferization::buildBufferDeallocationPipeline(pm);
  // Clones the deallocation left (returned buffers it does not own) →
  // alloc + memref.copy; memref.dealloc stays for finalize-memref-to-llvm.
  pm.addPass(createConvertBufferizationToMemRefPass());
  pm.addPass(createCanonicalizerPass());

  // Loops: the row foralls become OpenMP work-sharing loops.
  pm.addPass(createConvertLinalgToLoopsPass());
  if (options.parallel) {
    pm.addPass(createForallToParallelLoopPass());
    ConvertSCFToOpenMPPassOptions omp;
    omp.numThreads = options.numThreads;
    pm.addPass(createConvertSCFToOpenMPPass(omp));
  } else {
    pm.addPass(createForallToForLoopPass());
  }

  // Vectors and everything else to LLVM.
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMaskPass());
  pm.addNestedPass<func::FuncOp>(vector::createLowerVectorMultiReductionPass());
  pm.addPass(createConvertVectorToSCFPass(
      VectorTransferToSCFOptions().enableFullUnroll()));
  pm.addPass(memref::createFoldMemRefAliasOpsPass());
  // Streaming stores of outputs, where asked (off by default: docs/CPU.md).
  // After fold-memref-alias-ops, which rebuilds vector.store without its
  // nontemporal flag (MLIR 22.1).
  if (options.nontemporalStores)
    pm.addNestedPass<func::FuncOp>(createNormNontemporalStoresPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // The index arithmetic of every access (subview offsets folded into the
  // loads, affine maps of the tiles) is loop-invariant but sits in the
  // innermost loops: hoisted here, it is computed once per row, not once
  // per vector (llc alone does not hoist it).
  pm.addPass(createLoopInvariantCodeMotionPass());
  pm.addPass(createCSEPass());
  // memref.alloca_scope (which convert-scf-to-openmp puts around each
  // parallel iteration) must be lowered while its body is still structured:
  // it allows one block only, so memref goes to LLVM before scf goes to cf.
  arith::ArithExpandOpsPassOptions arithExpand;
  // bf16 <-> f32 as integer shifts and round-to-nearest-even (vectorized
  // on any x86-64), unless the target converts natively (AVX512-BF16).
  arithExpand.includeBf16 = !options.nativeBf16;
  pm.addPass(arith::createArithExpandOpsPass(arithExpand));
  // math: LLVM intrinsics where LLVM has one (vectors stay vectors), libm
  // calls for the rest (erf, tanh, atan, ...; vectors unrolled), and
  // integer powers as functions.
  // C wrappers are requested before the math lowering declares libm
  // functions, which must keep their plain C names.
  if (options.emitCInterface)
    pm.addNestedPass<func::FuncOp>(LLVM::createLLVMRequestCWrappersPass());
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createConvertVectorToLLVMPass());
  ConvertToLLVMPassOptions mpiToLLVM;
  mpiToLLVM.filterDialects = {"mpi"};
  pm.addPass(createConvertToLLVMPass(mpiToLLVM));
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  // Nothing may be left that mlir-translate rejects.
  pm.addPass(createNormCheckLoweredPass());
  NormSetLLVMTargetPassOptions targetOptions;
  targetOptions.cpu = options.targetCPU;
  targetOptions.features = options.targetFeatures;
  pm.addPass(createNormSetLLVMTargetPass(targetOptions));
  return success();
}

void mlir::norm::registerNormPipelines() {
  // Registered by hand rather than through PassPipelineRegistration so that
  // bad option values fail the pipeline instead of being ignored.
  registerPassPipeline(
      "norm-lower-to-cpu",
      "Compile norm ops (and linalg on tensors) to the LLVM dialect for CPUs: "
      "row-parallel tiles, vectorized rows, OpenMP threads",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        NormLowerToCPUOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        return buildNormLowerToCPUPipeline(pm, options, errorHandler);
      },
      [](function_ref<void(const detail::PassOptions &)> handler) {
        handler(NormLowerToCPUOptions());
      });
  registerPassPipeline(
      "norm-lower-to-nvvm",
      "Compile norm ops (and linalg on tensors) for NVIDIA GPUs: specialized "
      "row kernels, NVVM, PTX/cubin/fatbin, host code and C entry points",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)> errorHandler) {
        NormLowerToNVVMOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        return buildNormLowerToNVVMPipeline(pm, options, errorHandler);
      },
      [](function_ref<void(const detail::PassOptions &)> handler) {
        handler(NormLowerToNVVMOptions());
      });
}
