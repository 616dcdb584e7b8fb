//===- NormalForm.cpp - polynomial normal form of tensor expressions ------===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Utils/NormalForm.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Linalg/IR/LinalgInterfaces.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/FormatVariadic.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace mlir;
using namespace mlir::norm;

//===----------------------------------------------------------------------===//
// Exact rationals
//===----------------------------------------------------------------------===//

static llvm::DynamicAPInt pow2(unsigned k) {
  llvm::DynamicAPInt r(1);
  for (; k >= 62; k -= 62)
    r *= int64_t(1) << 62;
  return r * (int64_t(1) << k);
}

static bool fitsInt64(const llvm::DynamicAPInt &v) {
  return v >= std::numeric_limits<int64_t>::min() &&
         v <= std::numeric_limits<int64_t>::max();
}

Rational::Rational(int64_t n, int64_t d) : num(n), den(d) { normalize(); }

Rational::Rational(llvm::DynamicAPInt n, llvm::DynamicAPInt d)
    : num(std::move(n)), den(std::move(d)) {
  normalize();
}

void Rational::normalize() {
  assert(den != 0 && "rational with a zero denominator");
  if (den < 0) {
    num = -num;
    den = -den;
  }
  llvm::DynamicAPInt g = gcd(abs(num), den);
  if (g != 1) {
    num /= g;
    den /= g;
  }
}

std::optional<Rational> Rational::fromDouble(double d) {
  if (!std::isfinite(d))
    return std::nullopt;
  if (d == 0.0)
    return Rational(0);
  int e;
  double f = std::frexp(d, &e); // d = f · 2^e, 0.5 <= |f| < 1.
  auto m = static_cast<int64_t>(std::ldexp(f, 53));
  e -= 53;
  while (e < 0 && m % 2 == 0) {
    m /= 2;
    ++e;
  }
  if (e >= 0)
    return Rational(llvm::DynamicAPInt(m) * pow2(e), llvm::DynamicAPInt(1));
  return Rational(llvm::DynamicAPInt(m), pow2(-e));
}

std::optional<Rational> Rational::fromAPFloat(const APFloat &f) {
  APFloat d = f;
  bool losesInfo = false;
  d.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &losesInfo);
  if (losesInfo)
    return std::nullopt;
  return fromDouble(d.convertToDouble());
}

double Rational::toDouble() const {
  if (fitsInt64(num) && fitsInt64(den)) {
    auto n = static_cast<int64_t>(num), d = static_cast<int64_t>(den);
    // A double (every constant of the IR): exact.
    if ((d & (d - 1)) == 0 && std::abs(n) < (int64_t(1) << 53))
      return std::ldexp(static_cast<double>(n), -llvm::countr_zero(
                                                    static_cast<uint64_t>(d)));
    return static_cast<double>(n) / static_cast<double>(d);
  }
  auto approx = [](const llvm::DynamicAPInt &v) {
    std::string text;
    llvm::raw_string_ostream os(text);
    v.print(os);
    return std::strtod(text.c_str(), nullptr);
  };
  return approx(num) / approx(den);
}

std::optional<Rational> Rational::sqrt() const {
  if (num < 0 || !fitsInt64(num) || !fitsInt64(den))
    return std::nullopt;
  auto isqrt = [](int64_t v) -> std::optional<int64_t> {
    auto r = static_cast<int64_t>(std::sqrt(static_cast<double>(v)));
    for (int64_t c = std::max<int64_t>(0, r - 2); c <= r + 2; ++c)
      if (c * c == v)
        return c;
    return std::nullopt;
  };
  std::optional<int64_t> n = isqrt(static_cast<int64_t>(num));
  std::optional<int64_t> d = isqrt(static_cast<int64_t>(den));
  if (!n || !d)
    return std::nullopt;
  return Rational(*n, *d);
}

std::string Rational::str() const {
  std::string text;
  llvm::raw_string_ostream os(text);
  num.print(os);
  os << "/";
  den.print(os);
  return text;
}

Rational mlir::norm::operator+(const Rational &a, const Rational &b) {
  if (a.den == b.den)
    return Rational(a.num + b.num, a.den);
  return Rational(a.num * b.den + b.num * a.den, a.den * b.den);
}

Rational mlir::norm::operator-(const Rational &a, const Rational &b) {
  return a + (-b);
}

Rational mlir::norm::operator*(const Rational &a, const Rational &b) {
  return Rational(a.num * b.num, a.den * b.den);
}

Rational mlir::norm::operator/(const Rational &a, const Rational &b) {
  return Rational(a.num * b.den, a.den * b.num);
}

//===----------------------------------------------------------------------===//
// Reading one op as one step
//===----------------------------------------------------------------------===//

namespace {

Step leafStep() { return Step{}; }

Step makeStep(StepKind kind, Operation *op, ArrayRef<Term> operands) {
  Step s;
  s.kind = kind;
  s.op = op;
  s.operands.assign(operands.begin(), operands.end());
  return s;
}

/// A splat float constant (arith.constant, tosa.const, dense splat), also
/// as a linalg body reads it: the block argument of a splat constant input
/// or of a linalg.fill (`linalg.powf ins(%x, %two)` with %two = dense<2.0>).
std::optional<double> getSplatFloat(Value value) {
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(arg.getOwner()->getParentOp());
    if (!linalgOp || linalgOp.getBlock() != arg.getOwner() ||
        arg.getArgNumber() >= linalgOp.getNumDpsInputs())
      return std::nullopt;
    value = linalgOp.getDpsInputOperand(arg.getArgNumber())->get();
    if (auto fill = value.getDefiningOp<linalg::FillOp>())
      value = fill.getInputs()[0];
    if (!isa<ShapedType>(value.getType()) && !value.getDefiningOp())
      return std::nullopt;
  }
  Attribute attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  if (auto f = dyn_cast<FloatAttr>(attr))
    return f.getValueAsDouble();
  if (auto splat = dyn_cast<SplatElementsAttr>(attr)) {
    if (isa<FloatType>(splat.getElementType()))
      return splat.getSplatValue<APFloat>().convertToDouble();
    if (isa<IntegerType>(splat.getElementType()))
      return static_cast<double>(
          splat.getSplatValue<APInt>().getSExtValue());
  }
  if (auto i = dyn_cast<IntegerAttr>(attr))
    return static_cast<double>(i.getInt());
  return std::nullopt;
}

/// A splat float constant, exactly, with its element type.
std::optional<std::pair<Rational, Type>> getSplatConstant(Value value) {
  Attribute attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  std::optional<APFloat> f;
  Type type;
  if (auto fa = dyn_cast<FloatAttr>(attr)) {
    f = fa.getValue();
    type = fa.getType();
  } else if (auto splat = dyn_cast<SplatElementsAttr>(attr);
             splat && isa<FloatType>(splat.getElementType())) {
    f = splat.getSplatValue<APFloat>();
    type = splat.getElementType();
  }
  if (!f)
    return std::nullopt;
  std::optional<Rational> r = Rational::fromAPFloat(*f);
  if (!r)
    return std::nullopt;
  return std::make_pair(*r, type);
}

