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

#include <cmath>

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::norm;

namespace {

using BodyFn = llvm::function_ref<Value(OpBuilder &, Location, ValueRange)>;
using MultiBodyFn =
    llvm::function_ref<SmallVector<Value>(OpBuilder &, Location, ValueRange)>;

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
  Value emptyCols(Type elementType) {
    return tensor::EmptyOp::create(b, loc, ArrayRef(sizes).drop_front(axis),
                                   elementType);
  }
  Value emptyRows(Type elementType) {
    return tensor::EmptyOp::create(b, loc, ArrayRef(sizes).take_front(axis),
                                   elementType);
  }

  /// Per row: Σ over the normalized dims of `term(inputs...)`, accumulated
  /// in the accumulation type from zero.
  Value sumRows(ValueRange inputs, ArrayRef<AffineMap> maps, BodyFn term) {
    return sumMany(inputs, maps, /*overRows=*/false, 1,
                   [&](OpBuilder &nb, Location nl, ValueRange a) {
                     return SmallVector<Value>{term(nb, nl, a)};
                   })
        .front();
  }

  /// `numSums` sums of the terms `terms(inputs...)`, accumulated in the
  /// accumulation type from zero, in one linalg.generic (one pass over the
  /// inputs). Per row (Σ over the normalized dims) or, with `overRows`, per
  /// column (Σ over every leading dim: dgamma/dbeta).
  SmallVector<Value> sumMany(ValueRange inputs, ArrayRef<AffineMap> maps,
                             bool overRows, unsigned numSums, MultiBodyFn terms,
                             ArrayRef<Value> dests = {}) {
    Value zero = constant(0.0);
    SmallVector<Value> inits;
    SmallVector<AffineMap> allMaps(maps);
    for (unsigned i = 0; i < numSums; ++i) {
      Value empty = i < dests.size() && dests[i]
                        ? dests[i]
                        : (overRows ? emptyCols(acc) : emptyRows(acc));
      inits.push_back(
          linalg::FillOp::create(b, loc, zero, empty).getResult(0));
      allMaps.push_back(overRows ? colMap() : rowMap());
    }
    SmallVector<utils::IteratorType> iters(rank, utils::IteratorType::parallel);
    for (int64_t d = 0; d < rank; ++d)
      if ((d < axis) == overRows)
        iters[d] = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        b, loc, ValueRange(inits).getTypes(), inputs, inits, allMaps, iters,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          SmallVector<Value> t = terms(nb, nl, args.drop_back(numSums));
          SmallVector<Value> sums;
          for (unsigned i = 0; i < numSums; ++i)
            sums.push_back(arith::AddFOp::create(
                nb, nl, args[args.size() - numSums + i], t[i]));
          linalg::YieldOp::create(nb, nl, sums);
        });
    return SmallVector<Value>(generic.getResults());
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

  /// Writes the per-row statistics entries into `stats` (last dim = the
  /// entries): entry k is `entries[k]`, a per-row tensor or a scalar.
  Value packStats(Value stats, ArrayRef<Value> entries) {
    int64_t statsRank = axis + 1;
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    AffineMap rows = AffineMap::get(
        statsRank, 0, rowMap().getResults().take_front(axis), b.getContext());
    SmallVector<int> inputIndex;
    for (Value e : entries) {
      if (isa<ShapedType>(e.getType())) {
        inputIndex.push_back(inputs.size());
        inputs.push_back(e);
        maps.push_back(rows);
      } else {
        inputIndex.push_back(-1);
      }
    }
    maps.push_back(b.getMultiDimIdentityMap(statsRank));
    Type statsType = cast<ShapedType>(stats.getType()).getElementType();
    return mapWith(
        inputs, maps, stats, statsRank,
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value j = linalg::IndexOp::create(nb, nl, axis);
          auto entry = [&](unsigned k) {
            return inputIndex[k] >= 0 ? a[inputIndex[k]] : entries[k];
          };
          Value v = entry(entries.size() - 1);
          for (int k = entries.size() - 2; k >= 0; --k) {
            Value isK = arith::CmpIOp::create(
                nb, nl, arith::CmpIPredicate::eq, j,
                arith::ConstantIndexOp::create(nb, nl, k));
            v = arith::SelectOp::create(nb, nl, isK, entry(k), v);
          }
          return narrow(nb, nl, v, statsType);
        });
  }

  /// Views the gathered stats `[rows..., K·P]` as `[rows..., P, K]` and sums
  /// `terms(entry_0, ..., entry_{K-1}, extra...)` over the shards p, per row.
  /// `extra` are per-row tensors read alongside (e.g. the merged mean).
  SmallVector<Value> sumShards(Value stats, int64_t entriesPerShard,
                               ValueRange extra, unsigned numSums,
                               MultiBodyFn terms, ArrayRef<Value> dests = {}) {
    auto statsType = cast<RankedTensorType>(stats.getType());
    SmallVector<OpFoldResult> shape = tensor::getMixedSizes(b, loc, stats);
    OpFoldResult last = shape.back();
    shape.pop_back();
    if (std::optional<int64_t> c = getConstantIntValue(last))
      shape.push_back(b.getIndexAttr(*c / entriesPerShard));
    else
      shape.push_back(
          arith::DivUIOp::create(
              b, loc, cast<Value>(last),
              arith::ConstantIndexOp::create(b, loc, entriesPerShard))
              .getResult());
    shape.push_back(b.getIndexAttr(entriesPerShard));
    SmallVector<int64_t> staticShape;
    for (OpFoldResult s : shape)
      staticShape.push_back(getConstantIntValue(s).value_or(ShapedType::kDynamic));
    SmallVector<ReassociationIndices> reassociation;
    for (int64_t d = 0; d < axis; ++d)
      reassociation.push_back({d});
    reassociation.push_back({axis, axis + 1});
    Value expanded = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(staticShape, statsType.getElementType()),
        stats, reassociation, shape);

    int64_t loops = axis + 1;
    SmallVector<AffineExpr> prefix;
    for (int64_t d = 0; d < loops; ++d)
      prefix.push_back(b.getAffineDimExpr(d));
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    for (int64_t k = 0; k < entriesPerShard; ++k) {
      SmallVector<AffineExpr> exprs(prefix);
      exprs.push_back(b.getAffineConstantExpr(k));
      inputs.push_back(expanded);
      maps.push_back(AffineMap::get(loops, 0, exprs, b.getContext()));
    }
    AffineMap rows = AffineMap::get(loops, 0, ArrayRef(prefix).take_front(axis),
                                    b.getContext());
    for (Value e : extra) {
      inputs.push_back(e);
      maps.push_back(rows);
    }
    Value zero = constant(0.0);
    SmallVector<Value> inits;
    for (unsigned i = 0; i < numSums; ++i) {
      Value empty = i < dests.size() && dests[i] ? dests[i] : emptyRows(acc);
      inits.push_back(linalg::FillOp::create(b, loc, zero, empty).getResult(0));
      maps.push_back(rows);
    }
    SmallVector<utils::IteratorType> iters(loops,
                                           utils::IteratorType::parallel);
    iters.back() = utils::IteratorType::reduction;
    auto generic = linalg::GenericOp::create(
        b, loc, ValueRange(inits).getTypes(), inputs, inits, maps, iters,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          SmallVector<Value> widened;
          for (Value v : args.drop_back(numSums))
            widened.push_back(widen(nb, nl, v, acc));
          SmallVector<Value> t = terms(nb, nl, widened);
          SmallVector<Value> sums;
          for (unsigned i = 0; i < numSums; ++i)
            sums.push_back(arith::AddFOp::create(
                nb, nl, args[args.size() - numSums + i], t[i]));
          linalg::YieldOp::create(nb, nl, sums);
        });
    return SmallVector<Value>(generic.getResults());
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

  /// rstd = 1 / sqrt(m2 / N + epsilon), per row, written into `init` when
  /// the op returns it. `count` is a scalar N or a per-row tensor of N.
  /// `epsValue`, a runtime epsilon of the accumulation type, replaces the
  /// constant `epsilon` when given (it is read in the body from above).
  Value computeRstd(Value m2, Value count, double epsilon, Value epsValue,
                    Value init) {
    Value eps = epsValue ? epsValue : constant(epsilon);
    Value one = constant(1.0);
    bool perRow = isa<ShapedType>(count.getType());
    SmallVector<Value> inputs = {m2};
    if (perRow)
      inputs.push_back(count);
    return mapRows(inputs, init ? init : emptyRows(acc),
                   [&](OpBuilder &nb, Location nl, ValueRange a) {
                     Value var = arith::DivFOp::create(nb, nl, a[0],
                                                       perRow ? a[1] : count);
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

/// The shared prologue of every decomposition: tensors only, new ops go
/// before `op`, and one decomposer for `op`'s shapes.
template <typename OpTy, typename BuildFn>
FailureOr<SmallVector<Value>> decompose(OpTy op, OpBuilder &b,
                                        BuildFn build) {
  if (!op.hasPureTensorSemantics())
    return failure();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  NormDecomposer d(b, op.getLoc(), cast<NormOpInterface>(op.getOperation()));
  return build(d);
}

} // namespace

//===----------------------------------------------------------------------===//
// RmsNormOp
//===----------------------------------------------------------------------===//

// h      = x + residual                        (if residual)
// sumsq  = Σ_cols h²                           (per row, acc type)
// rstd   = 1 / sqrt(sumsq / N + ε)
// y      = h · rstd · (γ + offset) + β         (rounded once)
FailureOr<SmallVector<Value>> RmsNormOp::decomposeOperation(OpBuilder &b) {
  return decompose(*this, b, [&](NormDecomposer &d) -> FailureOr<SmallVector<Value>> {
    Type acc = d.getAccType();

    Value h = d.addResidual(getResidual(), getResidualOut());
    Value sumsq = d.sumRows({h}, {d.fullMap()},
                            [&](OpBuilder &nb, Location nl, ValueRange a) {
                              Value w = widen(nb, nl, a[0], acc);
                              return arith::MulFOp::create(nb, nl, w, w);
                            });
    Value rstd = d.computeRstd(sumsq, d.getCount(),
                               getEpsilon().convertToDouble(), getEps(), getRstd());
    Value y =
        d.normalize(h, /*mean=*/Value(), rstd, getGamma(), getBeta(),
                    getGammaOffset().convertToDouble(), getRounding(), getY());

    SmallVector<Value> results = {y};
    if (getRstd())
      results.push_back(rstd);
    if (getResidualOut())
      results.push_back(h);
    return results;
  });
}

//===----------------------------------------------------------------------===//
// LayerNormOp
//===----------------------------------------------------------------------===//

// h      = x + residual                        (if residual)
// m0     = Σ_cols h / N                        (first pass)
// c, q   = Σ_cols (h − m0), Σ_cols (h − m0)²   (second pass, one generic)
// mean   = m0 + c / N  (m0 if m0 is ±inf)      (corrected two-pass: the
//                                               rounding error of m0, which
//                                               grows with |mean|, is taken
//                                               back out)
// m2     = max(q − c² / N, 0)                  (= Σ (h − mean)² exactly)
// rstd   = 1 / sqrt(m2 / N + ε)
// y      = (h − mean) · rstd · (γ + offset) + β
FailureOr<SmallVector<Value>> LayerNormOp::decomposeOperation(OpBuilder &b) {
  return decompose(*this, b, [&](NormDecomposer &d) -> FailureOr<SmallVector<Value>> {
    Type acc = d.getAccType();

    Value h = d.addResidual(getResidual(), getResidualOut());
    Value count = d.getCount();
    Value sum = d.sumRows({h}, {d.fullMap()},
                          [&](OpBuilder &nb, Location nl, ValueRange a) {
                            return widen(nb, nl, a[0], acc);
                          });
    Value mean0 = d.mapRows({sum}, d.emptyRows(acc),
                            [&](OpBuilder &nb, Location nl, ValueRange a) {
                              return arith::DivFOp::create(nb, nl, a[0], count);
                            });
    SmallVector<Value> cq = d.sumMany(
        {h, mean0}, {d.fullMap(), d.rowMap()}, /*overRows=*/false, 2,
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value c = arith::SubFOp::create(nb, nl, widen(nb, nl, a[0], acc),
                                          a[1]);
          return SmallVector<Value>{c, arith::MulFOp::create(nb, nl, c, c)};
        });
    Value mean = d.mapRows({mean0, cq[0]},
                           getMean() ? getMean() : d.emptyRows(acc),
                           [&](OpBuilder &nb, Location nl, ValueRange a) {
                             Value shift =
                                 arith::DivFOp::create(nb, nl, a[1], count);
                             Value corrected =
                                 arith::AddFOp::create(nb, nl, a[0], shift);
                             // An infinite m0 (an inf in the row) is the
                             // mean; its correction inf − inf is not.
                             Value mag = math::AbsFOp::create(nb, nl, a[0]);
                             Value finite = arith::CmpFOp::create(
                                 nb, nl, arith::CmpFPredicate::OLT, mag,
                                 d.constant(INFINITY));
                             return arith::SelectOp::create(nb, nl, finite,
                                                            corrected, a[0]);
                           });
    Value zero = d.constant(0.0);
    Value m2 = d.mapRows({cq[1], cq[0]}, d.emptyRows(acc),
                         [&](OpBuilder &nb, Location nl, ValueRange a) {
                           Value cc = arith::MulFOp::create(nb, nl, a[1], a[1]);
                           Value corr = arith::DivFOp::create(nb, nl, cc, count);
                           Value m = arith::SubFOp::create(nb, nl, a[0], corr);
                           return arith::MaximumFOp::create(nb, nl, m, zero);
                         });
    Value rstd =
        d.computeRstd(m2, count, getEpsilon().convertToDouble(), getEps(), getRstd());
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
  });
}

//===----------------------------------------------------------------------===//
// RmsNormGradOp, LayerNormGradOp
//===----------------------------------------------------------------------===//

// x̂  = (x − mean) · rstd                       (mean = 0 for RMS)
// g   = dy · (γ + offset)                      (dy without γ)
// dx  = rstd · (g − Σg/N − x̂ · Σ(g·x̂)/N)       (Σg/N only for layer norm)
// dγ  = Σ_rows dy · x̂,  dβ = Σ_rows dy
// Each of dx, dγ, dβ is computed only when its init is present.
/// `combineRowSums` (if set) turns each per-row sum of dx into the sum over
/// the full rows, whose element count is `countScale` times the local one:
/// the distributed split all-reduces them across the shards.
template <typename OpTy>
static FailureOr<SmallVector<Value>>
decomposeGrad(OpTy op, Value mean, OpBuilder &b, NormDecomposer &d,
              RowSumCombineFn combineRowSums = nullptr,
              int64_t countScale = 1) {
  Type acc = d.getAccType();
  double gammaOffset = op.getGammaOffset().convertToDouble();
  Value offset = gammaOffset != 0.0 ? d.constant(gammaOffset) : Value();

  // Operands every term reads: dy, x, rstd, [mean], [gamma].
  SmallVector<Value> inputs = {op.getDy(), op.getX(), op.getRstd()};
  SmallVector<AffineMap> maps = {d.fullMap(), d.fullMap(), d.rowMap()};
  int meanIdx = -1, gammaIdx = -1;
  if (mean) {
    meanIdx = inputs.size();
    inputs.push_back(mean);
    maps.push_back(d.rowMap());
  }
  if (Value gamma = op.getGamma()) {
    gammaIdx = inputs.size();
    inputs.push_back(gamma);
    maps.push_back(d.colMap());
  }
  struct Terms {
    Value dy, xhat, g;
  };
  auto termsOf = [&](OpBuilder &nb, Location nl, ValueRange a) {
    Value dy = widen(nb, nl, a[0], acc);
    Value xc = widen(nb, nl, a[1], acc);
    if (meanIdx >= 0)
      xc = arith::SubFOp::create(nb, nl, xc, a[meanIdx]);
    Value xhat = arith::MulFOp::create(nb, nl, xc, a[2]);
    Value g = dy;
    if (gammaIdx >= 0) {
      Value gm = widen(nb, nl, a[gammaIdx], acc);
      if (offset)
        gm = arith::AddFOp::create(nb, nl, gm, offset);
      g = arith::MulFOp::create(nb, nl, dy, gm);
    }
    return Terms{dy, xhat, g};
  };

  SmallVector<Value> results;
  if (Value dxInit = op.getDx()) {
    // Per row: Σ g·x̂ and, for layer norm, Σ g.
    unsigned numSums = mean ? 2 : 1;
    SmallVector<Value> sums = d.sumMany(
        inputs, maps, /*overRows=*/false, numSums,
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          Terms t = termsOf(nb, nl, a);
          SmallVector<Value> r = {arith::MulFOp::create(nb, nl, t.g, t.xhat)};
          if (mean)
            r.push_back(t.g);
          return r;
        });
    if (combineRowSums)
      for (Value &s : sums)
        s = combineRowSums(b, op.getLoc(), s);
    Value count = d.getCount();
    if (countScale != 1)
      count = arith::MulFOp::create(b, op.getLoc(), count,
                                    d.constant(static_cast<double>(countScale)));
    Value invN = arith::DivFOp::create(b, op.getLoc(), d.constant(1.0), count);
    SmallVector<Value> dxInputs(inputs);
    SmallVector<AffineMap> dxMaps(maps);
    for (Value s : sums) {
      dxInputs.push_back(s);
      dxMaps.push_back(d.rowMap());
    }
    Type dxType = cast<ShapedType>(dxInit.getType()).getElementType();
    size_t sumIdx = inputs.size();
    results.push_back(d.mapFull(
        dxInputs, dxMaps, dxInit,
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          Terms t = termsOf(nb, nl, a);
          Value c1 = arith::MulFOp::create(nb, nl, a[sumIdx], invN);
          Value v = arith::SubFOp::create(
              nb, nl, t.g, arith::MulFOp::create(nb, nl, t.xhat, c1));
          if (mean) {
            Value c0 = arith::MulFOp::create(nb, nl, a[sumIdx + 1], invN);
            v = arith::SubFOp::create(nb, nl, v, c0);
          }
          v = arith::MulFOp::create(nb, nl, v, a[2]);
          return narrow(nb, nl, v, dxType);
        }));
  }

  // Per column, in one pass: Σ_rows dy·x̂ and Σ_rows dy.
  SmallVector<Value> dests;
  if (op.getDgamma())
    dests.push_back(op.getDgamma());
  if (op.getDbeta())
    dests.push_back(op.getDbeta());
  if (!dests.empty()) {
    bool wantGamma = static_cast<bool>(op.getDgamma());
    bool wantBeta = static_cast<bool>(op.getDbeta());
    SmallVector<Value> sums = d.sumMany(
        inputs, maps, /*overRows=*/true, dests.size(),
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          Terms t = termsOf(nb, nl, a);
          SmallVector<Value> r;
          if (wantGamma)
            r.push_back(arith::MulFOp::create(nb, nl, t.dy, t.xhat));
          if (wantBeta)
            r.push_back(t.dy);
          return r;
        },
        dests);
    results.append(sums.begin(), sums.end());
  }
  return results;
}

