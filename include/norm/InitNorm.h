//===- InitNorm.h - register norm with a context or tool --------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// The entry points another compiler calls to use norm: one for the dialect
// (and the interfaces it brings), one for the passes and pipelines.
//
//===----------------------------------------------------------------------===//

#ifndef NORM_INITNORM_H
#define NORM_INITNORM_H

namespace mlir {
class DialectRegistry;
namespace norm {

/// Adds the norm dialect to `registry`.
void registerNormDialect(DialectRegistry &registry);

/// Registers what norm's passes and pipelines use besides the norm dialect:
/// the upstream dialects, their external models and extensions
/// (bufferization models, the ConvertToLLVM interfaces including MPI's, the
/// NVVM target) and the LLVM IR translations that gpu-module-to-binary needs.
/// It is MLIR's registerAllDialects, registerAllExtensions and
/// registerAllToLLVMIRTranslations; a compiler that registers a subset
/// itself does not need it. Pipelines built with buildNormLowerTo…Pipeline
/// construct their passes, so no pass registration is needed to run them.
void registerNormDependencies(DialectRegistry &registry);

/// Registers every norm pass and pipeline with the global pass registry, so
/// that `-norm-...` flags parse in an mlir-opt-style driver.
void registerNormPasses();

} // namespace norm
} // namespace mlir

#endif // NORM_INITNORM_H
