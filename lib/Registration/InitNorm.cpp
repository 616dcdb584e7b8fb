//===- InitNorm.cpp - register norm with a context or tool ------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "norm/InitNorm.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "norm/Dialect/Norm/IR/NormDialect.h"
#include "norm/Conversion/Passes.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"
#include "norm/Dialect/Norm/Transforms/Sharding.h"
#include "norm/Pipelines/Pipelines.h"

void mlir::norm::registerNormDialect(DialectRegistry &registry) {
  registry.insert<NormDialect>();
  registerShardingInterfaceExternalModels(registry);
  registerMPIMemoryEffectsExternalModels(registry);
}

void mlir::norm::registerNormDependencies(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllToLLVMIRTranslations(registry);
}

void mlir::norm::registerNormPasses() {
  registerNormTransformsPasses();
  registerNormConversionPasses();
  registerNormPipelines();
}