bool isZeroInit(Value value) {
  if (std::optional<double> c = getSplatFloat(value))
    return *c == 0.0;
  if (auto fill = value.getDefiningOp<linalg::FillOp>()) {
    std::optional<double> c = getSplatFloat(fill.getInputs()[0]);
    return c && *c == 0.0;
  }
  return false;
}

bool isUnit(int64_t size) { return size == 1; }

/// The map of a reshape's input from the map of its result, when the
/// reshape provably only inserts or drops unit dims: the non-unit dims of
/// input and result, in order, have the same sizes. A dynamic dim is a
/// non-unit dim of unknown size; it matches only a dynamic dim at the same
/// place, and only if it is the one dynamic dim on each side (the element
/// counts are equal, so the static ones fix it), or the reshape is an
/// expand/collapse whose reassociation group holds it alone. Anything else
/// (4x6 to 6x4, ?x? to ?x?) changes the rows: not an index-map change.
std::optional<AffineMap> reshapeMap(Operation *op, ShapedType input,
                                    ShapedType result, AffineMap map) {
  if (!input.hasRank() || !result.hasRank())
    return std::nullopt;
  SmallVector<unsigned> inDims, outDims;
  for (auto [i, s] : llvm::enumerate(input.getShape()))
    if (!isUnit(s))
      inDims.push_back(i);
  for (auto [i, s] : llvm::enumerate(result.getShape()))
    if (!isUnit(s))
      outDims.push_back(i);
  if (inDims.size() != outDims.size())
    return std::nullopt;
  unsigned numDynamic = 0;
  for (auto [i, o] : llvm::zip(inDims, outDims)) {
    if (input.getDimSize(i) != result.getDimSize(o))
      return std::nullopt;
    if (input.isDynamicDim(i))
      ++numDynamic;
  }
  if (numDynamic > 1) {
    // Only expand/collapse say which dims a dynamic size goes to: each
    // dynamic dim must be alone (with unit dims) in its group.
    SmallVector<ReassociationIndices> groups;
    ShapedType expanded = input;
    if (auto e = dyn_cast<tensor::ExpandShapeOp>(op)) {
      groups = e.getReassociationIndices();
      expanded = result;
    } else if (auto c = dyn_cast<tensor::CollapseShapeOp>(op)) {
      groups = c.getReassociationIndices();
    } else {
      return std::nullopt;
    }
    for (const ReassociationIndices &group : groups) {
      unsigned nonUnit = 0;
      for (int64_t d : group)
        if (!isUnit(expanded.getDimSize(d)))
          ++nonUnit;
      if (nonUnit > 1)
        return std::nullopt;
    }
  }
  MLIRContext *ctx = map.getContext();
  SmallVector<AffineExpr> exprs(input.getRank(),
                                getAffineConstantExpr(0, ctx));
  for (auto [i, o] : llvm::zip(inDims, outDims))
    exprs[i] = map.getResult(o);
  return AffineMap::get(map.getNumDims(), 0, exprs, ctx);
}

/// The map of an operand that tosa broadcasts implicitly to `result`.
AffineMap tosaOperandMap(Value operand, ShapedType result, AffineMap map) {
  auto type = dyn_cast<RankedTensorType>(operand.getType());
  if (!type || type.getRank() != result.getRank())
    return map;
  SmallVector<AffineExpr> exprs;
  for (int64_t d = 0; d < type.getRank(); ++d)
    exprs.push_back(type.getDimSize(d) == 1 && result.getDimSize(d) != 1
                        ? getAffineConstantExpr(0, map.getContext())
                        : map.getResult(d));
  return AffineMap::get(map.getNumDims(), 0, exprs, map.getContext());
}

/// An integer constant's value as an APInt (index as 64 bits).
std::optional<APInt> getSplatInt(Value value) {
  Attribute attr;
  if (!matchPattern(value, m_Constant(&attr)))
    return std::nullopt;
  auto widen = [](APInt v, Type t) {
    return t.isIndex() ? v.sextOrTrunc(64) : v;
  };
  if (auto i = dyn_cast<IntegerAttr>(attr))
    return widen(i.getValue(), i.getType());
  if (auto splat = dyn_cast<SplatElementsAttr>(attr);
      splat && isa<IntegerType, IndexType>(splat.getElementType()))
    return widen(splat.getSplatValue<APInt>(), splat.getElementType());
  return std::nullopt;
}

unsigned intWidth(Type type) {
  type = getElementTypeOrSelf(type);
  return type.isIndex() ? 64 : type.getIntOrFloatBitWidth();
}

/// `toFloat` (sitofp or uitofp) of an integer that is a constant or the
/// size of a tensor dim, through integer casts. Each cast is applied with
/// its own semantics: a constant is folded exactly (trunci wraps, extui
/// zero-extends, the final conversion rounds to the float type); a size
/// (non-negative, below 2^63) only passes casts that keep it exact: to 64
/// bits or more.
std::optional<Step> viewCount(Operation *toFloat) {
  SmallVector<Operation *> casts;
  Value value = toFloat->getOperand(0);
  while (Operation *def = value.getDefiningOp()) {
    if (!isa<arith::IndexCastOp, arith::IndexCastUIOp, arith::ExtSIOp,
             arith::ExtUIOp, arith::TruncIOp>(def))
      break;
    casts.push_back(def);
    value = def->getOperand(0);
  }
  auto floatType = dyn_cast<FloatType>(
      getElementTypeOrSelf(toFloat->getResult(0).getType()));
  if (!floatType)
    return std::nullopt;
  bool isUnsigned = isa<arith::UIToFPOp>(toFloat);
  if (std::optional<APInt> c = getSplatInt(value)) {
    APInt v = *c;
    for (Operation *cast : llvm::reverse(casts)) {
      unsigned w = intWidth(cast->getResult(0).getType());
      if (isa<arith::TruncIOp>(cast))
        v = v.trunc(w);
      else if (isa<arith::ExtUIOp, arith::IndexCastUIOp>(cast))
        v = v.zextOrTrunc(w);
      else
        v = v.sextOrTrunc(w);
    }
    APFloat f(floatType.getFloatSemantics());
    f.convertFromAPInt(v, /*IsSigned=*/!isUnsigned,
                       APFloat::rmNearestTiesToEven);
    std::optional<Rational> r = Rational::fromAPFloat(f);
    if (!r)
      return std::nullopt;
    Step s;
    s.kind = StepKind::Const;
    s.value = *r;
    s.type = floatType;
    s.op = toFloat;
    return s;
  }
  if (auto dim = value.getDefiningOp<tensor::DimOp>()) {
    std::optional<int64_t> index = dim.getConstantIndex();
    if (!index)
      return std::nullopt;
    for (Operation *cast : casts)
      if (intWidth(cast->getResult(0).getType()) < 64)
        return std::nullopt;
    // The float conversion of a size is exact below 2^(mantissa bits);
    // above that the frontend's count is rounded and the op's is not.
    auto type = dyn_cast<ShapedType>(dim.getSource().getType());
    if (type && type.hasRank() && *index < type.getRank() &&
        !type.isDynamicDim(*index)) {
      // A static size: the constant it is.
      APFloat f(floatType.getFloatSemantics());
      f.convertFromAPInt(APInt(64, type.getDimSize(*index)), false,
                         APFloat::rmNearestTiesToEven);
      Step s;
      s.kind = StepKind::Const;
      s.value = *Rational::fromAPFloat(f);
      s.type = floatType;
      s.op = toFloat;
      return s;
    }
    if (APFloat::semanticsPrecision(floatType.getFloatSemantics()) < 24)
      return std::nullopt; // f16/bf16 cannot hold a row length exactly.
    Step s;
    s.kind = StepKind::Size;
    s.sizeOf = canonicalShapeSource(dim.getSource());
    s.dim = *index;
    s.op = toFloat;
    return s;
  }
  return std::nullopt;
}

