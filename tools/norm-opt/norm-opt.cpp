//===- norm-opt.cpp - the norm optimizer driver -----------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mlir-opt with the norm dialect and passes registered beside every upstream
// dialect, pass and extension (func, arith, math, tensor, linalg, tosa,
// memref, scf, vector, bufferization, gpu, nvvm, llvm, shard, mpi,
// transform, ...), so one tool carries a model from frontend IR to LLVM.
//
//===----------------------------------------------------------------------===//

#include "norm/InitNorm.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::registerAllPasses();
  mlir::norm::registerNormPasses();

  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  // gpu-module-to-binary translates kernels to LLVM IR inside norm-opt.
  mlir::registerAllToLLVMIRTranslations(registry);
  mlir::norm::registerNormDialect(registry);

  return mlir::asMainReturnCode(
      mlir::MlirOptMain(argc, argv, "norm optimizer driver\n", registry));
}