FailureOr<SmallVector<Value>> RmsNormGradOp::decomposeOperation(OpBuilder &b) {
  return decompose(*this, b, [&](NormDecomposer &d) {
    return decomposeGrad(*this, /*mean=*/Value(), b, d);
  });
}

FailureOr<SmallVector<Value>>
LayerNormGradOp::decomposeOperation(OpBuilder &b) {
  return decompose(*this, b, [&](NormDecomposer &d) {
    return decomposeGrad(*this, getMean(), b, d);
  });
}

FailureOr<SmallVector<Value>> mlir::norm::decomposeGradientWithRowSums(
    OpBuilder &b, Operation *gradOp, RowSumCombineFn combineRowSums,
    int64_t countScale) {
  if (auto op = dyn_cast<RmsNormGradOp>(gradOp))
    return decompose(op, b, [&](NormDecomposer &d) {
      return decomposeGrad(op, /*mean=*/Value(), b, d, combineRowSums,
                           countScale);
    });
  if (auto op = dyn_cast<LayerNormGradOp>(gradOp))
    return decompose(op, b, [&](NormDecomposer &d) {
      return decomposeGrad(op, op.getMean(), b, d, combineRowSums,
                           countScale);
    });
  return failure();
}

//===----------------------------------------------------------------------===//
// Pre-all-gather ops
//===----------------------------------------------------------------------===//