Step viewCast(Operation *op, Term input, Type from, Type to) {
  auto fromF = dyn_cast<FloatType>(getElementTypeOrSelf(from));
  auto toF = dyn_cast<FloatType>(getElementTypeOrSelf(to));
  if (!fromF || !toF)
    return leafStep();
  StepKind kind = fromF.getWidth() < toF.getWidth()   ? StepKind::Ext
                  : fromF.getWidth() > toF.getWidth() ? StepKind::Trunc
                  : fromF == toF                      ? StepKind::Identity
                                                      : StepKind::Leaf;
  if (kind == StepKind::Leaf)
    return leafStep();
  Step s = makeStep(kind, op, {input});
  s.type = toF;
  return s;
}

Step viewLinalg(linalg::LinalgOp linalgOp, OpResult result,
                const Term &term) {
  if (!linalgOp.hasPureTensorSemantics() ||
      linalg::isaContractionOpInterface(linalgOp) ||
      linalg::isaConvolutionOpInterface(linalgOp))
    return leafStep();
  unsigned resNo = result.getResultNumber();
  OpOperand *init = linalgOp.getDpsInitOperand(resNo);
  AffineMap outMap = linalgOp.getMatchingIndexingMap(init);
  Block *body = linalgOp.getBlock();
  if (!body)
    return leafStep();
  BlockArgument outArg = linalgOp.getMatchingBlockArgument(init);
  Value yielded = body->getTerminator()->getOperand(resNo);
  MLIRContext *ctx = term.map.getContext();
  unsigned n = term.map.getNumDims();

  if (linalgOp.getNumReductionLoops() == 0) {
    if (!outMap.isPermutation() || yielded == outArg)
      return leafStep();
    AffineMap loops = inversePermutation(outMap).compose(term.map);
    return makeStep(StepKind::Identity, linalgOp, {{yielded, loops}});
  }

  // A sum: the body adds a summand to the accumulator, which starts at 0.
  auto add = yielded.getDefiningOp<arith::AddFOp>();
  if (!add || add->getBlock() != body || !isZeroInit(init->get()))
    return leafStep();
  Value summand;
  if (add.getLhs() == outArg)
    summand = add.getRhs();
  else if (add.getRhs() == outArg)
    summand = add.getLhs();
  else
    return leafStep();
  SmallVector<utils::IteratorType> iterators =
      linalgOp.getIteratorTypesArray();
  SmallVector<int64_t> ranges = linalgOp.getStaticLoopRanges();
  SmallVector<AffineExpr> exprs(linalgOp.getNumLoops());
  auto initType = dyn_cast<RankedTensorType>(init->get().getType());
  for (unsigned p = 0; p < outMap.getNumResults(); ++p) {
    // A keep-dim reduction (torch-mlir) writes its size-1 dims at a
    // constant 0: `(d0, d1, d2) -> (d0, d1, 0)` into tensor<?x?x1xf32>.
    if (auto c = dyn_cast<AffineConstantExpr>(outMap.getResult(p))) {
      if (c.getValue() != 0 || !initType || initType.getDimSize(p) != 1)
        return leafStep();
      continue;
    }
    auto dimExpr = dyn_cast<AffineDimExpr>(outMap.getResult(p));
    if (!dimExpr)
      return leafStep();
    unsigned d = dimExpr.getPosition();
    if (exprs[d])
      return leafStep(); // A loop written at two positions.
    if (iterators[d] != utils::IteratorType::parallel)
      return leafStep();
    exprs[d] = term.map.getResult(p);
  }
  Step s = makeStep(StepKind::Sum, linalgOp, {});
  unsigned k = 0;
  for (unsigned d = 0; d < linalgOp.getNumLoops(); ++d) {
    if (iterators[d] == utils::IteratorType::parallel) {
      if (!exprs[d])
        return leafStep(); // A parallel loop the result does not index.
      continue;
    }
    exprs[d] = getAffineDimExpr(n + k++, ctx);
    s.reducedSizes.push_back(ranges[d]);
    std::pair<Value, int64_t> source;
    for (OpOperand *input : linalgOp.getDpsInputOperands()) {
      AffineMap m = linalgOp.getMatchingIndexingMap(input);
      for (unsigned r = 0; r < m.getNumResults(); ++r)
        if (m.getResult(r) == getAffineDimExpr(d, m.getContext()) &&
            !source.first)
          source = {canonicalShapeSource(input->get()), r};
    }
    s.reducedSources.push_back(source);
  }
  s.operands.push_back({summand, AffineMap::get(n + k, 0, exprs, ctx)});
  return s;
}

} // namespace

