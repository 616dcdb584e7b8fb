//===- NVVMPipeline.cpp - norm-lower-to-nvvm --------------------*- C++ -*-===//
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
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/Pipelines/Passes.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::norm;

/// The serialization format of gpu-module-to-binary for an output name.
static FailureOr<std::string> binaryFormat(StringRef output) {
  if (output == "ptx" || output == "isa")
    return std::string("isa");
  if (output == "cubin" || output == "bin")
    return std::string("bin");
  if (output == "fatbin")
    return std::string("fatbin");
  return failure();
}

/// The PTX ISA feature for a chip: the version that introduced it (ptxas of
/// CUDA 13 takes up to 9.0). std::nullopt: not spelled sm_<N>[a|f]; empty:
/// spelled so but unknown to LLVM 22's NVPTX backend.
static std::optional<StringRef> defaultPTXFeatures(StringRef chip) {
  if (!chip.consume_front("sm_"))
    return std::nullopt;
  StringRef digits = chip.take_while(llvm::isDigit);
  StringRef suffix = chip.drop_front(digits.size());
  unsigned sm = 0;
  if (digits.empty() || digits.getAsInteger(10, sm) ||
      !(suffix.empty() || suffix == "a" || suffix == "f"))
    return std::nullopt;
  // (sm, suffixes LLVM 22 accepts, PTX feature)
  struct Known {
    unsigned sm;
    StringRef suffixes;
    StringRef ptx;
  };
  static const Known known[] = {
      {50, "", "+ptx80"},  {52, "", "+ptx80"},  {53, "", "+ptx80"},
      {60, "", "+ptx80"},  {61, "", "+ptx80"},  {62, "", "+ptx80"},
      {70, "", "+ptx80"},  {72, "", "+ptx80"},  {75, "", "+ptx80"},
      {80, "", "+ptx80"},  {86, "", "+ptx80"},  {87, "", "+ptx80"},
      {88, "", "+ptx90"},  {89, "", "+ptx80"},  {90, "a", "+ptx80"},
      {100, "af", "+ptx88"},
      {101, "af", "+ptx88"}, {103, "af", "+ptx88"}, {110, "af", "+ptx90"},
      {120, "af", "+ptx88"}, {121, "af", "+ptx88"}};
  for (const Known &k : known)
    if (k.sm == sm)
      return suffix.empty() || k.suffixes.contains(suffix) ? k.ptx
                                                          : StringRef();
  return StringRef();
}

