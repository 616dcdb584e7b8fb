//===- TilingInterfaceImpl.cpp - tiling the norm ops ------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `TilingInterface` for every norm op, attached as an external model (the
// way upstream attaches it to the linalg ops), so that the upstream
// transform ops and scf tiling/fusion drivers tile and fuse norm ops.
//
// The iteration domain is the shape of `x`. Leading dims are parallel and
// normalized dims reductions, except:
//  - a gradient op that computes dgamma/dbeta reduces over the leading dims
//    too (dgamma = Σ_rows ...), so its leading dims are reductions;
//  - a gradient op that computes only dgamma/dbeta is parallel over the
//    normalized dims.
// A tile must cover every reduction dim in full: a norm of a partial row is
// not a partial norm. The tiled op is the same op on slices: operands are
// sliced by their role (full, per row, per column, statistics).
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/Dialect/Utils/StructuredOpsUtils.h"
#include "mlir/Interfaces/TilingInterface.h"

using namespace mlir;
using namespace mlir::norm;

namespace {

/// Which dims of x a gradient op reduces over, from the outputs it has.
struct DimKinds {
  bool leadingAreReductions = false;
  bool normalizedAreReductions = true;
};

template <typename OpTy>
DimKinds getDimKinds(OpTy op) {
  DimKinds kinds;
  if constexpr (std::is_same_v<OpTy, RmsNormGradOp> ||
                std::is_same_v<OpTy, LayerNormGradOp>) {
    kinds.leadingAreReductions = op.getDgamma() || op.getDbeta();
    kinds.normalizedAreReductions = static_cast<bool>(op.getDx());
  }
  return kinds;
}

/// The sizes of a ranked tensor or memref.
SmallVector<OpFoldResult> getSizes(OpBuilder &b, Location loc, Value v) {
  return isa<RankedTensorType>(v.getType()) ? tensor::getMixedSizes(b, loc, v)
                                            : memref::getMixedSizes(b, loc, v);
}

/// Is `size` the full extent of dim `d` of `v`?
bool isFullDim(OpFoldResult size, Value v, int64_t d) {
  auto type = cast<ShapedType>(v.getType());
  if (!type.isDynamicDim(d))
    return isConstantIntValue(size, type.getDimSize(d));
  auto sizeValue = dyn_cast<Value>(size);
  if (!sizeValue)
    return false;
  std::optional<int64_t> index;
  Value source;
  if (auto dim = sizeValue.getDefiningOp<tensor::DimOp>()) {
    source = dim.getSource();
    index = dim.getConstantIndex();
  } else if (auto dim = sizeValue.getDefiningOp<memref::DimOp>()) {
    source = dim.getSource();
    index = dim.getConstantIndex();
  }
  return source == v && index == d;
}

/// The offsets and sizes of an operand of role `role` for the iteration
/// domain tile (`offsets`, `sizes`) of an op whose first normalized dim is
/// `axis`.
void getOperandTile(OpBuilder &b, Location loc, Value operand,
                    OperandRole role, int64_t axis,
                    ArrayRef<OpFoldResult> offsets,
                    ArrayRef<OpFoldResult> sizes,
                    SmallVectorImpl<OpFoldResult> &operandOffsets,
                    SmallVectorImpl<OpFoldResult> &operandSizes) {
  switch (role) {
  case OperandRole::Full:
    operandOffsets.assign(offsets.begin(), offsets.end());
    operandSizes.assign(sizes.begin(), sizes.end());
    return;
  case OperandRole::Rows:
    operandOffsets.assign(offsets.begin(), offsets.begin() + axis);
    operandSizes.assign(sizes.begin(), sizes.begin() + axis);
    return;
  case OperandRole::Cols:
    operandOffsets.assign(offsets.begin() + axis, offsets.end());
    operandSizes.assign(sizes.begin() + axis, sizes.end());
    return;
  case OperandRole::Stats: {
    operandOffsets.assign(offsets.begin(), offsets.begin() + axis);
    operandSizes.assign(sizes.begin(), sizes.begin() + axis);
    operandOffsets.push_back(b.getIndexAttr(0));
    operandSizes.push_back(getSizes(b, loc, operand).back());
    return;
  }
  case OperandRole::Scalar:
    // Not sliced: every tile reads the same scalar.
    return;
  }
}

Value extractSlice(OpBuilder &b, Location loc, Value v,
                   ArrayRef<OpFoldResult> offsets,
                   ArrayRef<OpFoldResult> sizes) {
  SmallVector<OpFoldResult> strides(offsets.size(), b.getIndexAttr(1));
  if (isa<RankedTensorType>(v.getType()))
    return tensor::ExtractSliceOp::create(b, loc, v, offsets, sizes, strides);
  return memref::SubViewOp::create(b, loc, v, offsets, sizes, strides);
}

template <typename OpTy>
struct NormTilingModel final
    : TilingInterface::ExternalModel<NormTilingModel<OpTy>, OpTy> {

  /// The first reduction dim that the tile (`offsets`, `sizes`) of the
  /// iteration domain does not cover whole, if any.
  std::optional<int64_t> cutReductionDim(Operation *op,
                                         ArrayRef<OpFoldResult> offsets,
                                         ArrayRef<OpFoldResult> sizes) const {
    Value x = cast<NormOpInterface>(op).getInput();
    for (auto [d, type] : llvm::enumerate(getLoopIteratorTypes(op)))
      if (type == utils::IteratorType::reduction &&
          (!isZeroInteger(offsets[d]) || !isFullDim(sizes[d], x, d)))
        return static_cast<int64_t>(d);
    return std::nullopt;
  }

  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *op) const {
    auto norm = cast<OpTy>(op);
    auto iface = cast<NormOpInterface>(op);
    DimKinds kinds = getDimKinds(norm);
    int64_t axis = iface.getNormalizedAxis();
    SmallVector<utils::IteratorType> types;
    for (int64_t d = 0, e = iface.getInputRank(); d < e; ++d) {
      bool reduction = d < axis ? kinds.leadingAreReductions
                                : kinds.normalizedAreReductions;
      types.push_back(reduction ? utils::IteratorType::reduction
                                : utils::IteratorType::parallel);
    }
    return types;
  }