/// Whether `operand` of `def` provably has the shape of its result `value`
/// at run time. Only ops listed here preserve shapes: elementwise ops
/// (arith/math on tensors, whose operands must all have one shape), an
/// operand of an all-parallel linalg op read, like the result, with the
/// identity map, tensor.cast, tosa ops with
/// SameOperandsAndResultShape, and tosa's broadcasting elementwise ops when
/// each dim of the operand is static and equal to the result's or every
/// other operand is 1 there. Not a transpose, a slice, a reshape, nor any
/// op whose types merely print alike: `?` proves nothing.
static bool operandHasResultShape(Operation *def, Value operand,
                                  Value value) {
  auto type = dyn_cast<ShapedType>(value.getType());
  if (!type || !type.hasRank())
    return false;
  auto sameRank = [&](Value v) {
    auto t = dyn_cast<ShapedType>(v.getType());
    return t && t.hasRank() && t.getRank() == type.getRank();
  };
  if (!sameRank(operand))
    return false;
  if (auto linalgOp = dyn_cast<linalg::LinalgOp>(def)) {
    // All loops parallel, the result's init and the operand both read with
    // the identity map: each dim of both is the extent of the same loop,
    // which linalg requires to agree (other operands may broadcast, as the
    // keep-dim mean in torch-mlir's x − mean).
    auto result = dyn_cast<OpResult>(value);
    if (!linalgOp.hasPureTensorSemantics() ||
        linalgOp.getNumReductionLoops() != 0 || !result ||
        result.getOwner() != def ||
        !linalgOp
             .getMatchingIndexingMap(
                 linalgOp.getDpsInitOperand(result.getResultNumber()))
             .isIdentity())
      return false;
    return llvm::any_of(linalgOp->getOpOperands(), [&](OpOperand &o) {
      return o.get() == operand &&
             linalgOp.getMatchingIndexingMap(&o).isIdentity();
    });
  }
  if (isa<tensor::CastOp>(def))
    return true;
  if (def->getDialect() && def->getDialect()->getNamespace() == "tosa") {
    if (def->hasTrait<OpTrait::SameOperandsAndResultShape>())
      return true;
    if (!def->hasTrait<OpTrait::ResultsBroadcastableShape>())
      return false;
    auto t = cast<ShapedType>(operand.getType());
    for (int64_t d = 0; d < type.getRank(); ++d) {
      if (!t.isDynamicDim(d) && !type.isDynamicDim(d) &&
          t.getDimSize(d) == type.getDimSize(d))
        continue;
      // The result is this operand's size if every other operand is 1.
      // (Operands of another rank, tosa.mul's shift, do not broadcast.)
      bool proven = llvm::all_of(def->getOperands(), [&](Value other) {
        if (other == operand || !sameRank(other))
          return true;
        return cast<ShapedType>(other.getType()).getDimSize(d) == 1;
      });
      if (!proven)
        return false;
    }
    return true;
  }
  return def->hasTrait<OpTrait::Elementwise>();
}

Value mlir::norm::canonicalShapeSource(Value value) {
  for (unsigned guard = 0; guard < 64; ++guard) {
    Operation *def = value.getDefiningOp();
    if (!def || def->getNumOperands() == 0 || def->getNumResults() != 1)
      return value;
    Value next;
    for (Value operand : def->getOperands())
      if (operandHasResultShape(def, operand, value)) {
        next = operand;
        break;
      }
    if (!next)
      return value;
    value = next;
  }
  return value;
}

/// Whether `from` reaches `to` through operands that have their result's
/// shape (a bounded walk).
static bool reachesThroughShape(Value from, Value to) {
  SmallVector<Value> stack{from};
  llvm::SmallPtrSet<void *, 16> seen;
  for (unsigned budget = 64; !stack.empty() && budget; --budget) {
    Value v = stack.pop_back_val();
    if (v == to)
      return true;
    if (!seen.insert(v.getAsOpaquePointer()).second)
      continue;
    Operation *def = v.getDefiningOp();
    if (!def || def->getNumResults() != 1)
      continue;
    for (Value operand : def->getOperands())
      if (operandHasResultShape(def, operand, v))
        stack.push_back(operand);
  }
  return false;
}

bool mlir::norm::provablySameShape(Value a, Value b) {
  auto ta = dyn_cast<ShapedType>(a.getType());
  auto tb = dyn_cast<ShapedType>(b.getType());
  if (!ta || !tb || !ta.hasRank() || !tb.hasRank())
    return false;
  if (ta.hasStaticShape() && tb.hasStaticShape())
    return ta.getShape() == tb.getShape();
  return a == b || reachesThroughShape(a, b) || reachesThroughShape(b, a) ||
         canonicalShapeSource(a) == canonicalShapeSource(b);
}

Step mlir::norm::viewStep(const Term &term) {
  Value v = term.value;
  const AffineMap &map = term.map;

  // A linalg body reads its inputs through block arguments.
  if (auto arg = dyn_cast<BlockArgument>(v)) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(arg.getOwner()->getParentOp());
    if (!linalgOp || linalgOp.getBlock() != arg.getOwner() ||
        arg.getArgNumber() >= linalgOp.getNumDpsInputs())
      return leafStep();
    OpOperand *input = linalgOp.getDpsInputOperand(arg.getArgNumber());
    AffineMap m = linalgOp.getMatchingIndexingMap(input).compose(map);
    return makeStep(StepKind::Identity, linalgOp, {{input->get(), m}});
  }

  Operation *op = v.getDefiningOp();
  if (std::optional<std::pair<Rational, Type>> c = getSplatConstant(v)) {
    Step s;
    s.kind = StepKind::Const;
    s.value = c->first;
    s.type = c->second;
    s.op = op;
    return s;
  }
  if (!op)
    return leafStep();
  auto same = [&](unsigned i) { return Term{op->getOperand(i), map}; };
  auto resultType = dyn_cast<ShapedType>(v.getType());

  return llvm::TypeSwitch<Operation *, Step>(op)
      .Case([&](arith::AddFOp) {
        return makeStep(StepKind::Add, op, {same(0), same(1)});
      })
      .Case([&](arith::SubFOp) {
        return makeStep(StepKind::Sub, op, {same(0), same(1)});
      })
      .Case([&](arith::MulFOp) {
        return makeStep(StepKind::Mul, op, {same(0), same(1)});
      })
      .Case([&](arith::DivFOp) {
        return makeStep(StepKind::Div, op, {same(0), same(1)});
      })
      .Case([&](arith::NegFOp) {
        return makeStep(StepKind::Neg, op, {same(0)});
      })
      .Case([&](math::SqrtOp) {
        return makeStep(StepKind::Sqrt, op, {same(0)});
      })
      .Case([&](math::RsqrtOp) {
        return makeStep(StepKind::Rsqrt, op, {same(0)});
      })
      .Case([&](math::PowFOp pow) {
        std::optional<double> e = getSplatFloat(pow.getRhs());
        if (!e)
          return leafStep();
        Step s = makeStep(StepKind::Pow, op, {same(0)});
        s.constant = *e;
        return s;
      })
      .Case([&](math::FPowIOp pow) {
        std::optional<double> e = getSplatFloat(pow.getRhs());
        if (!e)
          return leafStep();
        Step s = makeStep(StepKind::Pow, op, {same(0)});
        s.constant = *e;
        return s;
      })
      .Case([&](arith::ExtFOp ext) {
        return viewCast(op, same(0), ext.getIn().getType(), ext.getType());
      })
      .Case([&](arith::TruncFOp trunc) {
        return viewCast(op, same(0), trunc.getIn().getType(),
                        trunc.getType());
      })
      .Case<arith::SIToFPOp, arith::UIToFPOp>([&](Operation *) {
        std::optional<Step> s = viewCount(op);
        return s ? *s : leafStep();
      })
      .Case([&](tensor::CastOp) {
        return makeStep(StepKind::Identity, op, {same(0)});
      })
      .Case<tensor::ExpandShapeOp, tensor::CollapseShapeOp, tosa::ReshapeOp,
            tensor::ReshapeOp>([&](Operation *) {
        std::optional<AffineMap> m =
            reshapeMap(op, cast<ShapedType>(op->getOperand(0).getType()),
                       resultType, map);
        if (!m)
          return leafStep();
        return makeStep(StepKind::Identity, op, {{op->getOperand(0), *m}});
      })
      .Case([&](linalg::LinalgOp linalgOp) {
        return viewLinalg(linalgOp, cast<OpResult>(v), term);
      })
      // tosa: elementwise with implicit broadcast of size-1 dims.
      .Case<tosa::AddOp, tosa::SubOp, tosa::MulOp, tosa::PowOp>(
          [&](Operation *) {
            Term lhs{op->getOperand(0),
                     tosaOperandMap(op->getOperand(0), resultType, map)};
            Term rhs{op->getOperand(1),
                     tosaOperandMap(op->getOperand(1), resultType, map)};
            if (isa<tosa::PowOp>(op)) {
              std::optional<double> e = getSplatFloat(op->getOperand(1));
              if (!e)
                return leafStep();
              Step s = makeStep(StepKind::Pow, op, {lhs});
              s.constant = *e;
              return s;
            }
            if (auto mul = dyn_cast<tosa::MulOp>(op)) {
              std::optional<double> shift = getSplatFloat(mul.getShift());
              if (shift && *shift != 0.0)
                return leafStep();
            }
            StepKind kind = isa<tosa::AddOp>(op)   ? StepKind::Add
                            : isa<tosa::SubOp>(op) ? StepKind::Sub
                                                   : StepKind::Mul;
            return makeStep(kind, op, {lhs, rhs});
          })
      .Case([&](tosa::NegateOp) {
        return makeStep(StepKind::Neg, op, {same(0)});
      })
      .Case([&](tosa::RsqrtOp) {
        return makeStep(StepKind::Rsqrt, op, {same(0)});
      })
      .Case([&](tosa::ReciprocalOp) {
        return makeStep(StepKind::Recip, op, {same(0)});
      })
      .Case([&](tosa::CastOp cast) {
        return viewCast(op, same(0), cast.getInput().getType(),
                        cast.getType());
      })
      .Case([&](tosa::ReduceSumOp reduce) {
        auto inputType = cast<ShapedType>(reduce.getInput().getType());
        unsigned axis = reduce.getAxis();
        unsigned n = map.getNumDims();
        SmallVector<AffineExpr> exprs;
        for (unsigned d = 0; d < inputType.getRank(); ++d)
          exprs.push_back(d == axis ? getAffineDimExpr(n, op->getContext())
                                    : map.getResult(d));
        Step s = makeStep(
            StepKind::Sum, op,
            {{reduce.getInput(),
              AffineMap::get(n + 1, 0, exprs, op->getContext())}});
        s.reducedSizes.push_back(inputType.getDimSize(axis));
        s.reducedSources.push_back(
            {canonicalShapeSource(reduce.getInput()), axis});
        return s;
      })
      .Default([&](Operation *) { return leafStep(); });
}

