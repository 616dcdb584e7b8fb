//===- NormInterfaces.td - norm op interfaces --------------*- tablegen -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_IR_NORMINTERFACES_TD
#define NORM_DIALECT_NORM_IR_NORMINTERFACES_TD

include "mlir/IR/OpBase.td"

def Norm_NormOpInterface : OpInterface<"NormOpInterface"> {
  let cppNamespace = "::mlir::norm";
  let description = [{
    Implemented by every op of the norm dialect. It gives passes one way to
    ask any norm op for the tensor being normalized, the normalized
    dimensions and the accumulation type, without switching on the op kind.
  }];
  let methods = [
    InterfaceMethod<"The tensor whose trailing dims are normalized (`x`).",
      "::mlir::Value", "getInput", (ins), [{ return $_op.getX(); }]>,
    InterfaceMethod<"The `axis` attribute as written (may be negative).",
      "int64_t", "getAxisAttrValue", (ins), [{ return $_op.getAxis(); }]>,
    InterfaceMethod<[{The shape of operand `index` relative to `x`: full,
      per row, per column or statistics.}],
      "::mlir::norm::OperandRole", "getOperandRole", (ins "unsigned":$index),
      [{ return $_op.getOperandRole(index); }]>,
    InterfaceMethod<[{The type arithmetic happens in: `acc_type`, or f32 when
      the attribute is absent.}],
      "::mlir::Type", "getAccumulationType", (ins), [{
        if (std::optional<::mlir::Type> type = $_op.getAccType())
          return *type;
        return ::mlir::Float32Type::get($_op.getContext());
      }]>,
  ];
  let extraSharedClassDeclaration = [{
    /// Rank of `x`.
    int64_t getInputRank() {
      return ::llvm::cast<::mlir::ShapedType>($_op.getInput().getType())
          .getRank();
    }
    /// First normalized dimension, in [0, rank).
    int64_t getNormalizedAxis() {
      int64_t axis = $_op.getAxisAttrValue();
      return axis < 0 ? axis + getInputRank() : axis;
    }
    /// Number of leading (row) dimensions.
    int64_t getNumLeadingDims() { return getNormalizedAxis(); }
    /// Number of normalized (trailing) dimensions.
    int64_t getNumNormalizedDims() {
      return getInputRank() - getNormalizedAxis();
    }
  }];
}

#endif // NORM_DIALECT_NORM_IR_NORMINTERFACES_TD
