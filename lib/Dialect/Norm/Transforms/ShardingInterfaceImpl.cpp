//===- ShardingInterfaceImpl.cpp - norm ops on a device grid ----*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `buildDistributedNorm` (the SPMD form of a norm op whose rows and/or
// normalized dims are split over grid axes) and the `ShardingInterface`
// external models that let upstream `sharding-propagation` and
// `shard-partition` use it. The model follows upstream linalg's: one loop per
// dim of `x`, all parallel, and an indexing map per operand and result read
// off the operand's role (full, per row, per column).
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/Sharding.h"

#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterface.h"
#include "mlir/Dialect/Shard/Interfaces/ShardingInterfaceImpl.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;
using namespace mlir::norm;

namespace {

/// Pre-all-gather of a forward op's local shard: its statistics (`entries`
/// per row, in `accType`, f32 when null) and the input post normalizes, h = x + residual
/// rounded to x's type as the unsplit op does (pre always returns h when
/// there is a residual), or x.
struct PreResult {
  Value stats, h;
};
template <typename PreOpTy, typename OpTy>
PreResult buildPre(OpBuilder &b, OpTy op, int64_t entries, TypeAttr accType,
                   StatsLayout layout) {
  Location loc = op.getLoc();
  Value x = op.getX();
  int64_t axis = cast<NormOpInterface>(op.getOperation()).getNormalizedAxis();
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  SmallVector<OpFoldResult> statsSizes(sizes.begin(), sizes.begin() + axis);
  statsSizes.push_back(b.getIndexAttr(entries));
  Type statsAcc = accType ? accType.getValue() : Type(b.getF32Type());
  Value init = tensor::EmptyOp::create(b, loc, statsSizes, statsAcc);
  Value hInit;
  if (op.getResidual())
    hInit = op.getResidualOut()
                ? op.getResidualOut()
                : tensor::EmptyOp::create(
                      b, loc, sizes,
                      cast<ShapedType>(x.getType()).getElementType())
                      .getResult();
  SmallVector<Type> types = {init.getType()};
  if (hInit)
    types.push_back(hInit.getType());
  auto pre = PreOpTy::create(b, loc, types, x, op.getResidual(), init, hInit,
                             op.getAxisAttr(), accType,
                             StatsLayoutAttr::get(b.getContext(), layout));
  return {pre->getResult(0), hInit ? Value(pre->getResult(1)) : x};
}

/// `value` summed over the processes of `axes` of the grid.
Value allReduceSum(OpBuilder &b, Location loc, Value value,
                   FlatSymbolRefAttr grid, ArrayRef<shard::GridAxis> axes) {
  return shard::AllReduceOp::create(b, loc, value, grid.getValue(), axes,
                                    shard::ReductionKind::Sum)
      .getResult();
}

/// `stats` all-gathered along its last dim over the normalized dims' axes.
Value gatherStats(OpBuilder &b, Location loc, Value stats,
                  const NormDistribution &dist) {
  auto type = cast<RankedTensorType>(stats.getType());
  SmallVector<int64_t> shape(type.getShape());
  shape.back() *= dist.numColShards;
  return shard::AllGatherOp::create(
             b, loc, type.clone(shape), dist.grid,
             b.getDenseI16ArrayAttr(dist.colAxes), stats,
             b.getIndexAttr(type.getRank() - 1))
      .getResult();
}

/// rms_norm → rms_norm_pre_all_gather → all_gather → rms_norm_post_all_gather.
SmallVector<Value> splitForward(OpBuilder &b, RmsNormOp op,
                                const NormDistribution &dist) {
  Location loc = op.getLoc();
  PreResult pre = buildPre<RmsNormPreAllGatherOp>(
      b, op, 2, op.getAccTypeAttr(), StatsLayout::CountSumSq);
  SmallVector<Type> postTypes = {op.getY().getType()};
  if (Value r = op.getRstd())
    postTypes.push_back(r.getType());
  auto post = RmsNormPostAllGatherOp::create(
      b, loc, postTypes, pre.h, gatherStats(b, loc, pre.stats, dist),
      op.getGamma(), op.getBeta(), op.getEps(), op.getY(), op.getRstd(),
      op.getAxisAttr(),
      op.getEpsilonAttr(), op.getGammaOffsetAttr(), op.getAccTypeAttr(),
      op.getRoundingAttr(),
      StatsLayoutAttr::get(b.getContext(), StatsLayout::CountSumSq));
  SmallVector<Value> results(post.getResults());
  if (op.getResidualOut())
    results.push_back(pre.h);
  return results;
}

/// `value` (a per-row tensor) rounded to the element type of `init`.
Value narrowInto(OpBuilder &b, Location loc, Value value, Value init) {
  auto type = cast<RankedTensorType>(init.getType());
  if (cast<RankedTensorType>(value.getType()).getElementType() ==
      type.getElementType())
    return value;
  SmallVector<AffineMap> maps(2, b.getMultiDimIdentityMap(type.getRank()));
  SmallVector<utils::IteratorType> iters(type.getRank(),
                                         utils::IteratorType::parallel);
  return linalg::GenericOp::create(
             b, loc, TypeRange{type}, ValueRange{value}, ValueRange{init},
             maps, iters,
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value v = arith::TruncFOp::create(nb, nl, type.getElementType(),
                                                 args[0]);
               linalg::YieldOp::create(nb, nl, v);
             })
      .getResult(0);
}