//===----------------------------------------------------------------------===//
// Polynomials
//===----------------------------------------------------------------------===//

Poly Poly::constant(const Rational &c) {
  Poly p;
  if (!c.isZero())
    p.terms[{}] = c;
  return p;
}

Poly Poly::atom(AtomId id, int power) {
  Poly p;
  p.terms[{{id, power}}] = Rational(1);
  return p;
}

std::optional<Monomial> Poly::singleMonomial(Rational *coeff) const {
  if (terms.size() != 1)
    return std::nullopt;
  if (coeff)
    *coeff = terms.begin()->second;
  return terms.begin()->first;
}

static uint64_t mapDeps(AffineMap map) {
  uint64_t deps = 0;
  for (AffineExpr e : map.getResults())
    e.walk([&](AffineExpr sub) {
      if (auto d = dyn_cast<AffineDimExpr>(sub))
        deps |= uint64_t(1) << d.getPosition();
    });
  return deps;
}

static uint64_t lowMask(unsigned n) {
  return n >= 64 ? ~uint64_t(0) : (uint64_t(1) << n) - 1;
}

/// Structural and exact: atom ids, powers and the exact coefficient.
std::string NormalFormBuilder::key(const Poly &p) const {
  std::string s;
  for (const auto &[mono, c] : p.terms) {
    for (auto [id, power] : mono)
      s += "a" + std::to_string(id) + "^" + std::to_string(power) + "*";
    s += c.str() + ";";
  }
  return s;
}

std::string NormalFormBuilder::atomKey(const Atom &a) const {
  switch (a.kind) {
  case AtomKind::Leaf:
    return llvm::formatv("L{0}|{1}", a.value.getAsOpaquePointer(),
                         a.map.getAsOpaquePointer())
        .str();
  case AtomKind::Size:
    return llvm::formatv("N{0}|{1}", a.value.getAsOpaquePointer(), a.dim)
        .str();
  case AtomKind::Sqrt:
    return llvm::formatv("Q{0}({1})", a.numDims, key(a.inner)).str();
  case AtomKind::Sum: {
    std::string sizes;
    for (int64_t s : a.reducedSizes)
      sizes += std::to_string(s) + ",";
    return llvm::formatv("S{0}[{1}]({2})", a.numDims, sizes, key(a.inner))
        .str();
  }
  }
  llvm_unreachable("atom kind");
}

AtomId NormalFormBuilder::intern(Atom atom) {
  std::string k = atomKey(atom);
  auto it = atomIds.find(k);
  if (it != atomIds.end())
    return it->second;
  AtomId id = atoms.size();
  atoms.push_back(std::move(atom));
  atomIds[k] = id;
  return id;
}

AtomId NormalFormBuilder::leaf(Value value, AffineMap map) {
  // A size-1 dim is read at 0 whatever expression indexes it (a broadcast
  // writes 0, a loop over a unit dim d_i): one leaf, however it is spelled.
  if (auto type = dyn_cast<RankedTensorType>(value.getType());
      type && type.getRank() == static_cast<int64_t>(map.getNumResults())) {
    SmallVector<AffineExpr> exprs(map.getResults());
    bool changed = false;
    for (auto [i, e] : llvm::enumerate(exprs))
      if (type.getDimSize(i) == 1 && !isa<AffineConstantExpr>(e)) {
        e = getAffineConstantExpr(0, map.getContext());
        changed = true;
      }
    if (changed)
      map = AffineMap::get(map.getNumDims(), map.getNumSymbols(), exprs,
                           map.getContext());
  }
  Atom a{AtomKind::Leaf, map.getNumDims()};
  a.value = value;
  a.map = map;
  a.deps = mapDeps(map);
  return intern(std::move(a));
}

