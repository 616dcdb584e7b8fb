//===- BufferizableOpInterfaceImpl.cpp - norm ops on buffers ----*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// One-shot bufferization of the norm ops, after the model of linalg's
// destination-style ops: every tensor operand is replaced by its buffer and
// the op is rebuilt on memrefs with no results; each result is its init's
// buffer. Inits are written in full and never read (a norm op overwrites
// every element of y, dx, rstd, ...), so bufferization needs no copy of
// their previous contents.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Bufferization/IR/BufferizableOpInterface.h"
#include "mlir/Dialect/Bufferization/IR/DstBufferizableOpInterfaceImpl.h"
#include "mlir/IR/PatternMatch.h"

using namespace mlir;
using namespace mlir::bufferization;

namespace {

template <typename OpTy>
struct NormOpBufferizableModel
    : DstBufferizableOpInterfaceExternalModel<NormOpBufferizableModel<OpTy>,
                                              OpTy> {
  bool bufferizesToMemoryRead(Operation *op, OpOperand &operand,
                              const AnalysisState &) const {
    return !cast<DestinationStyleOpInterface>(op).isDpsInit(&operand);
  }

  LogicalResult bufferize(Operation *op, RewriterBase &rewriter,
                          const BufferizationOptions &options,
                          BufferizationState &state) const {
    auto dps = cast<DestinationStyleOpInterface>(op);
    if (dps.hasPureBufferSemantics())
      return success();
    if (!dps.hasPureTensorSemantics())
      return op->emitOpError("mixes tensor and memref operands");

    SmallVector<Value> operands;
    SmallVector<Value> results;
    for (OpOperand &operand : op->getOpOperands()) {
      if (!isa<TensorType>(operand.get().getType())) {
        operands.push_back(operand.get()); // the runtime eps scalar
        continue;
      }
      FailureOr<Value> buffer =
          getBuffer(rewriter, operand.get(), options, state);
      if (failed(buffer))
        return failure();
      operands.push_back(*buffer);
      if (dps.isDpsInit(&operand))
        results.push_back(*buffer);
    }
    // Same operands in the same segments, so the properties carry over.
    OperationState newState(op->getLoc(), op->getName());
    newState.addOperands(operands);
    newState.propertiesAttr = op->getPropertiesAsAttribute();
    newState.addAttributes(
        SmallVector<NamedAttribute>(op->getDiscardableAttrs()));
    rewriter.setInsertionPoint(op);
    rewriter.create(newState);
    replaceOpWithBufferizedValues(rewriter, op, results);
    return success();
  }
};

template <typename... OpTys>
void attachAll(MLIRContext *context) {
  (OpTys::template attachInterface<NormOpBufferizableModel<OpTys>>(*context),
   ...);
}

} // namespace

void mlir::norm::detail::attachBufferizableOpInterface(MLIRContext *context) {
  attachAll<RmsNormOp, LayerNormOp, RmsNormGradOp, LayerNormGradOp,
            RmsNormPreAllGatherOp, RmsNormPostAllGatherOp,
            LayerNormPreAllGatherOp, LayerNormPostAllGatherOp>(context);
}
