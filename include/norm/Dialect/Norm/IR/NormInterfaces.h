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

namespace mlir::norm {
/// The shape of a norm op's operand relative to its input `x` of shape
/// [leading..., normalized...].
enum class OperandRole : char {
  Full = 'F',  ///< [leading..., normalized...]: x, dy, residual, y, dx.
  Rows = 'R',  ///< [leading...]: mean, rstd.
  Cols = 'C',  ///< [normalized...]: gamma, beta, dgamma, dbeta.
  Stats = 'S', ///< [leading..., entries]: split-op statistics.
  Scalar = 'E', ///< A scalar every row reads: the runtime epsilon.
};
} // namespace mlir::norm

#include "norm/Dialect/Norm/IR/NormInterfaces.h.inc"

#endif // NORM_DIALECT_NORM_IR_NORMINTERFACES_H