/// A per-row init of `init`'s shape in `elementType` (null if no init).
Value rowsInit(OpBuilder &b, Location loc, Value init, Type elementType) {
  if (!init)
    return Value();
  return tensor::EmptyOp::create(b, loc, tensor::getMixedSizes(b, loc, init),
                                 elementType);
}

/// layer_norm → layer_norm_pre_all_gather → all_gather → post. With an f32
/// accumulation type the statistics are computed, exchanged and merged in
/// f64: each shard's Σh rounded to f32 loses what the between-shard term
/// n_p·(mean_p − mean)² needs when |mean| ≫ std (mean-100 data came out
/// ~5 f32 ulps worse than the unsplit op). mean/rstd are rounded to f32 at
/// the end, like the unsplit op's.
SmallVector<Value> splitForward(OpBuilder &b, LayerNormOp op,
                                const NormDistribution &dist) {
  Location loc = op.getLoc();
  Type acc = cast<NormOpInterface>(op.getOperation()).getAccumulationType();
  Type statsAcc = acc.isF32() ? Type(b.getF64Type()) : acc;
  TypeAttr statsAccAttr = TypeAttr::get(statsAcc);
  PreResult pre = buildPre<LayerNormPreAllGatherOp>(
      b, op, 3, statsAccAttr, StatsLayout::CountSumM2);
  Value meanInit = rowsInit(b, loc, op.getMean(), statsAcc);
  Value rstdInit = rowsInit(b, loc, op.getRstd(), statsAcc);
  SmallVector<Type> postTypes = {op.getY().getType()};
  if (meanInit)
    postTypes.push_back(meanInit.getType());
  if (rstdInit)
    postTypes.push_back(rstdInit.getType());
  // A runtime eps is of the post op's accumulation type (f32 widened to f64
  // exactly).
  Value eps = op.getEps();
  if (eps && eps.getType() != statsAcc)
    eps = arith::ExtFOp::create(b, loc, statsAcc, eps);
  auto post = LayerNormPostAllGatherOp::create(
      b, loc, postTypes, pre.h, gatherStats(b, loc, pre.stats, dist),
      op.getGamma(), op.getBeta(), eps, op.getY(), meanInit, rstdInit,
      op.getAxisAttr(), op.getEpsilonAttr(), op.getGammaOffsetAttr(),
      statsAccAttr, op.getRoundingAttr(),
      StatsLayoutAttr::get(b.getContext(), StatsLayout::CountSumM2));
  SmallVector<Value> results = {post->getResult(0)};
  unsigned next = 1;
  if (op.getMean())
    results.push_back(
        narrowInto(b, loc, post->getResult(next++), op.getMean()));
  if (op.getRstd())
    results.push_back(
        narrowInto(b, loc, post->getResult(next++), op.getRstd()));
  if (op.getResidualOut())
    results.push_back(pre.h);
  return results;
}

/// Whether `operand` is one of `group`'s operands (by position).
bool isIn(OpOperand &operand, MutableOperandRange group) {
  for (OpOperand &o : group)
    if (&o == &operand)
      return true;
  return false;
}

/// A gradient with its normalized dims split: dx from the local shard with
/// the per-row sums all-reduced over the column axes; dgamma/dbeta from the
/// local shard as they are (their columns are this shard's).
template <typename OpTy>
FailureOr<SmallVector<Value>> splitGradient(RewriterBase &b, OpTy op,
                                            const NormDistribution &dist) {
  SmallVector<Value> results;
  if (op.getDx()) {
    // Operands told apart by position, not value: the inits may be one
    // value (rank 1, or axis 0 of a square tensor).
    OpTy dxOnly = norm::detail::cloneWithoutOperands<OpTy>(
        b, op, [&](OpOperand &o) {
          return isIn(o, op.getDgammaMutable()) || isIn(o, op.getDbetaMutable());
        });
    auto combine = [&](OpBuilder &nb, Location loc, Value partial) {
      return allReduceSum(nb, loc, partial, dist.grid, dist.colAxes);
    };
    FailureOr<SmallVector<Value>> dx = decomposeGradientWithRowSums(
        b, dxOnly, combine, dist.numColShards);
    b.eraseOp(dxOnly);
    if (failed(dx))
      return failure();
    results.append(*dx);
  }
  if (op.getDgamma() || op.getDbeta()) {
    OpTy weights = norm::detail::cloneWithoutOperands<OpTy>(
        b, op, [&](OpOperand &o) { return isIn(o, op.getDxMutable()); });
    results.append(weights->result_begin(), weights->result_end());
  }
  return results;
}

} // namespace

