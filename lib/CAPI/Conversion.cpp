//===- Conversion.cpp - C API of norm's conversion passes -------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "norm-c/Conversion.h"

#include "mlir/CAPI/Pass.h"
#include "norm/Conversion/Passes.h"

using namespace mlir;
using namespace mlir::norm;

#include "norm/Conversion/Passes.capi.cpp.inc"
