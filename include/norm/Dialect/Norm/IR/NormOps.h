//===- NormOps.h - norm dialect ops -----------------------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_IR_NORMOPS_H
#define NORM_DIALECT_NORM_IR_NORMOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "norm/Dialect/Norm/IR/NormAttrs.h"
#include "norm/Dialect/Norm/IR/NormDialect.h"
#include "norm/Dialect/Norm/IR/NormInterfaces.h"

#define GET_OP_CLASSES
#include "norm/Dialect/Norm/IR/NormOps.h.inc"

namespace mlir::norm {
/// Maps a per-row partial sum (a tensor of the leading shape, in the
/// accumulation type) to the sum over the whole row.
using RowSumCombineFn =
    llvm::function_ref<Value(OpBuilder &, Location, Value)>;

/// Decomposes `rms_norm_grad` / `layer_norm_grad` (on tensors) into linalg
/// like `decomposeOperation`, except that each per-row sum that dx needs
/// (Σ g·x̂, and Σ g for layer norm) goes through `combineRowSums` before use
/// and the row's element count is `countScale` times the local one. The
/// distributed split passes an all-reduce over the shards of the normalized
/// dims and their number. Fails for any other op.
FailureOr<SmallVector<Value>>
decomposeGradientWithRowSums(OpBuilder &b, Operation *gradOp,
                             RowSumCombineFn combineRowSums,
                             int64_t countScale);

/// The `epsilon` that an unset attribute of `OpTy` reads as (the ODS default,
/// through the generated populateDefaultProperties).
template <typename OpTy>
double getDefaultEpsilon(MLIRContext *context) {
  typename OpTy::Properties properties;
  OpTy::populateDefaultProperties(
      OperationName(OpTy::getOperationName(), context), properties);
  return properties.epsilon.getValueAsDouble();
}
} // namespace mlir::norm

namespace mlir::norm::detail {
/// Creates a copy of `op` (before `op`) without the operands for which
/// `drop` holds, which must be optional ones; `edit` may then change the
/// copy's properties. On tensors the copy has one result per kept init.
template <typename OpTy>
OpTy cloneWithoutOperands(
    OpBuilder &b, OpTy op, llvm::function_ref<bool(OpOperand &)> drop,
    llvm::function_ref<void(typename OpTy::Properties &)> edit = nullptr) {
  typename OpTy::Properties props = op.getProperties();
  SmallVector<Value> operands;
  SmallVector<Type> resultTypes;
  bool onTensors = op.hasPureTensorSemantics();
  for (unsigned g = 0, e = props.operandSegmentSizes.size(); g < e; ++g) {
    auto [start, length] = op.getODSOperandIndexAndLength(g);
    int32_t kept = 0;
    for (OpOperand &operand : op->getOpOperands().slice(start, length)) {
      if (drop(operand))
        continue;
      operands.push_back(operand.get());
      ++kept;
      if (g >= OpTy::kNumInputGroups && onTensors)
        resultTypes.push_back(operand.get().getType());
    }
    props.operandSegmentSizes[g] = kept;
  }
  if (edit)
    edit(props);
  SmallVector<NamedAttribute> discardable(op->getDiscardableAttrs());
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  return OpTy::create(b, op.getLoc(), resultTypes, operands, props,
                      discardable);
}

/// Attaches the `TilingInterface` external models to every norm op; called
/// by `NormDialect::initialize`.
void attachTilingInterface(MLIRContext *context);
/// Attaches `BufferizableOpInterface` (one-shot bufferization) likewise.
void attachBufferizableOpInterface(MLIRContext *context);
} // namespace mlir::norm::detail

#endif // NORM_DIALECT_NORM_IR_NORMOPS_H