  SmallVector<Range> getIterationDomain(Operation *op, OpBuilder &b) const {
    Value x = cast<NormOpInterface>(op).getInput();
    SmallVector<Range> domain;
    for (OpFoldResult size : getSizes(b, op->getLoc(), x))
      domain.push_back(Range{b.getIndexAttr(0), size, b.getIndexAttr(1)});
    return domain;
  }

  FailureOr<TilingResult>
  getTiledImplementation(Operation *op, OpBuilder &b,
                         ArrayRef<OpFoldResult> offsets,
                         ArrayRef<OpFoldResult> sizes) const {
    auto iface = cast<NormOpInterface>(op);
    if (std::optional<int64_t> d = cutReductionDim(op, offsets, sizes))
      return op->emitOpError("cannot tile reduction dim ")
             << *d << ": a norm needs its whole row (or, for dgamma/dbeta, "
                "every row) in one tile";
    Location loc = op->getLoc();
    int64_t axis = iface.getNormalizedAxis();
    SmallVector<Value> operands;
    SmallVector<Operation *> slices;
    for (OpOperand &operand : op->getOpOperands()) {
      OperandRole role = iface.getOperandRole(operand.getOperandNumber());
      if (role == OperandRole::Scalar) {
        operands.push_back(operand.get());
        continue;
      }
      SmallVector<OpFoldResult> operandOffsets, operandSizes;
      getOperandTile(b, loc, operand.get(), role, axis, offsets, sizes,
                     operandOffsets, operandSizes);
      Value slice =
          extractSlice(b, loc, operand.get(), operandOffsets, operandSizes);
      operands.push_back(slice);
      slices.push_back(slice.getDefiningOp());
    }
    SmallVector<Type> resultTypes;
    auto dps = cast<DestinationStyleOpInterface>(op);
    for (OpOperand &init : dps.getDpsInitsMutable())
      if (isa<RankedTensorType>(init.get().getType()))
        resultTypes.push_back(operands[init.getOperandNumber()].getType());
    Operation *tiled = mlir::clone(b, op, resultTypes, operands);
    return TilingResult{{tiled}, SmallVector<Value>(tiled->getResults()),
                        slices};
  }

