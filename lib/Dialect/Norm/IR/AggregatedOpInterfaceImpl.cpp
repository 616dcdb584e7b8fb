//===- AggregatedOpInterfaceImpl.cpp - norm ops into linalg -----*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// `AggregatedOpInterface::decomposeOperation` for the norm ops, after the
// model of `linalg.softmax`: each op becomes a small DAG of linalg.generic /
// linalg.fill on tensors, one value per original result. The numerics follow
// docs/Norm.md: inputs are widened to the accumulation type before any
// arithmetic, reductions accumulate in it, and the output is rounded once at
// the end (or x̂ first, for `#norm.rounding<before_gamma>`). An absent
// optional output is not materialized: its value only lives as far as the
// math needs it.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::norm;

namespace {

using BodyFn = llvm::function_ref<Value(OpBuilder &, Location, ValueRange)>;

/// Widens a scalar to the accumulation type (no-op if it already is).
Value widen(OpBuilder &b, Location loc, Value v, Type acc) {
  if (v.getType() == acc)
    return v;
  return arith::ExtFOp::create(b, loc, acc, v);
}

/// Rounds an accumulation-type scalar to `type` (no-op if equal).
Value narrow(OpBuilder &b, Location loc, Value v, Type type) {
  if (v.getType() == type)
    return v;
  return arith::TruncFOp::create(b, loc, type, v);
}

/// Builds the linalg ops of one decomposition. `x` fixes the iteration space:
/// d0..d(axis-1) are the rows, d(axis)..d(rank-1) the normalized dims.
class NormDecomposer {
public:
  NormDecomposer(OpBuilder &b, Location loc, NormOpInterface op)
      : b(b), loc(loc), x(op.getInput()), acc(op.getAccumulationType()),
        rank(op.getInputRank()), axis(op.getNormalizedAxis()) {
    sizes = tensor::getMixedSizes(b, loc, x);
  }

  Type getInputElementType() const {
    return cast<ShapedType>(x.getType()).getElementType();
  }
  Type getAccType() const { return acc; }

  AffineMap fullMap() const { return b.getMultiDimIdentityMap(rank); }
  AffineMap rowMap() const { return projection(0, axis); }
  AffineMap colMap() const { return projection(axis, rank); }

  Value emptyFull(Type elementType) {
    return tensor::EmptyOp::create(b, loc, sizes, elementType);
  }
  Value emptyRows(Type elementType) {
    return tensor::EmptyOp::create(b, loc, ArrayRef(sizes).take_front(axis),
                                   elementType);
  }