FailureOr<SmallVector<Value>>
mlir::norm::buildDistributedNorm(RewriterBase &b, Operation *op,
                                 ValueRange localOperands,
                                 const NormDistribution &dist) {
  if (!isa<RmsNormOp, LayerNormOp, RmsNormGradOp, LayerNormGradOp>(op))
    return op->emitOpError(
        "has no distributed form (only rms_norm, layer_norm and their "
        "gradients are split)");
  auto dps = cast<DestinationStyleOpInterface>(op);
  if (!dps.hasPureTensorSemantics())
    return op->emitOpError("is distributed on tensors only");
  if (localOperands.size() != op->getNumOperands())
    return op->emitOpError("expected one local value per operand");
  Location loc = op->getLoc();

  // The op on the local shards; results typed like their local inits.
  IRMapping mapping;
  mapping.map(op->getOperands(), localOperands);
  Operation *local = b.clone(*op, mapping);
  for (auto [result, init] : llvm::zip_equal(
           local->getResults(),
           cast<DestinationStyleOpInterface>(local).getDpsInits()))
    result.setType(init.getType());

  SmallVector<Value> results(local->getResults());
  if (!dist.colAxes.empty()) {
    FailureOr<SmallVector<Value>> split =
        TypeSwitch<Operation *, FailureOr<SmallVector<Value>>>(local)
            .Case<RmsNormOp, LayerNormOp>([&](auto fwd) {
              return FailureOr<SmallVector<Value>>(
                  splitForward(b, fwd, dist));
            })
            .Case<RmsNormGradOp, LayerNormGradOp>(
                [&](auto grad) { return splitGradient(b, grad, dist); });
    b.eraseOp(local);
    if (failed(split))
      return op->emitOpError("could not be split over its normalized dims");
    results = std::move(*split);
  }

  // Rows split: dgamma/dbeta are sums over every row of every shard.
  if (!dist.rowAxes.empty() && isa<RmsNormGradOp, LayerNormGradOp>(op)) {
    auto normOp = cast<NormOpInterface>(op);
    for (auto [i, init] : llvm::enumerate(dps.getDpsInitsMutable())) {
      if (normOp.getOperandRole(init.getOperandNumber()) != OperandRole::Cols)
        continue;
      results[i] =
          allReduceSum(b, loc, results[i], dist.grid, dist.rowAxes);
    }
  }
  return results;
}

//===----------------------------------------------------------------------===//
// ShardingInterface
//===----------------------------------------------------------------------===//

