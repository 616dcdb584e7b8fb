/*===-- norm-c/Conversion.h - C API of norm's conversion passes ---*- C -*-===*\
|*                                                                            *|
|* Part of the norm project, under the Apache License v2.0 with LLVM          *|
|* Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception        *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/
/* mlirRegisterNormConversionPasses() and, per pass,
 * mlirCreateNormConversion<Pass>() / mlirRegisterNormConversion<Pass>()
 * (convert-norm-to-gpu, norm-gpu-*, norm-all-gather-to-all-reduce,
 * norm-finalize-mpi), generated from norm/Conversion/Passes.td.
 */

#ifndef NORM_C_CONVERSION_H
#define NORM_C_CONVERSION_H

#include "mlir-c/Pass.h"

#include "norm/Conversion/Passes.capi.h.inc"

#endif // NORM_C_CONVERSION_H