LogicalResult mlir::norm::buildNormLowerToNVVMPipeline(
    OpPassManager &pm, const NormLowerToNVVMOptions &options,
    NormPipelineErrorFn error) {
  if (!error)
    error = pipeline_utils::errorToStderr;
  FailureOr<std::string> format = binaryFormat(options.format);
  if (failed(format))
    return error("norm-lower-to-nvvm: format must be ptx, cubin or fatbin, "
                 "got '" +
                 Twine(options.format) + "'");
  // Only chips the NVPTX backend of LLVM 22 knows (any other sm_<N> made
  // LLVM abort in instruction selection), each with the PTX ISA that
  // introduced it unless `features` names one.
  std::optional<StringRef> ptx = defaultPTXFeatures(options.chip);
  if (!ptx)
    return error("norm-lower-to-nvvm: chip must be sm_<N>, got '" +
                 Twine(options.chip) + "'");
  if (ptx->empty())
    return error("norm-lower-to-nvvm: chip '" + Twine(options.chip) +
                 "' is not an NVPTX target LLVM 22 knows (sm_50 to sm_90a, "
                 "sm_88, sm_100/100a/100f, sm_101, sm_103, sm_110, sm_120, "
                 "sm_121 and their a/f forms)");
  std::string features =
      options.features.empty() ? ptx->str() : std::string(options.features);
  if (options.optLevel < 0 || options.optLevel > 3)
    return error("norm-lower-to-nvvm: opt-level must be 0 to 3, got " +
                 Twine(static_cast<int>(options.optLevel)));
  if (options.genericThreads < 1 || options.genericThreads > 1024)
    return error("norm-lower-to-nvvm: generic-threads must be 1 to 1024, "
                 "got " +
                 Twine(static_cast<int64_t>(options.genericThreads)));
  if (options.gradElements < 1 || options.gradElements > 64)
    return error("norm-lower-to-nvvm: grad-elements must be 1 to 64, got " +
                 Twine(static_cast<int64_t>(options.gradElements)));

  // Norm ops that nothing below lowers fail here, located: norm ops in
  // device code (convert-norm-to-gpu takes every norm op on the host, on
  // tensors or on memrefs).
  NormCheckTensorFormPassOptions tensorForm;
  tensorForm.memrefOps = {"norm.rms_norm",
                          "norm.layer_norm",
                          "norm.rms_norm_grad",
                          "norm.layer_norm_grad",
                          "norm.rms_norm_pre_all_gather",
                          "norm.rms_norm_post_all_gather",
                          "norm.layer_norm_pre_all_gather",
                          "norm.layer_norm_post_all_gather"};
  pm.addPass(createNormCheckTensorFormPass(tensorForm));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Buffers: outputs in the caller's buffers, temporaries freed.
  pipeline_utils::addOneShotBufferize(pm);
  pm.addPass(createNormDropReturnedArgumentsPass());
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createCanonicalizerPass());

  // Norm ops → specialized kernels (convert-norm-to-gpu).
  ConvertNormToGPUPassOptions gpuOptions;
  gpuOptions.vectorBytes = options.vectorBytes;
  gpuOptions.persistentBlocks = options.persistentBlocks;
  gpuOptions.loopThreads = options.loopThreads;
  gpuOptions.gradElements = options.gradElements;
  gpuOptions.gradPrefetch = options.gradPrefetch;
  gpuOptions.gradLaunchBounds = options.gradLaunchBounds;
  pm.addPass(createConvertNormToGPUPass(gpuOptions));

  // Whatever else is linalg (user code): upstream's
  // generic path, rows onto blocks and threads through parallel loops.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createParallelLoopTilingPass(
      {static_cast<int64_t>(options.genericThreads)},
      /*noMinMaxBounds=*/true));
  pm.addNestedPass<func::FuncOp>(createGpuMapParallelLoopsPass());
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  pm.addNestedPass<func::FuncOp>(createNormGPUDeviceAllocsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());

  if (options.entryPoints) {
    NormGPUEntryPointsPassOptions entry;
    entry.prefix = options.entryPrefix;
    pm.addPass(createNormGPUEntryPointsPass(entry));
  }

  // Kernels out of line, then every launch, allocation and free of a
  // function on one stream, synchronized once at its end (gpu-to-llvm only
  // lowers asynchronous gpu.alloc).
  pm.addPass(createGpuLaunchSinkIndexComputationsPass());
  pm.addPass(createGpuKernelOutliningPass());
  pm.addPass(createNormGPULaunchBoundsPass());
  pm.addNestedPass<func::FuncOp>(createGpuAsyncRegionPass());

  // Upstream from here: NVVM, serialization, host code.
  gpu::GPUToNVVMPipelineOptions nvvm;
  nvvm.cubinChip = options.chip;
  nvvm.cubinFeatures = features;
  nvvm.cubinFormat = *format;
  nvvm.optLevel = options.optLevel;
  nvvm.cmdOptions = options.ptxasOptions;
  gpu::buildLowerToNVVMPassPipeline(pm, nvvm);
  // Nothing may be left that mlir-translate rejects.
  NormCheckLoweredPassOptions lowered;
  lowered.dialects = {"builtin", "llvm", "gpu.binary", "gpu.launch_func"};
  pm.addPass(createNormCheckLoweredPass(lowered));
  return success();
}