AtomId NormalFormBuilder::size(Value value, int64_t dim) {
  Atom a{AtomKind::Size, 0};
  a.value = canonicalShapeSource(value);
  a.dim = dim;
  return intern(std::move(a));
}

uint64_t NormalFormBuilder::deps(const Monomial &m) const {
  uint64_t d = 0;
  for (auto [id, power] : m)
    d |= atoms[id].deps;
  return d;
}

uint64_t NormalFormBuilder::deps(const Poly &p) const {
  uint64_t d = 0;
  for (const auto &[mono, c] : p.terms)
    d |= deps(mono);
  return d;
}

Poly NormalFormBuilder::add(const Poly &a, const Poly &b) {
  Poly r = a;
  for (const auto &[mono, c] : b.terms) {
    Rational &slot = r.terms[mono];
    slot += c;
    // Cancellation is exact.
    if (slot.isZero())
      r.terms.erase(mono);
  }
  return r;
}

Poly NormalFormBuilder::scale(const Poly &a, const Rational &c) {
  if (c.isZero())
    return Poly();
  Poly r = a;
  for (auto &[mono, coeff] : r.terms)
    coeff = coeff * c;
  return r;
}

Poly NormalFormBuilder::sub(const Poly &a, const Poly &b) {
  return add(a, scale(b, Rational(-1)));
}

Poly NormalFormBuilder::mulMonomial(const Monomial &a, const Monomial &b,
                                    const Rational &c) {
  std::map<AtomId, int> powers;
  for (auto [id, p] : a)
    powers[id] += p;
  for (auto [id, p] : b)
    powers[id] += p;
  Monomial mono;
  Poly extra = Poly::constant(1);
  for (auto [id, p] : powers) {
    if (p == 0)
      continue;
    // sqrt(u)^2 = u.
    if (atoms[id].kind == AtomKind::Sqrt && p >= 2) {
      Poly inner = atoms[id].inner;
      for (int i = 0; i < p / 2; ++i)
        extra = mul(extra, inner);
      p %= 2;
      if (p == 0)
        continue;
    }
    mono.push_back({id, p});
  }
  Poly r;
  r.terms[mono] = c;
  if (extra.terms.size() == 1 && extra.terms.begin()->first.empty())
    return scale(r, extra.terms.begin()->second);
  return mul(r, extra);
}

Poly NormalFormBuilder::mul(const Poly &a, const Poly &b) {
  // Accumulate in place: products of long sums stay linear in their size.
  Poly r;
  for (const auto &[ma, ca] : a.terms)
    for (const auto &[mb, cb] : b.terms)
      for (const auto &[m, c] : mulMonomial(ma, mb, ca * cb).terms)
        r.terms[m] += c;
  for (auto it = r.terms.begin(); it != r.terms.end();) {
    if (it->second.isZero())
      it = r.terms.erase(it);
    else
      ++it;
  }
  return r;
}

bool NormalFormBuilder::isNonNegative(AtomId id) const {
  const Atom &a = atoms[id];
  switch (a.kind) {
  case AtomKind::Sqrt:
  case AtomKind::Size:
    return true;
  case AtomKind::Sum:
    return isNonNegative(a.inner);
  case AtomKind::Leaf:
    return false;
  }
  llvm_unreachable("atom kind");
}

bool NormalFormBuilder::isNonNegative(const Poly &p) const {
  return llvm::all_of(p.terms, [&](const auto &term) {
    return term.second.sign() > 0 &&
           llvm::all_of(term.first, [&](auto e) {
             return e.second % 2 == 0 || isNonNegative(e.first);
           });
  });
}

Poly NormalFormBuilder::sqrt(const Poly &a, unsigned numDims) {
  // sqrt(c · Π a_i^(2 k_i)) = sqrt(c) · Π a_i^k_i only where that product
  // is >= 0: every a_i with an odd k_i known non-negative (sqrt(w·w) is
  // |w|, not w), and sqrt(c) exact.
  Rational c;
  if (std::optional<Monomial> mono = a.singleMonomial(&c)) {
    std::optional<Rational> root = c.sqrt();
    if (root && c.sign() > 0 &&
        llvm::all_of(*mono, [&](auto e) {
          return e.second % 2 == 0 &&
                 ((e.second / 2) % 2 == 0 || isNonNegative(e.first));
        })) {
      Monomial half;
      for (auto [id, p] : *mono)
        half.push_back({id, p / 2});
      Poly r;
      r.terms[half] = *root;
      return r;
    }
  }
  Atom atom{AtomKind::Sqrt, numDims};
  atom.inner = a;
  atom.deps = deps(a);
  return Poly::atom(intern(std::move(atom)));
}

Poly NormalFormBuilder::inverse(const Poly &a, unsigned numDims) {
  Rational c;
  if (std::optional<Monomial> mono = a.singleMonomial(&c)) {
    Monomial inv;
    for (auto [id, p] : *mono)
      inv.push_back({id, -p});
    Poly r;
    r.terms[inv] = Rational(1) / c;
    return r;
  }
  // 1/u = sqrt(u)^-2, so that rsqrt(u)/u = sqrt(u)^-3 = rsqrt(u)^3.
  Atom atom{AtomKind::Sqrt, numDims};
  atom.inner = a;
  atom.deps = deps(a);
  return Poly::atom(intern(std::move(atom)), -2);
}

FailureOr<Poly> NormalFormBuilder::power(const Poly &a, double exponent,
                                         unsigned numDims) {
  double twice = exponent * 2.0;
  if (twice != std::floor(twice) || std::abs(exponent) > 16)
    return failure();
  Poly base = a;
  int n = static_cast<int>(twice);
  if (n % 2 == 0) {
    n /= 2;
  } else {
    base = sqrt(a, numDims);
  }
  bool negative = n < 0;
  Poly r = Poly::constant(1);
  for (int i = 0; i < std::abs(n); ++i)
    r = mul(r, base);
  return negative ? inverse(r, numDims) : r;
}

AtomId NormalFormBuilder::remapAtom(AtomId id, ArrayRef<unsigned> dims,
                                    unsigned numDims) {
  Atom a = atoms[id];
  MLIRContext *ctx;
  switch (a.kind) {
  case AtomKind::Size:
    return id;
  case AtomKind::Leaf: {
    ctx = a.map.getContext();
    SmallVector<AffineExpr> repl;
    for (unsigned d = 0; d < a.map.getNumDims(); ++d)
      repl.push_back(getAffineDimExpr(dims[d], ctx));
    AffineMap m = a.map.replaceDimsAndSymbols(repl, {}, numDims, 0);
    return leaf(a.value, m);
  }
  case AtomKind::Sqrt: {
    Atom r{AtomKind::Sqrt, numDims};
    r.inner = remap(a.inner, dims, numDims);
    r.deps = deps(r.inner);
    return intern(std::move(r));
  }
  case AtomKind::Sum: {
    unsigned k = a.reducedSizes.size();
    SmallVector<unsigned> ext(dims.begin(), dims.begin() + a.numDims);
    for (unsigned i = 0; i < k; ++i)
      ext.push_back(numDims + i);
    Atom r{AtomKind::Sum, numDims};
    r.inner = remap(a.inner, ext, numDims + k);
    r.reducedSizes = a.reducedSizes;
    r.reducedSources = a.reducedSources;
    r.deps = deps(r.inner) & lowMask(numDims);
    return intern(std::move(r));
  }
  }
  llvm_unreachable("atom kind");
}