  LogicalResult
  getResultTilePosition(Operation *op, OpBuilder &b, unsigned resultNumber,
                        ArrayRef<OpFoldResult> offsets,
                        ArrayRef<OpFoldResult> sizes,
                        SmallVector<OpFoldResult> &resultOffsets,
                        SmallVector<OpFoldResult> &resultSizes) const {
    auto iface = cast<NormOpInterface>(op);
    auto dps = cast<DestinationStyleOpInterface>(op);
    OpOperand *init = dps.getTiedOpOperand(op->getResult(resultNumber));
    getOperandTile(b, op->getLoc(), init->get(),
                   iface.getOperandRole(init->getOperandNumber()),
                   iface.getNormalizedAxis(), offsets, sizes, resultOffsets,
                   resultSizes);
    return success();
  }

  LogicalResult getIterationDomainTileFromResultTile(
      Operation *op, OpBuilder &b, unsigned resultNumber,
      ArrayRef<OpFoldResult> resultOffsets, ArrayRef<OpFoldResult> resultSizes,
      SmallVectorImpl<OpFoldResult> &iterDomainOffsets,
      SmallVectorImpl<OpFoldResult> &iterDomainSizes) const {
    auto iface = cast<NormOpInterface>(op);
    auto dps = cast<DestinationStyleOpInterface>(op);
    OpOperand *init = dps.getTiedOpOperand(op->getResult(resultNumber));
    int64_t axis = iface.getNormalizedAxis();
    SmallVector<Range> domain = getIterationDomain(op, b);
    iterDomainOffsets.clear();
    iterDomainSizes.clear();
    for (const Range &r : domain) {
      iterDomainOffsets.push_back(r.offset);
      iterDomainSizes.push_back(r.size);
    }
    switch (iface.getOperandRole(init->getOperandNumber())) {
    case OperandRole::Full:
      for (int64_t d = 0, e = domain.size(); d < e; ++d) {
        iterDomainOffsets[d] = resultOffsets[d];
        iterDomainSizes[d] = resultSizes[d];
      }
      return success();
    case OperandRole::Rows:
    case OperandRole::Stats:
      for (int64_t d = 0; d < axis; ++d) {
        iterDomainOffsets[d] = resultOffsets[d];
        iterDomainSizes[d] = resultSizes[d];
      }
      return success();
    case OperandRole::Cols:
      for (int64_t d = axis, e = domain.size(); d < e; ++d) {
        iterDomainOffsets[d] = resultOffsets[d - axis];
        iterDomainSizes[d] = resultSizes[d - axis];
      }
      return success();
    case OperandRole::Scalar:
      break;
    }
    llvm_unreachable("unknown operand role");
  }

  FailureOr<TilingResult>
  generateResultTileValue(Operation *op, OpBuilder &b, unsigned resultNumber,
                          ArrayRef<OpFoldResult> offsets,
                          ArrayRef<OpFoldResult> sizes) const {
    SmallVector<OpFoldResult> domainOffsets, domainSizes;
    if (failed(getIterationDomainTileFromResultTile(
            op, b, resultNumber, offsets, sizes, domainOffsets, domainSizes)))
      return failure();
    // A consumer asking for part of a row (producer fusion with a tile of the
    // normalized dims) cannot get it: fail without an error, so that the
    // fusion leaves this op unfused and the transform succeeds, instead of
    // printing an error and exiting 0.
    if (cutReductionDim(op, domainOffsets, domainSizes))
      return failure();
    FailureOr<TilingResult> tiled =
        getTiledImplementation(op, b, domainOffsets, domainSizes);
    if (failed(tiled))
      return failure();
    return TilingResult{tiled->tiledOps,
                        {tiled->tiledValues[resultNumber]},
                        tiled->generatedSlices};
  }
};

template <typename... OpTys>
void attachAll(MLIRContext *context) {
  (OpTys::template attachInterface<NormTilingModel<OpTys>>(*context), ...);
}

} // namespace

void mlir::norm::detail::attachTilingInterface(MLIRContext *context) {
  attachAll<RmsNormOp, LayerNormOp, RmsNormGradOp, LayerNormGradOp,
            RmsNormPreAllGatherOp, RmsNormPostAllGatherOp,
            LayerNormPreAllGatherOp, LayerNormPostAllGatherOp>(context);
}