  /// Per row: Σ over the normalized dims of `term(inputs...)`, accumulated
  /// in the accumulation type from zero.
  Value sumRows(ValueRange inputs, ArrayRef<AffineMap> maps, BodyFn term) {
    Value zero =
        arith::ConstantOp::create(b, loc, acc, b.getFloatAttr(acc, 0.0));
    Value init =
        linalg::FillOp::create(b, loc, zero, emptyRows(acc)).getResult(0);
    SmallVector<AffineMap> allMaps(maps);
    allMaps.push_back(rowMap());
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    for (int64_t d = axis; d < rank; ++d)
      iters[d] = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        b, loc, init.getType(), inputs, init, allMaps, iters,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value t = term(nb, nl, args.drop_back());
          Value sum = arith::AddFOp::create(nb, nl, args.back(), t);
          linalg::YieldOp::create(nb, nl, sum);
        });
    return generic.getResult(0);
  }

  /// Elementwise over the rows: init[r] = fn(inputs[r]...).
  Value mapRows(ValueRange inputs, Value init, BodyFn fn) {
    SmallVector<AffineMap> maps(inputs.size() + 1,
                                b.getMultiDimIdentityMap(axis));
    return mapWith(inputs, maps, init, axis, fn);
  }

  /// Elementwise over the full shape of x with the given input maps.
  Value mapFull(ValueRange inputs, ArrayRef<AffineMap> maps, Value init,
                BodyFn fn) {
    SmallVector<AffineMap> allMaps(maps);
    allMaps.push_back(fullMap());
    return mapWith(inputs, allMaps, init, rank, fn);
  }

  /// N, the number of normalized elements per row, in the accumulation type.
  Value getCount() {
    int64_t staticCount = 1;
    Value dynamicCount;
    for (OpFoldResult size : ArrayRef(sizes).drop_front(axis)) {
      if (std::optional<int64_t> c = getConstantIntValue(size)) {
        staticCount *= *c;
        continue;
      }
      Value v = cast<Value>(size);
      dynamicCount =
          dynamicCount ? arith::MulIOp::create(b, loc, dynamicCount, v) : v;
    }
    if (!dynamicCount)
      return arith::ConstantOp::create(
          b, loc, acc, b.getFloatAttr(acc, static_cast<double>(staticCount)));
    if (staticCount != 1)
      dynamicCount = arith::MulIOp::create(
          b, loc, dynamicCount,
          arith::ConstantIndexOp::create(b, loc, staticCount));
    Value i64 =
        arith::IndexCastUIOp::create(b, loc, b.getI64Type(), dynamicCount);
    return arith::UIToFPOp::create(b, loc, acc, i64);
  }

  Value constant(double value) {
    return arith::ConstantOp::create(b, loc, acc, b.getFloatAttr(acc, value));
  }

  /// h = x + residual, rounded to x's type, written into `residualOut` when
  /// it is requested. Without a residual, h is x.
  Value addResidual(Value residual, Value residualOut) {
    if (!residual)
      return x;
    Type xType = getInputElementType();
    Value init = residualOut ? residualOut : emptyFull(xType);
    return mapFull({x, residual}, {fullMap(), fullMap()}, init,
                   [&](OpBuilder &nb, Location nl, ValueRange a) {
                     Value s =
                         arith::AddFOp::create(nb, nl, widen(nb, nl, a[0], acc),
                                               widen(nb, nl, a[1], acc));
                     return narrow(nb, nl, s, xType);
                   });
  }

  /// rstd = 1 / sqrt(sumOfSquares / N + epsilon), per row, written into
  /// `init` when the op returns it.
  Value computeRstd(Value sumOfSquares, Value count, double epsilon,
                    Value init) {
    Value eps = constant(epsilon);
    Value one = constant(1.0);
    return mapRows({sumOfSquares}, init ? init : emptyRows(acc),
                   [&](OpBuilder &nb, Location nl, ValueRange a) {
                     Value var = arith::DivFOp::create(nb, nl, a[0], count);
                     Value sum = arith::AddFOp::create(nb, nl, var, eps);
                     // 1/sqrt rather than math.rsqrt: both operations are
                     // correctly rounded, an rsqrt lowering may not be.
                     Value root = math::SqrtOp::create(nb, nl, sum);
                     return arith::DivFOp::create(nb, nl, one, root);
                   });
  }

  /// y = ((h − mean)·rstd [rounded to x's type] · (γ + offset) + β), rounded
  /// to y's element type, written into `yInit`. `mean` may be null (RMS).
  Value normalize(Value h, Value mean, Value rstd, Value gamma, Value beta,
                  double gammaOffset, RoundingMode rounding, Value yInit) {
    Type xType = getInputElementType();
    Type yType = cast<ShapedType>(yInit.getType()).getElementType();
    SmallVector<Value> inputs = {h};
    SmallVector<AffineMap> maps = {fullMap()};
    auto add = [&](Value v, AffineMap map) -> int {
      if (!v)
        return -1;
      inputs.push_back(v);
      maps.push_back(map);
      return inputs.size() - 1;
    };
    int meanIdx = add(mean, rowMap());
    int rstdIdx = add(rstd, rowMap());
    int gammaIdx = add(gamma, colMap());
    int betaIdx = add(beta, colMap());
    Value offset = gammaOffset != 0.0 ? constant(gammaOffset) : Value();
    return mapFull(inputs, maps, yInit,
                   [&](OpBuilder &nb, Location nl, ValueRange a) {
                     Value v = widen(nb, nl, a[0], acc);
                     if (meanIdx >= 0)
                       v = arith::SubFOp::create(nb, nl, v, a[meanIdx]);
                     v = arith::MulFOp::create(nb, nl, v, a[rstdIdx]);
                     if (rounding == RoundingMode::BeforeGamma)
                       v = widen(nb, nl, narrow(nb, nl, v, xType), acc);
                     if (gammaIdx >= 0) {
                       Value g = widen(nb, nl, a[gammaIdx], acc);
                       if (offset)
                         g = arith::AddFOp::create(nb, nl, g, offset);
                       v = arith::MulFOp::create(nb, nl, v, g);
                     }
                     if (betaIdx >= 0)
                       v = arith::AddFOp::create(
                           nb, nl, v, widen(nb, nl, a[betaIdx], acc));
                     return narrow(nb, nl, v, yType);
                   });
  }

