/*===-- norm-c/Dialect/Norm.h - C API of the norm dialect ---------*- C -*-===*\
|*                                                                            *|
|* Part of the norm project, under the Apache License v2.0 with LLVM          *|
|* Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/* The norm dialect and its passes through MLIR's C API conventions:
 *   - mlirGetDialectHandle__norm__(): the dialect handle (register it with
 *     mlirDialectHandleRegisterDialect or insert it into a registry). Its
 *     insert hook adds the dialect's external interface models too
 *     (ShardingInterface on norm ops, memory effects of mpi.allreduce), as
 *     mlir::norm::registerNormDialect does.
 *   - mlirRegisterNormTransformsPasses() and, per pass,
 *     mlirCreateNormTransforms<Pass>() / mlirRegisterNormTransforms<Pass>()
 *     (generated from Passes.td).
 */

#ifndef NORM_C_DIALECT_NORM_H
#define NORM_C_DIALECT_NORM_H

#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"

#ifdef __cplusplus
extern "C" {
#endif

MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Norm, norm);

/// Adds the norm dialect and its external interface models to `registry`
/// (the same as inserting the dialect handle).
MLIR_CAPI_EXPORTED void mlirNormRegisterDialect(MlirDialectRegistry registry);

#ifdef __cplusplus
}
#endif

#include "norm/Dialect/Norm/Transforms/Passes.capi.h.inc"

#endif // NORM_C_DIALECT_NORM_H
