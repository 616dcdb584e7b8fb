//===- Pipelines.cpp - C API of norm's pipelines ----------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "norm-c/Pipelines.h"

#include "mlir/CAPI/Pass.h"
#include "mlir/CAPI/Support.h"
#include "mlir/CAPI/Utils.h"
#include "mlir/Pass/PassManager.h"
#include "norm/InitNorm.h"
#include "norm/Pipelines/Pipelines.h"

#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::norm;

namespace {
/// Parses `options` into `Options`, sending what the option parser prints
/// on failure to `errorCallback`.
template <typename Options>
std::unique_ptr<Options> parseOptions(MlirStringRef options,
                                      MlirStringCallback errorCallback,
                                      void *userData) {
  std::string message;
  llvm::raw_string_ostream os(message);
  auto result = std::make_unique<Options>();
  if (succeeded(result->parseFromString(unwrap(options), os)))
    return result;
  if (errorCallback) {
    detail::CallbackOstream stream(errorCallback, userData);
    // llvm::cl reports some errors on stderr itself; what it wrote into
    // `os` follows.
    stream << "invalid pipeline options '" << unwrap(options) << "'";
    if (!message.empty())
      stream << ": " << message;
    stream.flush();
  }
  return nullptr;
}
/// A builder's error handler that reports through the C callback (or
/// nowhere, if it is null).
struct CallbackReporter {
  MlirStringCallback callback;
  void *userData;
  LogicalResult operator()(const Twine &message) const {
    if (callback) {
      detail::CallbackOstream stream(callback, userData);
      stream << message;
      stream.flush();
    }
    return failure();
  }
};
} // namespace

MlirLogicalResult mlirNormBuildLowerToCPUPipeline(
    MlirOpPassManager passManager, MlirStringRef options,
    MlirStringCallback errorCallback, void *userData) {
  auto parsed = parseOptions<NormLowerToCPUOptions>(options, errorCallback,
                                                    userData);
  if (!parsed)
    return mlirLogicalResultFailure();
  CallbackReporter report{errorCallback, userData};
  return wrap(buildNormLowerToCPUPipeline(*unwrap(passManager), *parsed,
                                          report));
}

MlirLogicalResult mlirNormBuildLowerToNVVMPipeline(
    MlirOpPassManager passManager, MlirStringRef options,
    MlirStringCallback errorCallback, void *userData) {
  auto parsed = parseOptions<NormLowerToNVVMOptions>(options, errorCallback,
                                                     userData);
  if (!parsed)
    return mlirLogicalResultFailure();
  CallbackReporter report{errorCallback, userData};
  return wrap(buildNormLowerToNVVMPipeline(*unwrap(passManager), *parsed,
                                           report));
}

void mlirRegisterNormPipelines() { registerNormPipelines(); }

void mlirRegisterNormPasses() { registerNormPasses(); }
