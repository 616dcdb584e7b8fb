//===- norm-lsp-server.cpp - MLIR language server with norm -----*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// mlir-lsp-server with the norm dialect registered beside every upstream
// dialect and extension: an editor pointed at it (docs/Embedding.md) gets
// diagnostics, hover, go-to-definition and completion in .mlir files that
// use norm ops.
//
//===----------------------------------------------------------------------===//

#include "norm/InitNorm.h"
#include "norm/Version.h"

#include "mlir/IR/DialectRegistry.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Tools/mlir-lsp-server/MlirLspServerMain.h"

int main(int argc, char **argv) {
  // --version: norm's own version and commit before LLVM's.
  llvm::cl::AddExtraVersionPrinter([](llvm::raw_ostream &os) {
    os << "norm version " NORM_VERSION " (git " NORM_GIT_HASH ")\n";
  });
  mlir::DialectRegistry registry;
  mlir::registerAllDialects(registry);
  mlir::registerAllExtensions(registry);
  mlir::norm::registerNormDialect(registry);
  return mlir::failed(mlir::MlirLspServerMain(argc, argv, registry));
}