namespace {

template <typename OpTy>
struct NormShardingModel
    : shard::ShardingInterface::ExternalModel<NormShardingModel<OpTy>, OpTy> {
  SmallVector<utils::IteratorType> getLoopIteratorTypes(Operation *op) const {
    // dgamma/dbeta sum over the rows, but dx does not: the rows are parallel
    // loops and `partition` all-reduces dgamma/dbeta over row shards.
    return SmallVector<utils::IteratorType>(
        cast<NormOpInterface>(op).getInputRank(),
        utils::IteratorType::parallel);
  }

  SmallVector<AffineMap> getIndexingMaps(Operation *op) const {
    auto normOp = cast<NormOpInterface>(op);
    int64_t rank = normOp.getInputRank();
    int64_t axis = normOp.getNormalizedAxis();
    MLIRContext *ctx = op->getContext();
    auto mapOf = [&](unsigned operand) {
      switch (normOp.getOperandRole(operand)) {
      case OperandRole::Rows:
        return AffineMap::get(
            rank, 0,
            AffineMap::getMultiDimIdentityMap(rank, ctx).getResults().take_front(
                axis),
            ctx);
      case OperandRole::Cols:
        return AffineMap::getMinorIdentityMap(rank, rank - axis, ctx);
      case OperandRole::Scalar:
        return AffineMap::get(rank, 0, {}, ctx);
      default:
        return AffineMap::getMultiDimIdentityMap(rank, ctx);
      }
    };
    SmallVector<AffineMap> maps;
    for (unsigned i = 0, e = op->getNumOperands(); i < e; ++i)
      maps.push_back(mapOf(i));
    for (OpOperand &init :
         cast<DestinationStyleOpInterface>(op).getDpsInitsMutable())
      maps.push_back(mapOf(init.getOperandNumber()));
    return maps;
  }

  /// Upstream's default, except that a scalar operand (the runtime eps) gets
  /// no annotation: MLIR 22.1 would insert a `shard.sharding` without a grid
  /// for it, which does not verify.
  LogicalResult addShardingAnnotations(
      Operation *op, OpBuilder &b,
      const shard::ShardingOption &shardingOption) const {
    FailureOr<std::vector<shard::Sharding>> shardings =
        shard::detail::defaultGetShardingAnnotations(op, shardingOption);
    if (failed(shardings))
      return failure();
    unsigned numOperands = op->getNumOperands();
    for (OpResult result : op->getResults())
      shard::maybeInsertTargetShardingAnnotation(
          (*shardings)[numOperands + result.getResultNumber()], result, b);
    for (OpOperand &operand : op->getOpOperands()) {
      if (!isa<RankedTensorType>(operand.get().getType()))
        continue;
      OpBuilder::InsertionGuard guard(b);
      shard::maybeInsertSourceShardingAnnotation(
          (*shardings)[operand.getOperandNumber()], operand, b);
    }
    return success();
  }

  LogicalResult partition(Operation *op, ArrayRef<Value> partitionedOperands,
                          ArrayRef<shard::Sharding> operandShardings,
                          ArrayRef<shard::Sharding> resultShardings,
                          IRMapping &partitionMap,
                          SymbolTableCollection &symbolTable,
                          OpBuilder &builder) const {
    auto normOp = cast<NormOpInterface>(op);
    int64_t axis = normOp.getNormalizedAxis();
    shard::ShardingArray loopAxes =
        shard::getGridAxisAssignmentForLoopIterators(
            operandShardings, resultShardings, getLoopIteratorTypes(op),
            getIndexingMaps(op));
    NormDistribution dist;
    for (const shard::Sharding &s : operandShardings)
      if (s && s.getGridAttr())
        dist.grid = s.getGridAttr();
    for (const shard::Sharding &s : resultShardings)
      if (!dist.grid && s && s.getGridAttr())
        dist.grid = s.getGridAttr();
    for (auto [loop, axes] : llvm::enumerate(loopAxes))
      llvm::append_range(static_cast<int64_t>(loop) < axis ? dist.rowAxes
                                                           : dist.colAxes,
                         axes);
    if (!dist.grid || (dist.rowAxes.empty() && dist.colAxes.empty())) {
      shard::partitionFullyReplicatedOperation(
          *op, partitionedOperands, operandShardings, resultShardings,
          partitionMap, symbolTable, builder);
      return success();
    }
    shard::GridOp grid = shard::getGridOrNull(op, dist.grid, symbolTable);
    if (!grid)
      return op->emitOpError("refers to an unknown grid ") << dist.grid;
    dist.numColShards = shard::collectiveProcessGroupSize(dist.colAxes, grid);
    if (dist.numColShards == 0)
      return op->emitOpError("is split over grid ")
             << dist.grid << " whose size along the normalized dims' axes is "
             << "0 (a norm cannot be split over no devices)";
    if (dist.numColShards < 0 || ShapedType::isDynamic(dist.numColShards))
      return op->emitOpError(
          "needs a static grid size along the axes that split its "
          "normalized dims");
    IRRewriter rewriter(builder);
    FailureOr<SmallVector<Value>> results =
        buildDistributedNorm(rewriter, op, partitionedOperands, dist);
    if (failed(results))
      return failure();
    builder.setInsertionPoint(rewriter.getInsertionBlock(),
                              rewriter.getInsertionPoint());
    partitionMap.map(op->getResults(), *results);
    return success();
  }
};

template <typename... OpTys>
void attachModels(MLIRContext *ctx) {
  (OpTys::template attachInterface<NormShardingModel<OpTys>>(*ctx), ...);
}

} // namespace

void mlir::norm::registerShardingInterfaceExternalModels(
    DialectRegistry &registry) {
  registry.addExtension(+[](MLIRContext *ctx, NormDialect *) {
    ctx->loadDialect<arith::ArithDialect, linalg::LinalgDialect,
                     shard::ShardDialect, tensor::TensorDialect>();
    attachModels<RmsNormOp, LayerNormOp, RmsNormGradOp, LayerNormGradOp>(ctx);
  });
}
