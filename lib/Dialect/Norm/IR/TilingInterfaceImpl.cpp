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
// The gradient ops with dgamma/dbeta also implement
// `PartialReductionOpInterface` over their rows: a tile of rows computes its
// dx rows and a partial dgamma/dbeta, and the partials are summed after the
// loop (upstream `tile_reduction_using_for/forall`, and `norm-tile-rows`).
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
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


/// `PartialReductionOpInterface` for the gradient ops, over their rows.
///
/// The leading dims the driver tiles (`reductionDims`, all < axis) become
/// partial dims of dgamma/dbeta: their partial tensors are
/// `[sizes of reductionDims..., normalized shape]` (partial dims first, so
/// that one partial row is contiguous), zero-filled in `acc_type`. dx is not
/// a reduction: its "partial" is the dx init itself, each tile writes its
/// own rows, and the merge passes it through.
///  - OuterParallel (`scf.forall` over chunks of rows): each chunk is the
///    same gradient op on its rows, writing its own partial row (a
///    rank-reducing slice at the chunk's index).
///  - OuterReduction (`scf.for`): each tile is the dx-only gradient op on its
///    rows plus one elementwise `linalg.generic` adding dy·x̂ (and dy) into
///    the partial slice, so x and dy are read in the same loop as dx.
/// The merge sums the partials in index order (fixed, so dgamma/dbeta do
/// not depend on the thread count) with `linalg.reduce` into the op's
/// dgamma/dbeta inits.
template <typename OpTy>
struct NormPartialReductionModel final
    : PartialReductionOpInterface::ExternalModel<NormPartialReductionModel<OpTy>,
                                                 OpTy> {
  /// Whether the tiled dims are leading dims of an op with dgamma/dbeta.
  static LogicalResult checkReductionDims(Operation *op,
                                          const SetVector<unsigned> &dims) {
    auto grad = cast<OpTy>(op);
    int64_t axis = cast<NormOpInterface>(op).getNormalizedAxis();
    if (!grad.hasPureTensorSemantics())
      return op->emitOpError("partial reduction needs tensors");
    if (!grad.getDgamma() && !grad.getDbeta())
      return op->emitOpError("partial reduction needs dgamma or dbeta: "
                             "without them the rows are parallel");
    if (dims.empty())
      return op->emitOpError("partial reduction needs a tiled row dim");
    for (unsigned d : dims)
      if (static_cast<int64_t>(d) >= axis)
        return op->emitOpError("cannot split normalized dim ")
               << d << " into partial reductions: a norm needs its whole row";
    return success();
  }

  static bool isColsInit(Operation *op, OpOperand &operand) {
    auto dps = cast<DestinationStyleOpInterface>(op);
    return dps.isDpsInit(&operand) &&
           cast<NormOpInterface>(op).getOperandRole(
               operand.getOperandNumber()) == OperandRole::Cols;
  }

  FailureOr<SmallVector<Value>> generateInitialTensorForPartialReduction(
      Operation *op, OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
      const SetVector<unsigned> &reductionDims) const {
    if (failed(checkReductionDims(op, reductionDims)))
      return failure();
    auto iface = cast<NormOpInterface>(op);
    Type acc = iface.getAccumulationType();
    Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(acc));
    SmallVector<Value> inits;
    for (OpOperand &init :
         cast<DestinationStyleOpInterface>(op).getDpsInitsMutable()) {
      if (!isColsInit(op, init)) {
        inits.push_back(init.get());
        continue;
      }
      // The normalized dims as the init spells them (static where it is),
      // so that the merge reduces into it with matching shapes.
      SmallVector<OpFoldResult> shape;
      for (unsigned d : reductionDims)
        shape.push_back(sizes[d]);
      llvm::append_range(shape, tensor::getMixedSizes(b, loc, init.get()));
      // bufferization.alloc_tensor, not tensor.empty: CSE would merge the
      // identical empty+fill of dgamma's and dbeta's partials into one
      // value, and bufferization would then copy it for each loop result.
      SmallVector<int64_t> staticShape;
      SmallVector<Value> dynamicSizes;
      dispatchIndexOpFoldResults(shape, dynamicSizes, staticShape);
      Value empty = bufferization::AllocTensorOp::create(
          b, loc, RankedTensorType::get(staticShape, acc), dynamicSizes);
      inits.push_back(
          linalg::FillOp::create(b, loc, zero, empty).getResult(0));
    }
    return inits;
  }

  LogicalResult getPartialResultTilePosition(
      Operation *op, OpBuilder &b, unsigned resultNumber,
      ReductionTilingStrategy strategy, ArrayRef<OpFoldResult> offsets,
      ArrayRef<OpFoldResult> sizes, const SetVector<unsigned> &reductionDims,
      ArrayRef<OpFoldResult> splitReductionIvs,
      SmallVector<OpFoldResult> &resultOffsets,
      SmallVector<OpFoldResult> &resultSizes) const {
    auto dps = cast<DestinationStyleOpInterface>(op);
    OpOperand *init = dps.getTiedOpOperand(op->getResult(resultNumber));
    resultOffsets.clear();
    resultSizes.clear();
    if (!isColsInit(op, *init)) {
      // dx: the tile's own rows.
      resultOffsets.assign(offsets.begin(), offsets.end());
      resultSizes.assign(sizes.begin(), sizes.end());
      return success();
    }
    int64_t axis = cast<NormOpInterface>(op).getNormalizedAxis();
    for (auto [k, d] : llvm::enumerate(reductionDims)) {
      if (strategy == ReductionTilingStrategy::PartialReductionOuterParallel) {
        resultOffsets.push_back(splitReductionIvs[k]);
        resultSizes.push_back(b.getIndexAttr(1));
      } else {
        resultOffsets.push_back(b.getIndexAttr(0));
        resultSizes.push_back(sizes[d]);
      }
    }
    for (int64_t d = axis, e = offsets.size(); d < e; ++d) {
      resultOffsets.push_back(b.getIndexAttr(0));
      resultSizes.push_back(sizes[d]);
    }
    return success();
  }

  FailureOr<TilingResult>
  tileToPartialReduction(Operation *op, OpBuilder &b, Location loc,
                         ReductionTilingStrategy strategy, ValueRange init,
                         ArrayRef<OpFoldResult> offsets,
                         ArrayRef<OpFoldResult> sizes,
                         const SetVector<unsigned> &reductionDims,
                         ArrayRef<OpFoldResult> splitReductionIvs) const {
    if (failed(checkReductionDims(op, reductionDims)))
      return failure();
    auto grad = cast<OpTy>(op);
    auto iface = cast<NormOpInterface>(op);
    auto dps = cast<DestinationStyleOpInterface>(op);
    int64_t axis = iface.getNormalizedAxis();
    Value x = iface.getInput();
    // The driver's sizes of untiled dims may be folded (dim of a slice →
    // the slice's size): compare with x's folded size too.
    auto isWhole = [&](int64_t d) {
      if (isFullDim(sizes[d], x, d))
        return true;
      OpFoldResult whole = isa<RankedTensorType>(x.getType())
                               ? tensor::getMixedSize(b, loc, x, d)
                               : memref::getMixedSize(b, loc, x, d);
      return isEqualConstantIntOrValue(sizes[d], whole);
    };
    // A leading dim that is not a partial dim must be whole: its rows all
    // add into the same partial slot (tiles of it would race on it).
    for (int64_t d = 0; d < axis; ++d)
      if (!reductionDims.contains(d) &&
          (!isZeroInteger(offsets[d]) || !isWhole(d)))
        return op->emitOpError("cannot tile leading dim ")
               << d << " without making it a partial-reduction dim";
    for (int64_t d = axis, e = offsets.size(); d < e; ++d)
      if (!isZeroInteger(offsets[d]) || !isWhole(d))
        return op->emitOpError("cannot tile normalized dim ")
               << d << ": a norm needs its whole row in one tile";

    // Every operand's slice for this tile; the inits are the loop's.
    SmallVector<Value> operands;
    SmallVector<Operation *> slices;
    auto sliceOf = [&](Value v, ArrayRef<OpFoldResult> o,
                       ArrayRef<OpFoldResult> s) {
      Value slice = extractSlice(b, loc, v, o, s);
      slices.push_back(slice.getDefiningOp());
      return slice;
    };
    SmallVector<Value> partialSlices;
    unsigned initIndex = 0;
    for (OpOperand &operand : op->getOpOperands()) {
      unsigned number = operand.getOperandNumber();
      OperandRole role = iface.getOperandRole(number);
      Value value = operand.get();
      bool isInit = dps.isDpsInit(&operand);
      if (isInit)
        value = init[initIndex++];
      if (role == OperandRole::Scalar) {
        operands.push_back(value);
        continue;
      }
      SmallVector<OpFoldResult> o, s;
      if (isInit && role == OperandRole::Cols) {
        if (failed(getPartialResultTilePosition(
                op, b, dps.getTiedOpResult(&operand).getResultNumber(),
                strategy, offsets, sizes, reductionDims, splitReductionIvs, o,
                s)))
          return failure();
        Value slice;
        if (strategy ==
            ReductionTilingStrategy::PartialReductionOuterParallel) {
          // This chunk's partial row, rank-reduced to gamma's shape.
          SmallVector<int64_t> shape;
          for (OpFoldResult size : ArrayRef(s).drop_front(reductionDims.size()))
            shape.push_back(getConstantIntValue(size).value_or(
                ShapedType::kDynamic));
          auto type = RankedTensorType::get(
              shape, cast<ShapedType>(value.getType()).getElementType());
          SmallVector<OpFoldResult> strides(o.size(), b.getIndexAttr(1));
          slice = tensor::ExtractSliceOp::create(b, loc, type, value, o, s,
                                                 strides);
          slices.push_back(slice.getDefiningOp());
        } else {
          slice = sliceOf(value, o, s);
        }
        partialSlices.push_back(slice);
        operands.push_back(slice);
        continue;
      }
      getOperandTile(b, loc, value, role, axis, offsets, sizes, o, s);
      operands.push_back(sliceOf(value, o, s));
    }

    if (strategy == ReductionTilingStrategy::PartialReductionOuterParallel) {
      // The same op on the chunk's rows: dgamma/dbeta sum the chunk.
      SmallVector<Type> resultTypes;
      for (OpOperand &i : dps.getDpsInitsMutable())
        resultTypes.push_back(operands[i.getOperandNumber()].getType());
      Operation *tiled = mlir::clone(b, op, resultTypes, operands);
      return TilingResult{{tiled}, SmallVector<Value>(tiled->getResults()),
                          slices};
    }

    // OuterReduction: the dx rows by a dx-only op, the partial sums by one
    // elementwise generic that adds this tile's terms into the partials.
    SmallVector<Operation *> tiledOps;
    SmallVector<Value> values;
    if (grad.getDx()) {
      OpTy dxOnly = norm::detail::cloneWithoutOperands<OpTy>(
          b, grad, [&](OpOperand &o) { return isColsInit(op, o); });
      SmallVector<Value> dxOperands;
      SmallVector<Type> dxTypes;
      for (OpOperand &operand : op->getOpOperands()) {
        if (isColsInit(op, operand))
          continue;
        dxOperands.push_back(operands[operand.getOperandNumber()]);
        if (dps.isDpsInit(&operand))
          dxTypes.push_back(dxOperands.back().getType());
      }
      Operation *tiled = mlir::clone(b, dxOnly, dxTypes, dxOperands);
      dxOnly->erase();
      tiledOps.push_back(tiled);
      values.push_back(tiled->getResult(0));
    }
    Type acc = iface.getAccumulationType();
    int64_t rank = iface.getInputRank();
    Value dy = operands[grad.getDyMutable().getOperandNumber()];
    Value xs = operands[grad.getXMutable().getOperandNumber()];
    Value rstd = operands[grad.getRstdMutable().getOperandNumber()];
    Value mean;
    if constexpr (std::is_same_v<OpTy, LayerNormGradOp>)
      mean = operands[grad.getMeanMutable().getOperandNumber()];
    MLIRContext *context = b.getContext();
    AffineMap full = AffineMap::getMultiDimIdentityMap(rank, context);
    SmallVector<AffineExpr> rowExprs, partialExprs;
    for (int64_t d = 0; d < axis; ++d)
      rowExprs.push_back(getAffineDimExpr(d, context));
    for (unsigned d : reductionDims)
      partialExprs.push_back(getAffineDimExpr(d, context));
    for (int64_t d = axis; d < rank; ++d)
      partialExprs.push_back(getAffineDimExpr(d, context));
    AffineMap rowMap = AffineMap::get(rank, 0, rowExprs, context);
    AffineMap partialMap = AffineMap::get(rank, 0, partialExprs, context);
    SmallVector<Value> inputs = {dy, xs, rstd};
    SmallVector<AffineMap> maps = {full, full, rowMap};
    if (mean) {
      inputs.push_back(mean);
      maps.push_back(rowMap);
    }
    maps.append(partialSlices.size(), partialMap);
    // Leading dims not tiled here are summed inside the tile.
    SmallVector<utils::IteratorType> iterators(rank,
                                               utils::IteratorType::parallel);
    for (int64_t d = 0; d < axis; ++d)
      if (!reductionDims.contains(d))
        iterators[d] = utils::IteratorType::reduction;
    bool wantGamma = static_cast<bool>(grad.getDgamma());
    auto sums = linalg::GenericOp::create(
        b, loc, ValueRange(partialSlices).getTypes(), inputs, partialSlices,
        maps, iterators, [&](OpBuilder &nb, Location nl, ValueRange a) {
          auto widen = [&](Value v) -> Value {
            return v.getType() == acc ? v
                                      : arith::ExtFOp::create(nb, nl, acc, v);
          };
          Value d = widen(a[0]);
          Value xc = widen(a[1]);
          unsigned next = 3;
          if (mean)
            xc = arith::SubFOp::create(nb, nl, xc, a[next++]);
          Value xhat = arith::MulFOp::create(nb, nl, xc, a[2]);
          SmallVector<Value> out;
          if (wantGamma)
            out.push_back(arith::AddFOp::create(
                nb, nl, a[next++], arith::MulFOp::create(nb, nl, d, xhat)));
          if (grad.getDbeta())
            out.push_back(arith::AddFOp::create(nb, nl, a[next++], d));
          linalg::YieldOp::create(nb, nl, out);
        });
    tiledOps.push_back(sums);
    values.append(sums->result_begin(), sums->result_end());
    return TilingResult{tiledOps, values, slices};
  }

  FailureOr<MergeResult>
  mergeReductions(Operation *op, OpBuilder &b, Location loc,
                  ValueRange partialReduce,
                  const SetVector<unsigned> &reductionDims) const {
    auto dps = cast<DestinationStyleOpInterface>(op);
    Type acc = cast<NormOpInterface>(op).getAccumulationType();
    MergeResult merge;
    SmallVector<int64_t> dims;
    for (int64_t k = 0, e = reductionDims.size(); k < e; ++k)
      dims.push_back(k);
    for (auto [init, partial] :
         llvm::zip_equal(dps.getDpsInitsMutable(), partialReduce)) {
      if (!isColsInit(op, init)) {
        merge.replacements.push_back(partial);
        continue;
      }
      // Σ over the partial dims, in index order, into the op's init.
      Value zero = arith::ConstantOp::create(b, loc, b.getZeroAttr(acc));
      Value dest =
          linalg::FillOp::create(b, loc, zero, init.get()).getResult(0);
      auto reduce = linalg::ReduceOp::create(
          b, loc, ValueRange{partial}, ValueRange{dest}, dims,
          [](OpBuilder &nb, Location nl, ValueRange a) {
            linalg::YieldOp::create(
                nb, nl, ValueRange{arith::AddFOp::create(nb, nl, a[0], a[1])});
          });
      merge.mergeOps.push_back(reduce);
      merge.replacements.push_back(reduce->getResult(0));
    }
    return merge;
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
  RmsNormGradOp::attachInterface<NormPartialReductionModel<RmsNormGradOp>>(
      *context);
  LayerNormGradOp::attachInterface<
      NormPartialReductionModel<LayerNormGradOp>>(*context);
}