Poly NormalFormBuilder::remap(const Poly &a, ArrayRef<unsigned> dims,
                              unsigned numDims) {
  Poly r;
  for (const auto &[mono, c] : a.terms) {
    Monomial m;
    for (auto [id, p] : mono)
      m.push_back({remapAtom(id, dims, numDims), p});
    std::sort(m.begin(), m.end());
    r = add(r, mulMonomial(m, {}, c));
  }
  return r;
}

Poly NormalFormBuilder::sum(const Poly &inner, unsigned n,
                            ArrayRef<int64_t> sizes,
                            ArrayRef<std::pair<Value, int64_t>> sources) {
  unsigned k = sizes.size();
  uint64_t innerMask = lowMask(n + k) & ~lowMask(n);
  SmallVector<unsigned> down;
  for (unsigned d = 0; d < n + k; ++d)
    down.push_back(d < n ? d : 0);
  Poly total;
  for (const auto &[mono, c] : inner.terms) {
    Monomial in;
    Poly outside = Poly::constant(c);
    for (auto [id, p] : mono) {
      if (atoms[id].deps & innerMask)
        in.push_back({id, p});
      else
        outside = mul(outside, Poly::atom(remapAtom(id, down, n), p));
    }
    if (in.empty()) {
      // Σ of a row constant: N times it.
      for (auto [s, source] : llvm::zip(sizes, sources)) {
        if (!ShapedType::isDynamic(s))
          outside = scale(outside, Rational(s));
        else
          outside = mul(outside, Poly::atom(size(source.first, source.second)));
      }
      total = add(total, outside);
      continue;
    }
    // Nested sums merge: Σ_a Σ_b m = Σ_{a,b} m.
    if (in.size() == 1 && in[0].second == 1 &&
        atoms[in[0].first].kind == AtomKind::Sum &&
        atoms[in[0].first].numDims == n + k) {
      const Atom &nested = atoms[in[0].first];
      SmallVector<int64_t> allSizes(sizes);
      allSizes.append(nested.reducedSizes.begin(), nested.reducedSizes.end());
      SmallVector<std::pair<Value, int64_t>> allSources(sources);
      allSources.append(nested.reducedSources.begin(),
                        nested.reducedSources.end());
      Poly nestedInner = nested.inner;
      total = add(total, mul(outside, sum(nestedInner, n, allSizes,
                                          allSources)));
      continue;
    }
    // Canonical order of the summed dims: as the leaves index them, leaves
    // taken in a fixed order, so that Σ over (a, b) and over (b, a) agree.
    SmallVector<const Atom *> leaves;
    for (auto [id, p] : in)
      if (atoms[id].kind == AtomKind::Leaf)
        leaves.push_back(&atoms[id]);
    llvm::sort(leaves, [](const Atom *a, const Atom *b) {
      return a->value.getAsOpaquePointer() < b->value.getAsOpaquePointer();
    });
    SmallVector<unsigned> order;
    for (const Atom *leafAtom : leaves)
      for (AffineExpr e : leafAtom->map.getResults())
        if (auto d = dyn_cast<AffineDimExpr>(e))
          if (d.getPosition() >= n && !llvm::is_contained(order, d.getPosition()))
            order.push_back(d.getPosition());
    for (unsigned d = n; d < n + k; ++d)
      if (!llvm::is_contained(order, d))
        order.push_back(d);
    SmallVector<unsigned> rename;
    for (unsigned d = 0; d < n + k; ++d)
      rename.push_back(d);
    Atom atom{AtomKind::Sum, n};
    for (auto [pos, old] : llvm::enumerate(order)) {
      rename[old] = n + pos;
      atom.reducedSizes.push_back(sizes[old - n]);
      atom.reducedSources.push_back(sources[old - n]);
    }
    Poly innerPoly;
    innerPoly.terms[in] = Rational(1);
    atom.inner = remap(innerPoly, rename, n + k);
    atom.deps = deps(atom.inner) & lowMask(n);
    total = add(total, mul(outside, Poly::atom(intern(std::move(atom)))));
  }
  return total;
}

bool NormalFormBuilder::equal(const Poly &a, const Poly &b) const {
  if (a.terms.size() != b.terms.size())
    return false;
  for (const auto &[mono, c] : a.terms) {
    auto it = b.terms.find(mono);
    if (it == b.terms.end() || it->second != c)
      return false;
  }
  return true;
}

/// 1/n rounded to nearest in `type`: 1/n in quad (correctly rounded), then
/// to `type`; 1/n is not a dyadic unless n is a power of 2 (then exact), so
/// the double rounding cannot land on a tie.
static std::optional<Rational> roundedReciprocal(int64_t n, FloatType type) {
  APFloat q(APFloat::IEEEquad(), 1);
  q.divide(APFloat(APFloat::IEEEquad(), static_cast<uint64_t>(n)),
           APFloat::rmNearestTiesToEven);
  bool losesInfo = false;
  q.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven,
            &losesInfo);
  return Rational::fromAPFloat(q);
}

std::optional<Rational>
NormalFormBuilder::asWritten(const Rational &value) const {
  for (const auto &[exact, written] : snapped)
    if (exact == value)
      return written;
  return std::nullopt;
}

std::optional<Term> NormalFormBuilder::representative(const Poly &p) const {
  auto it = representatives.find(key(p));
  if (it == representatives.end())
    return std::nullopt;
  return it->second;
}

//===----------------------------------------------------------------------===//
// Building
//===----------------------------------------------------------------------===//

/// The steps that compute a new value (and so round it to the result type);
/// casts, negation, reshapes and constants do not.
static bool roundsInItsType(StepKind kind) {
  switch (kind) {
  case StepKind::Add:
  case StepKind::Sub:
  case StepKind::Mul:
  case StepKind::Div:
  case StepKind::Sqrt:
  case StepKind::Rsqrt:
  case StepKind::Recip:
  case StepKind::Pow:
  case StepKind::Sum:
    return true;
  default:
    return false;
  }
}

/// `c` rounded to nearest in `type`.
static std::optional<Rational> roundTo(const Rational &c, FloatType type) {
  APFloat value(c.toDouble());
  bool lost = false;
  value.convert(type.getFloatSemantics(), APFloat::rmNearestTiesToEven, &lost);
  value.convert(APFloat::IEEEdouble(), APFloat::rmNearestTiesToEven, &lost);
  return Rational::fromDouble(value.convertToDouble());
}