private:
  AffineMap projection(int64_t from, int64_t to) const {
    SmallVector<AffineExpr> exprs;
    for (int64_t d = from; d < to; ++d)
      exprs.push_back(b.getAffineDimExpr(d));
    return AffineMap::get(rank, 0, exprs, b.getContext());
  }

  Value mapWith(ValueRange inputs, ArrayRef<AffineMap> maps, Value init,
                int64_t numLoops, BodyFn fn) {
    SmallVector<utils::IteratorType> iters(numLoops,
                                           utils::IteratorType::parallel);
    auto generic = linalg::GenericOp::create(
        b, loc, init.getType(), inputs, init, maps, iters,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          linalg::YieldOp::create(nb, nl, fn(nb, nl, args.drop_back()));
        });
    return generic.getResult(0);
  }

  OpBuilder &b;
  Location loc;
  Value x;
  Type acc;
  int64_t rank, axis;
  SmallVector<OpFoldResult> sizes;
};

} // namespace

//===----------------------------------------------------------------------===//
// RmsNormOp
//===----------------------------------------------------------------------===//

// h      = x + residual                        (if residual)
// sumsq  = Σ_cols h²                           (per row, acc type)
// rstd   = 1 / sqrt(sumsq / N + ε)
// y      = h · rstd · (γ + offset) + β         (rounded once)
FailureOr<SmallVector<Value>> RmsNormOp::decomposeOperation(OpBuilder &b) {
  if (!hasPureTensorSemantics())
    return failure();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  NormDecomposer d(b, getLoc(), cast<NormOpInterface>(getOperation()));
  Type acc = d.getAccType();

  Value h = d.addResidual(getResidual(), getResidualOut());
  Value sumsq = d.sumRows({h}, {d.fullMap()},
                          [&](OpBuilder &nb, Location nl, ValueRange a) {
                            Value w = widen(nb, nl, a[0], acc);
                            return arith::MulFOp::create(nb, nl, w, w);
                          });
  Value rstd = d.computeRstd(sumsq, d.getCount(),
                             getEpsilon().convertToDouble(), getRstd());
  Value y =
      d.normalize(h, /*mean=*/Value(), rstd, getGamma(), getBeta(),
                  getGammaOffset().convertToDouble(), getRounding(), getY());

  SmallVector<Value> results = {y};
  if (getRstd())
    results.push_back(rstd);
  if (getResidualOut())
    results.push_back(h);
  return results;
}

//===----------------------------------------------------------------------===//
// LayerNormOp
//===----------------------------------------------------------------------===//

// h      = x + residual                        (if residual)
// mean   = Σ_cols h / N
// m2     = Σ_cols (h − mean)²                  (two-pass: no cancellation)
// rstd   = 1 / sqrt(m2 / N + ε)
// y      = (h − mean) · rstd · (γ + offset) + β
FailureOr<SmallVector<Value>> LayerNormOp::decomposeOperation(OpBuilder &b) {
  if (!hasPureTensorSemantics())
    return failure();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(*this);
  Location loc = getLoc();
  NormDecomposer d(b, loc, cast<NormOpInterface>(getOperation()));
  Type acc = d.getAccType();

  Value h = d.addResidual(getResidual(), getResidualOut());
  Value count = d.getCount();
  Value sum = d.sumRows({h}, {d.fullMap()},
                        [&](OpBuilder &nb, Location nl, ValueRange a) {
                          return widen(nb, nl, a[0], acc);
                        });
  Value mean = d.mapRows({sum}, getMean() ? getMean() : d.emptyRows(acc),
                         [&](OpBuilder &nb, Location nl, ValueRange a) {
                           return arith::DivFOp::create(nb, nl, a[0], count);
                         });
  Value m2 = d.sumRows({h, mean}, {d.fullMap(), d.rowMap()},
                       [&](OpBuilder &nb, Location nl, ValueRange a) {
                         Value c = arith::SubFOp::create(
                             nb, nl, widen(nb, nl, a[0], acc), a[1]);
                         return arith::MulFOp::create(nb, nl, c, c);
                       });
  Value rstd =
      d.computeRstd(m2, count, getEpsilon().convertToDouble(), getRstd());
  Value y =
      d.normalize(h, mean, rstd, getGamma(), getBeta(),
                  getGammaOffset().convertToDouble(), getRounding(), getY());

  SmallVector<Value> results = {y};
  if (getMean())
    results.push_back(mean);
  if (getRstd())
    results.push_back(rstd);
  if (getResidualOut())
    results.push_back(h);
  return results;
}