// h = x + residual; stats = [n_p, Σ h²]
FailureOr<SmallVector<Value>>
RmsNormPreAllGatherOp::decomposeOperation(OpBuilder &b) {
  return decompose(*this, b, [&](NormDecomposer &d) -> FailureOr<SmallVector<Value>> {
    Type acc = d.getAccType();
    Value h = d.addResidual(getResidual(), getResidualOut());
    Value sumsq = d.sumRows({h}, {d.fullMap()},
                            [&](OpBuilder &nb, Location nl, ValueRange a) {
                              Value w = widen(nb, nl, a[0], acc);
                              return arith::MulFOp::create(nb, nl, w, w);
                            });
    SmallVector<Value> results = {
        d.packStats(getStats(), {d.getCount(), sumsq})};
    if (getResidualOut())
      results.push_back(h);
    return results;
  });
}

// h = x + residual; stats = [n_p, Σ h, Σ (h − Σh/n_p)²] (two-pass)
FailureOr<SmallVector<Value>>
LayerNormPreAllGatherOp::decomposeOperation(OpBuilder &b) {
  return decompose(*this, b, [&](NormDecomposer &d) -> FailureOr<SmallVector<Value>> {
    Type acc = d.getAccType();
    Value h = d.addResidual(getResidual(), getResidualOut());
    Value count = d.getCount();
    Value sum = d.sumRows({h}, {d.fullMap()},
                          [&](OpBuilder &nb, Location nl, ValueRange a) {
                            return widen(nb, nl, a[0], acc);
                          });
    Value m2 = d.sumRows({h, sum}, {d.fullMap(), d.rowMap()},
                         [&](OpBuilder &nb, Location nl, ValueRange a) {
                           Value mean = arith::DivFOp::create(nb, nl, a[1], count);
                           Value c = arith::SubFOp::create(
                               nb, nl, widen(nb, nl, a[0], acc), mean);
                           return arith::MulFOp::create(nb, nl, c, c);
                         });
    SmallVector<Value> results = {d.packStats(getStats(), {count, sum, m2})};
    if (getResidualOut())
      results.push_back(h);
    return results;
  });
}

