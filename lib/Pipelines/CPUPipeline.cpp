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

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::norm;

static void addUpstream(OpPassManager &pm, StringRef pipeline) {
  pipeline_utils::addUpstream(pm, pipeline, "norm-lower-to-cpu");
}

void mlir::norm::buildNormLowerToCPUPipeline(
    OpPassManager &pm, const NormLowerToCPUOptions &options) {
  // Norm ops on memrefs or in device code would pass through untouched.
  pm.addPass(createNormCheckTensorFormPass());
  // Collectives of distributed code → MPI calls (nothing happens to a
  // module without shard ops).
  pm.addPass(createNormAllGatherToAllReducePass());
  addUpstream(pm, "convert-shard-to-mpi");
  NormFinalizeMPIPassOptions mpiOptions;
  mpiOptions.implementation = options.mpiImplementation;
  pm.addPass(createNormFinalizeMPIPass(mpiOptions));

  // arith/math on tensors (hand-written or raised-around IR) → linalg.
  addUpstream(pm, "convert-elementwise-to-linalg");
  // x^n with a constant integer n → multiplications (LLVM 22 rejects the
  // vector llvm.intr.powi that convert-math-to-llvm would make); any other
  // n → powf.
  addUpstream(pm, "math-expand-ops{ops=fpowi}");
  // One-shot bufferization does not handle linalg.pack/unpack.
  pm.addPass(createNormLowerPackUnpackPass());
  // Norm ops → per-row tiles → linalg → vectors, all on tensors.
  NormTileRowsPassOptions tileOptions;
  tileOptions.tileRows = options.tileRows;
  pm.addPass(createNormTileRowsPass(tileOptions));
  pm.addPass(createNormDecomposePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  NormVectorizePassOptions vectorOptions;
  vectorOptions.vectorWidth = options.vectorWidth;
  pm.addPass(createNormVectorizePass(vectorOptions));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Bufferize: outputs land in the caller's buffers; per-row temporaries go
  // on the stack where small, everything else is freed.
  addUpstream(pm, "eliminate-empty-tensors");
  addUpstream(pm, "one-shot-bufferize{bufferize-function-boundaries "
                  "function-boundary-type-conversion=identity-layout-map}");
  addUpstream(pm, "drop-equivalent-buffer-results");
  addUpstream(pm, "func.func(promote-buffers-to-stack{"
                  "max-alloc-size-in-bytes=4096})");
  addUpstream(pm, "buffer-deallocation-pipeline");
  // Clones the deallocation left (returned buffers it does not own) →
  // alloc + memref.copy; memref.dealloc stays for finalize-memref-to-llvm.
  addUpstream(pm, "convert-bufferization-to-memref");
  pm.addPass(createCanonicalizerPass());

  // Loops: the row foralls become OpenMP work-sharing loops.
  addUpstream(pm, "convert-linalg-to-loops");
  if (options.parallel) {
    addUpstream(pm, "scf-forall-to-parallel");
    addUpstream(pm, llvm::formatv("convert-scf-to-openmp{{num-threads={0}}",
                                  static_cast<unsigned>(options.numThreads))
                        .str());
  } else {
    addUpstream(pm, "scf-forall-to-for");
  }

  // Vectors and everything else to LLVM.
  addUpstream(pm, "func.func(lower-vector-mask,lower-vector-multi-reduction)");
  addUpstream(pm, "convert-vector-to-scf{full-unroll}");
  addUpstream(pm, "fold-memref-alias-ops");
  addUpstream(pm, "expand-strided-metadata");
  addUpstream(pm, "lower-affine");
  // memref.alloca_scope (which convert-scf-to-openmp puts around each
  // parallel iteration) must be lowered while its body is still structured:
  // it allows one block only, so memref goes to LLVM before scf goes to cf.
  addUpstream(pm, "arith-expand{include-bf16}");
  // math: LLVM intrinsics where LLVM has one (vectors stay vectors), libm
  // calls for the rest (erf, tanh, atan, ...; vectors unrolled), and
  // integer powers as functions.
  // C wrappers are requested before the math lowering declares libm
  // functions, which must keep their plain C names.
  if (options.emitCInterface)
    addUpstream(pm, "func.func(llvm-request-c-wrappers)");
  addUpstream(pm, "convert-math-to-funcs");
  addUpstream(pm, "convert-math-to-llvm");
  addUpstream(pm, "convert-math-to-libm");
  addUpstream(pm, "convert-vector-to-llvm");
  addUpstream(pm, "convert-to-llvm{filter-dialects=mpi}");
  addUpstream(pm, "finalize-memref-to-llvm");
  addUpstream(pm, "convert-scf-to-cf");
  addUpstream(pm, "convert-ub-to-llvm");
  addUpstream(pm, "convert-arith-to-llvm");
  addUpstream(pm, "convert-openmp-to-llvm");
  addUpstream(pm, "convert-func-to-llvm");
  addUpstream(pm, "convert-cf-to-llvm");
  addUpstream(pm, "reconcile-unrealized-casts");
  // Nothing may be left that mlir-translate rejects.
  pm.addPass(createNormCheckLoweredPass());
  NormSetLLVMTargetPassOptions targetOptions;
  targetOptions.cpu = options.targetCPU;
  targetOptions.features = options.targetFeatures;
  pm.addPass(createNormSetLLVMTargetPass(targetOptions));
}

void mlir::norm::registerNormPipelines() {
  PassPipelineRegistration<NormLowerToCPUOptions>(
      "norm-lower-to-cpu",
      "Compile norm ops (and linalg on tensors) to the LLVM dialect for CPUs: "
      "row-parallel tiles, vectorized rows, OpenMP threads",
      buildNormLowerToCPUPipeline);
  // Registered by hand rather than through PassPipelineRegistration so that
  // bad option values fail the pipeline instead of being ignored.
  registerPassPipeline(
      "norm-lower-to-nvvm",
      "Compile norm ops (and linalg on tensors) for NVIDIA GPUs: specialized "
      "row kernels, NVVM, PTX/cubin/fatbin, host code and C entry points",
      [](OpPassManager &pm, StringRef text,
         function_ref<LogicalResult(const Twine &)>) {
        NormLowerToNVVMOptions options;
        if (failed(options.parseFromString(text)))
          return failure();
        return buildNormLowerToNVVMPipeline(pm, options);
      },
      [](function_ref<void(const detail::PassOptions &)> handler) {
        handler(NormLowerToNVVMOptions());
      });
}
