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

/// Registers every norm pass and pipeline with the global pass registry, so
/// that `-norm-...` flags parse in an mlir-opt-style driver.
void registerNormPasses();

} // namespace norm
} // namespace mlir

#endif // NORM_INITNORM_H
