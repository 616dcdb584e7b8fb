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
#include "norm/Version.h"

#include "mlir/IR/DialectRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  // --version: norm's own version and commit before LLVM's.
  llvm::cl::AddExtraVersionPrinter([](llvm::raw_ostream &os) {
    os << "norm version " NORM_VERSION " (git " NORM_GIT_HASH ")\n";
  });
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