static bool isPowerOfTwo(const Rational &c) {
  double d = std::fabs(c.toDouble());
  int e = 0;
  if (d == 0 || std::frexp(d, &e) != 0.5)
    return false;
  std::optional<Rational> back = Rational::fromDouble(d);
  return back && (*back == c || *back == -c);
}

FailureOr<Poly> NormalFormBuilder::build(Value value) {
  auto type = dyn_cast<ShapedType>(value.getType());
  AffineMap map =
      type ? AffineMap::getMultiDimIdentityMap(type.getRank(), value.getContext())
           : AffineMap::get(0, 0, {}, value.getContext());
  return build(Term{value, map});
}

FailureOr<Poly> NormalFormBuilder::build(const Term &term) {
  auto memoKey = std::make_pair(term.value.getAsOpaquePointer(),
                                const_cast<void *>(term.map.getAsOpaquePointer()));
  auto it = memo.find(memoKey);
  if (it != memo.end()) {
    if (!it->second)
      return failure();
    return *it->second;
  }
  unsigned n = term.map.getNumDims();
  bool isTensor = isa<ShapedType>(term.value.getType());
  auto leafPoly = [&]() -> FailureOr<Poly> {
    if (!isTensor && term.map.getNumResults() != 0) {
      // A scalar computed inside a linalg body has no name outside it; one
      // defined outside (a runtime eps) is the same at every point.
      Region *region = Value(term.value).getParentRegion();
      if (region && isa<linalg::LinalgOp>(region->getParentOp()))
        return failure();
      return Poly::atom(leaf(term.value,
                             AffineMap::get(n, 0, {}, term.value.getContext())));
    }
    return Poly::atom(leaf(term.value, term.map));
  };

  FailureOr<Poly> result = failure();
  Step step = stopAt.contains(term.value) ? Step{} : viewStep(term);
  auto operand = [&](unsigned i) { return build(step.operands[i]); };
  switch (step.kind) {
  case StepKind::Leaf:
    result = leafPoly();
    break;
  case StepKind::Const: {
    Rational value = step.value;
    if (auto type = dyn_cast_or_null<FloatType>(step.type))
      for (int64_t n : counts) {
        if (n < 2 || value == Rational(1, n))
          continue;
        std::optional<Rational> rounded = roundedReciprocal(n, type);
        if (rounded && *rounded == value) {
          snapped.push_back({Rational(1, n), value});
          value = Rational(1, n);
          break;
        }
      }
    result = Poly::constant(value);
    break;
  }
  case StepKind::Identity:
  case StepKind::Ext:
    result = operand(0);
    break;
  case StepKind::Trunc:
    result = operand(0);
    if (succeeded(result)) {
      // A constant narrowed (eps written in f64 and truncated to f32) is
      // the value after the cast: 1e-6 in f16 is 1.0133e-6.
      Rational c;
      std::optional<Monomial> mono = result->singleMonomial(&c);
      auto to = dyn_cast<FloatType>(step.type);
      if (to && (result->isZero() || (mono && mono->empty()))) {
        if (std::optional<Rational> r = roundTo(mono ? c : Rational(0), to)) {
          result = Poly::constant(*r);
          break;
        }
      }
      truncs.push_back({*result, step.type, step.op, /*implicit=*/false});
    }
    break;
  case StepKind::Add:
  case StepKind::Sub:
  case StepKind::Mul:
  case StepKind::Div: {
    FailureOr<Poly> a = operand(0), b = operand(1);
    if (failed(a) || failed(b))
      break;
    if (step.kind == StepKind::Add)
      result = add(*a, *b);
    else if (step.kind == StepKind::Sub)
      result = sub(*a, *b);
    else if (step.kind == StepKind::Mul)
      result = mul(*a, *b);
    else if (!b->isZero())
      result = mul(*a, inverse(*b, n));
    break;
  }
  case StepKind::Neg:
    if (FailureOr<Poly> a = operand(0); succeeded(a))
      result = scale(*a, Rational(-1));
    break;
  case StepKind::Sqrt:
    if (FailureOr<Poly> a = operand(0); succeeded(a))
      result = sqrt(*a, n);
    break;
  case StepKind::Rsqrt:
    if (FailureOr<Poly> a = operand(0); succeeded(a))
      result = inverse(sqrt(*a, n), n);
    break;
  case StepKind::Recip:
    if (FailureOr<Poly> a = operand(0); succeeded(a) && !a->isZero())
      result = inverse(*a, n);
    break;
  case StepKind::Pow:
    if (FailureOr<Poly> a = operand(0); succeeded(a))
      result = power(*a, step.constant, n);
    break;
  case StepKind::Sum:
    if (FailureOr<Poly> a = operand(0); succeeded(a))
      result = sum(*a, n, step.reducedSizes, step.reducedSources);
    break;
  case StepKind::Size:
    result = Poly::atom(size(step.sizeOf, step.dim));
    break;
  }
  // Arithmetic in a float type narrower than f32 rounds its result to that
  // type, as a narrowing cast would: a constant is folded to its rounded
  // value, anything else is recorded (the matcher accepts only the roundings
  // the op models). x · 2^k of an x already in that type is exact.
  if (succeeded(result) && roundsInItsType(step.kind)) {
    auto ft = dyn_cast<FloatType>(getElementTypeOrSelf(term.value.getType()));
    if (ft && ft.getFPMantissaWidth() < 24) {
      Rational c;
      std::optional<Monomial> mono = result->singleMonomial(&c);
      if (result->isZero()) {
      } else if (mono && mono->empty()) {
        if (std::optional<Rational> r = roundTo(c, ft))
          result = Poly::constant(*r);
        else
          result = failure();
      } else if (!(mono && mono->size() == 1 && (*mono)[0].second == 1 &&
                   isPowerOfTwo(c) &&
                   getAtom((*mono)[0].first).kind == AtomKind::Leaf &&
                   getElementTypeOrSelf(
                       getAtom((*mono)[0].first).value.getType()) == ft)) {
        truncs.push_back({*result, ft, step.op, /*implicit=*/true});
      }
    }
  }
  // A step we cannot express: the value is an opaque input, if it can be
  // named (a tensor, or a scalar outside any body).
  if (failed(result) && step.kind != StepKind::Leaf)
    result = leafPoly();
  if (succeeded(result)) {
    // Constants and sizes may be shared with anything: not part of a match.
    if (step.kind != StepKind::Leaf && step.kind != StepKind::Const &&
        step.kind != StepKind::Size && step.op)
      expandedOps.insert(step.op);
    if (isTensor) {
      visited.insert({term.value, Visit{term.map, *result}});
      // Statistics (rstd, mean) are small polynomials; skip keying the rest.
      if (result->terms.size() <= 2)
        representatives.try_emplace(key(*result), term);
    }
    memo[memoKey] = *result;
  } else {
    memo[memoKey] = std::nullopt;
  }
  return result;
}
