/*===-- norm-c/Pipelines.h - C API of norm's pipelines ------------*- C -*-===*\
|*                                                                            *|
|* Part of the norm project, under the Apache License v2.0 with LLVM          *|
|* Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/* The pipelines of norm/Pipelines/Pipelines.h. Options are the pipeline's
 * textual options without braces ("tile-rows=4 parallel=false"), exactly as
 * after `norm-lower-to-cpu` on the norm-opt command line.
 */

#ifndef NORM_C_PIPELINES_H
#define NORM_C_PIPELINES_H

#include "mlir-c/Pass.h"
#include "mlir-c/Support.h"

#ifdef __cplusplus
extern "C" {
#endif

/// Adds norm-lower-to-cpu to `passManager` (anchored on builtin.module).
/// Fails, and reports through `errorCallback` (may be null), when `options`
/// do not parse.
MLIR_CAPI_EXPORTED MlirLogicalResult mlirNormBuildLowerToCPUPipeline(
    MlirOpPassManager passManager, MlirStringRef options,
    MlirStringCallback errorCallback, void *userData);

/// Adds norm-lower-to-nvvm to `passManager` (anchored on builtin.module).
/// Fails, and reports through `errorCallback` (may be null), when `options`
/// do not parse or are invalid (an unknown format, a bad chip).
MLIR_CAPI_EXPORTED MlirLogicalResult mlirNormBuildLowerToNVVMPipeline(
    MlirOpPassManager passManager, MlirStringRef options,
    MlirStringCallback errorCallback, void *userData);

/// Registers the pipelines under their names, so that
/// mlirParsePassPipeline / mlirOpPassManagerAddPipeline accept
/// "norm-lower-to-cpu{...}".
MLIR_CAPI_EXPORTED void mlirRegisterNormPipelines(void);

/// Registers every norm pass and pipeline (the C form of
/// mlir::norm::registerNormPasses).
MLIR_CAPI_EXPORTED void mlirRegisterNormPasses(void);

#ifdef __cplusplus
}
#endif

#endif // NORM_C_PIPELINES_H