//===----------------------------------------------------------------------===//
// Post-all-gather ops
//===----------------------------------------------------------------------===//

// N = Σ_p n_p; rstd = 1 / sqrt(Σ_p sumsq_p / N + ε); y as rms_norm.
FailureOr<SmallVector<Value>>
RmsNormPostAllGatherOp::decomposeOperation(OpBuilder &b) {
  return decompose(*this, b, [&](NormDecomposer &d) -> FailureOr<SmallVector<Value>> {
    SmallVector<Value> merged = d.sumShards(
        getStats(), 2, {}, 2,
        [](OpBuilder &, Location, ValueRange a) {
          return SmallVector<Value>{a[0], a[1]};
        });
    Value rstd = d.computeRstd(merged[1], merged[0],
                                getEpsilon().convertToDouble(), getEps(), getRstd());
    Value y = d.normalize(getX(), /*mean=*/Value(), rstd, getGamma(), getBeta(),
                          getGammaOffset().convertToDouble(), getRounding(),
                          getY());
    SmallVector<Value> results = {y};
    if (getRstd())
      results.push_back(rstd);
    return results;
  });
}

// N = Σ n_p; mean = Σ sum_p / N;
// M2 = Σ M2_p + Σ n_p·(sum_p/n_p − mean)²  (empty shards contribute 0)
// rstd = 1 / sqrt(M2 / N + ε); y as layer_norm.
FailureOr<SmallVector<Value>>
LayerNormPostAllGatherOp::decomposeOperation(OpBuilder &b) {
  return decompose(*this, b, [&](NormDecomposer &d) -> FailureOr<SmallVector<Value>> {
    Value zero = d.constant(0.0);
    SmallVector<Value> totals = d.sumShards(
        getStats(), 3, {}, 3,
        [](OpBuilder &, Location, ValueRange a) {
          return SmallVector<Value>{a[0], a[1], a[2]};
        });
    Value count = totals[0];
    Value mean = d.mapRows({totals[1], count},
                           getMean() ? getMean() : d.emptyRows(d.getAccType()),
                           [&](OpBuilder &nb, Location nl, ValueRange a) {
                             return arith::DivFOp::create(nb, nl, a[0], a[1]);
                           });
    Value between = d.sumShards(
        getStats(), 3, {mean}, 1,
        [&](OpBuilder &nb, Location nl, ValueRange a) {
          Value n = a[0];
          Value shardMean = arith::DivFOp::create(nb, nl, a[1], n);
          Value delta = arith::SubFOp::create(nb, nl, shardMean, a[3]);
          Value term = arith::MulFOp::create(
              nb, nl, n, arith::MulFOp::create(nb, nl, delta, delta));
          Value empty = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OLE,
                                              n, zero);
          return SmallVector<Value>{
              arith::SelectOp::create(nb, nl, empty, zero, term)};
        })[0];
    Value m2 = d.mapRows({totals[2], between}, d.emptyRows(d.getAccType()),
                         [&](OpBuilder &nb, Location nl, ValueRange a) {
                           return arith::AddFOp::create(nb, nl, a[0], a[1]);
                         });
    Value rstd = d.computeRstd(m2, count, getEpsilon().convertToDouble(), getEps(),
                                getRstd());
    Value y = d.normalize(getX(), mean, rstd, getGamma(), getBeta(),
                          getGammaOffset().convertToDouble(), getRounding(),
                          getY());
    SmallVector<Value> results = {y};
    if (getMean())
      results.push_back(mean);
    if (getRstd())
      results.push_back(rstd);
    return results;
  });
}
