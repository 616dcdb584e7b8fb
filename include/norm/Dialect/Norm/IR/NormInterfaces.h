//===- NormInterfaces.h - norm op interfaces --------------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_IR_NORMINTERFACES_H
#define NORM_DIALECT_NORM_IR_NORMINTERFACES_H

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"

#include "norm/Dialect/Norm/IR/NormInterfaces.h.inc"

#endif // NORM_DIALECT_NORM_IR_NORMINTERFACES_H
