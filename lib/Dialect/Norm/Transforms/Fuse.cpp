//===- Fuse.cpp - norm-fuse pass ---------------------------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Raises norms written in primitive ops into norm ops. A candidate is found
// structurally (a Σ of a square, or a Σ over the leading dims of a product
// with dy), its input `x` read from that anchor, and the whole candidate is
// then evaluated into the normal form of NormalForm.h and compared with the
// formula of the op (docs/Norm.md). Only what equals the formula is raised.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormOps.h"
#include "norm/Dialect/Norm/Transforms/Passes.h"
#include "norm/Dialect/Norm/Utils/NormalForm.h"

#include "mlir/Dialect/Utils/ReshapeOpsUtils.h"
#include "mlir/IR/Dominance.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/FormatVariadic.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMFUSEPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {

/// "a narrowing cast to bf16", or "arith.mulf in bf16 (rounding its
/// result)" for arithmetic carried out in a narrow type.
std::string describeRounding(const NormalFormBuilder::Rounding &t) {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (t.implicit) {
    os << (t.op ? t.op->getName().getStringRef() : StringRef("arithmetic"))
       << " in " << t.type << " (which rounds its result to " << t.type
       << ")";
    if (t.op)
      os << " at " << t.op->getLoc();
  } else {
    os << "a narrowing cast to " << t.type;
  }
  return text;
}


//===----------------------------------------------------------------------===//
// Shapes and values
//===----------------------------------------------------------------------===//

RankedTensorType getFloatTensorType(Value v) {
  auto type = dyn_cast<RankedTensorType>(v.getType());
  if (!type || !isa<Float32Type, Float16Type, BFloat16Type>(
                   type.getElementType()))
    return {};
  return type;
}

uint64_t dimMask(unsigned begin, unsigned end) {
  uint64_t m = 0;
  for (unsigned d = begin; d < end; ++d)
    m |= uint64_t(1) << d;
  return m;
}

/// If `map` reads a tensor of `type` at the dims [begin, end) of the
/// context, in order, with every other dim of the tensor a unit dim read at
/// 0, returns the tensor's shape without those unit dims.
std::optional<SmallVector<int64_t>>
getProjectedShape(AffineMap map, ShapedType type, unsigned begin,
                  unsigned end, ArrayRef<int64_t> contextShape = {}) {
  SmallVector<int64_t> shape;
  unsigned next = begin;
  // A context dim of size 1 may be absent (one index: a rank-0 rstd of a
  // 1x1xN norm after linalg-fold-unit-extent-dims).
  auto skipUnit = [&](unsigned upTo) {
    while (next < upTo && next < contextShape.size() &&
           contextShape[next] == 1)
      ++next;
  };
  for (auto [i, e] : llvm::enumerate(map.getResults())) {
    if (auto c = dyn_cast<AffineConstantExpr>(e)) {
      if (c.getValue() != 0 || type.getDimSize(i) != 1)
        return std::nullopt;
      continue;
    }
    auto d = dyn_cast<AffineDimExpr>(e);
    if (d && d.getPosition() > next && d.getPosition() < end)
      skipUnit(d.getPosition());
    if (!d || d.getPosition() != next++)
      return std::nullopt;
    shape.push_back(type.getDimSize(i));
  }
  skipUnit(end);
  if (next != end)
    return std::nullopt;
  return shape;
}

/// `value` reshaped (unit dims only) to `shape`.
Value reshapeTo(OpBuilder &b, Location loc, Value value,
                ArrayRef<int64_t> shape) {
  auto type = cast<RankedTensorType>(value.getType());
  if (type.getShape() == shape)
    return value;
  auto target = RankedTensorType::get(shape, type.getElementType());
  // Reuse an identical reshape before this point, so that ops raised from
  // the same values get the same operands (and gradients merge).
  Block *block = b.getInsertionBlock();
  for (Operation *user : value.getUsers())
    if (isa<tensor::CollapseShapeOp, tensor::ExpandShapeOp>(user) &&
        user->getResult(0).getType() == target &&
        user->getBlock() == block && b.getInsertionPoint() != block->end() &&
        user->isBeforeInBlock(&*b.getInsertionPoint()))
      return user->getResult(0);
  if (target.getRank() == 0 || type.getRank() == 0) {
    SmallVector<ReassociationIndices> none;
    if (type.getRank() > 0)
      return tensor::CollapseShapeOp::create(b, loc, target, value, none);
    return tensor::ExpandShapeOp::create(b, loc, target, value, none);
  }
  std::optional<SmallVector<ReassociationIndices>> reassoc =
      type.getRank() > target.getRank()
          ? getReassociationIndicesForReshape(type, target)
          : getReassociationIndicesForReshape(target, type);
  assert(reassoc && "unit-dim reshape");
  if (type.getRank() > target.getRank())
    return tensor::CollapseShapeOp::create(b, loc, target, value, *reassoc);
  return tensor::ExpandShapeOp::create(b, loc, target, value, *reassoc);
}

/// tensor.empty with the sizes of `like`'s dims [begin, end).
Value emptyOf(OpBuilder &b, Location loc, Value like, int64_t begin,
              int64_t end, Type elementType) {
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = begin; d < end; ++d)
    sizes.push_back(tensor::getMixedSize(b, loc, like, d));
  return tensor::EmptyOp::create(b, loc, sizes, elementType);
}

/// The tensor `t` reads at the context dims [begin, end) (a weight at the
/// normalized dims, a statistic at the rows), without its unit dims.
Value projectedOperand(OpBuilder &b, Location loc, const Term &t,
                       unsigned begin, unsigned end) {
  auto type = cast<ShapedType>(t.value.getType());
  return reshapeTo(b, loc, t.value,
                   *getProjectedShape(t.map, type, begin, end));
}

/// The scalar that `t` (a value read at constant indices) names, widened
/// to `type`: a runtime eps as the norm op takes it.
Value scalarOf(OpBuilder &b, Location loc, const Term &t, Type type) {
  Value v = t.value;
  if (auto tensorType = dyn_cast<RankedTensorType>(v.getType())) {
    SmallVector<Value> indices;
    for (AffineExpr e : t.map.getResults())
      indices.push_back(arith::ConstantIndexOp::create(
          b, loc, cast<AffineConstantExpr>(e).getValue()));
    v = tensor::ExtractOp::create(b, loc, v, indices);
  }
  if (v.getType() != type)
    v = arith::ExtFOp::create(b, loc, type, v);
  return v;
}

/// Runs `op`'s verifier without reporting: the message, if it fails.
std::optional<std::string> verifyQuietly(Operation *op) {
  std::string message;
  LogicalResult result = success();
  {
    ScopedDiagnosticHandler handler(op->getContext(), [&](Diagnostic &d) {
      if (message.empty())
        message = d.str();
      return success();
    });
    result = mlir::verify(op, /*verifyRecursively=*/false);
  }
  if (succeeded(result))
    return std::nullopt;
  return message;
}

/// Erases the ops created in `block` after `last` (null: from the start)
/// and before `end`, latest first: a raise that was given up.
void eraseCreated(PatternRewriter &rewriter, Block *block, Operation *last,
                  Operation *end) {
  SmallVector<Operation *> created;
  for (Operation *o = last ? last->getNextNode() : &block->front();
       o && o != end; o = o->getNextNode())
    created.push_back(o);
  for (Operation *o : llvm::reverse(created))
    rewriter.eraseOp(o);
}

std::string describe(Value v) {
  std::string s;
  llvm::raw_string_ostream os(s);
  v.printAsOperand(os, OpPrintingFlags());
  return s;
}

//===----------------------------------------------------------------------===//
// Anchors
//===----------------------------------------------------------------------===//

bool sameTerm(const Term &a, const Term &b) {
  return a.value == b.value && a.map == b.map;
}

/// Follows reads of the same value (block arguments, casts to a wider type,
/// unit-dim reshapes) from `t`.
Term peel(Term t, bool throughWidening = true) {
  for (unsigned guard = 0; guard < 32; ++guard) {
    Step s = viewStep(t);
    if (s.kind == StepKind::Identity ||
        (throughWidening && s.kind == StepKind::Ext))
      t = s.operands[0];
    else
      break;
  }
  return t;
}

/// The last tensor of `shape` met following reads of the same value and
/// widening casts from `t`; with `identityOnly`, only one read through the
/// identity map (the tensor a term reads).
Value tensorOf(Term t, ArrayRef<int64_t> shape, bool identityOnly = true) {
  Value found;
  for (unsigned guard = 0; guard < 32; ++guard) {
    auto type = dyn_cast<RankedTensorType>(t.value.getType());
    if (type && type.getShape() == shape &&
        (!identityOnly || t.map.isIdentity()))
      found = t.value;
    Step s = viewStep(t);
    if (s.kind == StepKind::Identity || s.kind == StepKind::Ext)
      t = s.operands[0];
    else
      break;
  }
  return found;
}

/// If `t` is a square, its base.
std::optional<Term> squareBase(Term t) {
  t = peel(t);
  Step s = viewStep(t);
  if (s.kind == StepKind::Mul &&
      sameTerm(peel(s.operands[0]), peel(s.operands[1])))
    return s.operands[0];
  if (s.kind == StepKind::Pow && s.constant == 2.0)
    return s.operands[0];
  return std::nullopt;
}

struct Candidate {
  bool isLayer;
  Value x;
};

/// The forward-norm candidates under `root`: each Σ of a square met within
/// a bounded walk through the steps under it. Σ x² gives an RMS norm of x,
/// Σ (x − m)² a layer norm of x.
SmallVector<Candidate>
findForwardCandidates(Value root, SmallVectorImpl<Value> *anchors = nullptr) {
  auto rootType = getFloatTensorType(root);
  SmallVector<Candidate> candidates;
  if (!rootType)
    return candidates;
  SmallVector<Term> stack;
  std::set<std::pair<void *, const void *>> seen;
  stack.push_back({root, AffineMap::getMultiDimIdentityMap(
                             rootType.getRank(), root.getContext())});
  unsigned budget = 256;
  while (!stack.empty() && budget--) {
    Term t = stack.pop_back_val();
    if (!seen.insert({t.value.getAsOpaquePointer(),
                      t.map.getAsOpaquePointer()})
             .second)
      continue;
    Step s = viewStep(t);
    if (s.kind == StepKind::Sum) {
      if (std::optional<Term> base = squareBase(s.operands[0])) {
        Term b = peel(*base);
        Step bs = viewStep(b);
        bool isLayer = bs.kind == StepKind::Sub;
        Term xTerm = isLayer ? bs.operands[0] : b;
        // x is read at every point of the root's rows: find it as a tensor
        // of the root's shape.
        if (Value x = tensorOf(xTerm, rootType.getShape()))
          candidates.push_back({isLayer, x});
        else if (auto type = dyn_cast<RankedTensorType>(
                     peel(xTerm).value.getType());
                 type && type.getShape() == rootType.getShape())
          candidates.push_back({isLayer, peel(xTerm).value});
        // x made by a linalg op (an embedding gather, a residual add, an
        // exp): the walk above went on into its body; x begins at the last
        // tensor of the root's shape on the way, and its producer is a leaf.
        else if (Value x = tensorOf(isLayer ? bs.operands[0] : *base,
                                    rootType.getShape(),
                                    /*identityOnly=*/false))
          candidates.push_back({isLayer, x});
        if (anchors)
          anchors->push_back(t.value);
      }
      continue; // A norm's anchor is not nested in another sum.
    }
    for (const Term &operand : s.operands)
      stack.push_back(operand);
  }
  return candidates;
}

//===----------------------------------------------------------------------===//
// Forward
//===----------------------------------------------------------------------===//

struct ForwardMatch {
  bool isLayer = false;
  Value root, x;
  unsigned numNormalized = 0;
  double epsilon = 0.0;
  /// A runtime eps (then `epsilon` is unused): the value and its map.
  std::optional<Term> eps;
  std::optional<Term> gamma, beta;
  double gammaOffset = 0.0;
  RoundingMode rounding = RoundingMode::Once;
  /// Intermediates used outside the norm, replaced by the op's results.
  SmallVector<Value> rstdUses, meanUses;
  unsigned numOps = 0;
};

/// Σ over the normalized (trailing `k`) dims of `x` of `inner`, written in
/// the context of `x`'s dims plus the summed dims. `leafExt` is `x` read in
/// that context.
struct RowSum {
  AtomId leafExt;
  SmallVector<int64_t> sizes;
  SmallVector<std::pair<Value, int64_t>> sources;
  Poly countInverse; // 1/N, exactly
};

/// The row lengths a norm of `x` may divide by: the products of its
/// trailing static dims. A constant that is one of them rounded to its type
/// is read as exactly 1/N (the one allowance, docs/Fuse.md "Soundness").
SmallVector<int64_t> rowCounts(Value x) {
  SmallVector<int64_t> counts;
  auto type = cast<RankedTensorType>(x.getType());
  int64_t n = 1;
  for (int64_t d = type.getRank() - 1; d >= 0; --d) {
    if (type.isDynamicDim(d) ||
        llvm::MulOverflow(n, type.getDimSize(d), n))
      break;
    counts.push_back(n);
  }
  return counts;
}

RowSum makeRowSum(NormalFormBuilder &b, Value x, unsigned k) {
  auto type = cast<RankedTensorType>(x.getType());
  unsigned r = type.getRank();
  MLIRContext *ctx = x.getContext();
  SmallVector<AffineExpr> exprs;
  for (unsigned d = 0; d < r - k; ++d)
    exprs.push_back(getAffineDimExpr(d, ctx));
  for (unsigned i = 0; i < k; ++i)
    exprs.push_back(getAffineDimExpr(r + i, ctx));
  RowSum s;
  s.leafExt = b.leaf(x, AffineMap::get(r + k, 0, exprs, ctx));
  Poly countInverse = Poly::constant(1);
  Value source = canonicalShapeSource(x);
  for (unsigned d = r - k; d < r; ++d) {
    s.sizes.push_back(type.getDimSize(d));
    s.sources.push_back({source, d});
    if (type.isDynamicDim(d))
      countInverse = b.mul(countInverse, Poly::atom(b.size(source, d), -1));
    else
      countInverse =
          b.scale(countInverse, Rational(1, type.getDimSize(d)));
  }
  s.countInverse = countInverse;
  return s;
}

/// Matches `root` as a forward norm of `candidate.x`. On failure, `why`
/// says which step differs.
FailureOr<ForwardMatch> matchForward(Value root, const Candidate &candidate,
                                     std::string &why) {
  Value x = candidate.x;
  auto xType = getFloatTensorType(x);
  auto rootType = getFloatTensorType(root);
  if (!xType || !rootType || xType.getShape() != rootType.getShape()) {
    why = "the result does not have the shape of x";
    return failure();
  }
  unsigned r = xType.getRank();
  MLIRContext *ctx = root.getContext();
  NormalFormBuilder b({x});
  b.setCounts(rowCounts(x));
  FailureOr<Poly> p = b.build(root);
  if (failed(p)) {
    why = "a step has no normal form";
    return failure();
  }
  AtomId X = b.leaf(x, AffineMap::getMultiDimIdentityMap(r, ctx));

  // rstd = sqrt(u)^-1 with u the variance plus eps.
  std::set<AtomId> sqrtAtoms;
  for (const auto &[mono, c] : p->terms)
    for (auto [id, power] : mono)
      if (b.getAtom(id).kind == AtomKind::Sqrt && power == -1)
        sqrtAtoms.insert(id);
  if (sqrtAtoms.empty()) {
    why = "no 1/sqrt of a row statistic multiplies x";
    return failure();
  }
  why = "the statistic under the sqrt is not the mean square of x (or the "
        "variance) plus a constant eps";
  for (AtomId R : sqrtAtoms) {
    // A copy: b.sum below interns atoms, which may move `b`'s atom table
    // (ASan found the dangling reference).
    Poly u = b.getAtom(R).inner;
    // The number of normalized dims is the number of dims summed in u.
    unsigned k = 0;
    for (const auto &[mono, c] : u.terms)
      for (auto [id, power] : mono)
        if (b.getAtom(id).kind == AtomKind::Sum)
          k = b.getAtom(id).reducedSizes.size();
    if (k == 0 || k > r)
      continue;
    RowSum rs = makeRowSum(b, x, k);
    Poly sumSq = b.sum(Poly::atom(rs.leafExt, 2), r, rs.sizes, rs.sources);
    Poly sum = b.sum(Poly::atom(rs.leafExt), r, rs.sizes, rs.sources);
    Poly mean, var;
    if (candidate.isLayer) {
      mean = b.mul(sum, rs.countInverse);
      var = b.sub(b.mul(sumSq, rs.countInverse), b.mul(mean, mean));
    } else {
      var = b.mul(sumSq, rs.countInverse);
    }
    Poly epsPoly = b.sub(u, var);
    Rational epsValue;
    std::optional<Monomial> epsMono = epsPoly.singleMonomial(&epsValue);
    // A runtime eps: one value (a scalar, or a tensor read at a constant
    // index) that no row or column index changes, added once.
    std::optional<Term> epsTerm;
    std::string epsWhy = "eps is a runtime expression, not one runtime value "
                         "added once (norm ops take a scalar eps)";
    if (epsMono && epsMono->size() == 1 && (*epsMono)[0].second == 1 &&
        epsValue == Rational(1)) {
      const Atom &a = b.getAtom((*epsMono)[0].first);
      // Only a leaf has a value (a Σ or sqrt atom is an expression).
      auto ft = a.kind == AtomKind::Leaf
                    ? dyn_cast<FloatType>(getElementTypeOrSelf(a.value.getType()))
                    : FloatType();
      if (ft && a.deps == 0 && ft.getWidth() > 32)
        epsWhy = "eps is a runtime " +
                 std::string(ft.isF64() ? "f64" : "wide float") +
                 " value; the op's eps operand is f32";
      else if (ft && a.deps == 0 &&
               llvm::all_of(a.map.getResults(), [](AffineExpr e) {
                 return isa<AffineConstantExpr>(e);
               }))
        epsTerm = Term{a.value, a.map};
    }
    if (!epsTerm && (!epsMono || !epsMono->empty())) {
      if (epsPoly.isZero())
        why = "eps is 0 or missing under the sqrt";
      else if (b.deps(epsPoly) == 0)
        why = epsWhy;
      continue;
    }
    if (!epsTerm && epsValue.sign() <= 0) {
      why = "eps is not positive";
      continue;
    }
    // eps as written, should it be a rounded 1/N read as 1/N.
    // (With a runtime eps the attribute keeps its default, as the op asks.)
    MLIRContext *ctx = root.getContext();
    double eps = epsTerm ? (candidate.isLayer
                                ? getDefaultEpsilon<LayerNormOp>(ctx)
                                : getDefaultEpsilon<RmsNormOp>(ctx))
                         : b.asWritten(epsValue).value_or(epsValue).toDouble();
    // An f32 constant: keep the decimal the frontend wrote (1e-6, not
    // 9.99999997e-07); the op rounds eps to its accumulation type anyway.
    if (static_cast<double>(static_cast<float>(eps)) == eps) {
      for (int digits = 1; digits <= 9; ++digits) {
        char text[32];
        std::snprintf(text, sizeof(text), "%.*e", digits - 1, eps);
        double shortest = std::strtod(text, nullptr);
        if (static_cast<float>(shortest) == static_cast<float>(eps)) {
          eps = shortest;
          break;
        }
      }
    }

    // y = x̂ · G + B with x̂ = (x − mean) · rstd.
    Poly xhat = b.mul(candidate.isLayer ? b.sub(Poly::atom(X), mean)
                                        : Poly::atom(X),
                      Poly::atom(R, -1));
    Poly g;
    for (const auto &[mono, c] : p->terms) {
      auto has = [&](AtomId id, int power) {
        return llvm::is_contained(mono, std::make_pair(id, power));
      };
      if (!has(X, 1) || !has(R, -1))
        continue;
      Monomial rest;
      for (auto e : mono)
        if (e != std::make_pair(X, 1) && e != std::make_pair(R, -1))
          rest.push_back(e);
      Poly t;
      t.terms[rest] = c;
      g = b.add(g, t);
    }
    uint64_t cols = dimMask(r - k, r);
    if (g.isZero() || (b.deps(g) & ~cols)) {
      why = "x · rstd is not scaled by a per-column weight";
      continue;
    }
    Poly rest = b.sub(*p, b.mul(xhat, g));
    if (b.deps(rest) & ~cols) {
      why = "y is not (x − mean) · rstd · weight + bias";
      continue;
    }
    ForwardMatch m;
    m.isLayer = candidate.isLayer;
    m.root = root;
    m.x = x;
    m.numNormalized = k;
    m.epsilon = eps;
    m.eps = epsTerm;
    // G = γ + offset, γ or 1.
    auto colLeaf = [&](const Monomial &mono) -> std::optional<Term> {
      if (mono.size() != 1 || mono[0].second != 1)
        return std::nullopt;
      const Atom &a = b.getAtom(mono[0].first);
      if (a.kind != AtomKind::Leaf ||
          !getProjectedShape(a.map, cast<ShapedType>(a.value.getType()),
                             r - k, r))
        return std::nullopt;
      return Term{a.value, a.map};
    };
    bool ok = true;
    Rational gammaOffset;
    for (const auto &[mono, c] : g.terms) {
      if (mono.empty()) {
        gammaOffset = c;
      } else if (std::optional<Term> leafTerm = colLeaf(mono);
                 leafTerm && c == Rational(1) && !m.gamma) {
        m.gamma = leafTerm;
      } else {
        ok = false;
      }
    }
    // Exactly 1 without γ (0.9999995 is not 1).
    if (!m.gamma && gammaOffset == Rational(1))
      gammaOffset = Rational(0);
    else if (!m.gamma)
      ok = false;
    if (!ok) {
      why = "the weight is not γ, γ + offset or 1";
      continue;
    }
    m.gammaOffset = gammaOffset.toDouble();
    if (!rest.isZero()) {
      Rational c;
      std::optional<Monomial> mono = rest.singleMonomial(&c);
      if (!mono || c != Rational(1) || !(m.beta = colLeaf(*mono))) {
        why = "the bias is not a per-column tensor";
        continue;
      }
    }

    // Rounding: the op models two narrowing casts, y rounded to its type at
    // the end, and x̂ rounded to x's type before the weight multiply
    // (`rounding = before_gamma`). Any other (x̂ or y rounded through f16
    // and back in an f32 norm, a statistic narrowed) changes the numbers
    // in a way the op does not reproduce.
    bool otherTrunc = false;
    for (const NormalFormBuilder::Rounding &t : b.getTruncs()) {
      if (t.type == rootType.getElementType() && b.equal(t.input, *p))
        continue;
      if (m.gamma && t.type == xType.getElementType() &&
          b.equal(t.input, xhat)) {
        m.rounding = RoundingMode::BeforeGamma;
        continue;
      }
      if (!otherTrunc)
        why = describeRounding(t) +
              " is not a rounding the op models (y to its type, or x̂ to "
              "x's type before γ)";
      otherTrunc = true;
    }
    if (otherTrunc)
      continue;

    // Intermediates used outside: only rstd and mean can be returned.
    Poly rstdPoly = Poly::atom(R, -1);
    llvm::SmallPtrSet<Operation *, 32> region;
    for (Operation *op : b.getExpandedOps())
      if (!isa_and_nonnull<linalg::LinalgOp>(op->getParentOp()) &&
          llvm::any_of(op->getResultTypes(),
                       [](Type t) { return isa<ShapedType>(t); }))
        region.insert(op);
    m.numOps = region.size();
    Operation *rootOp = root.getDefiningOp();
    if (!rootOp || !region.contains(rootOp)) {
      why = "the result is not computed by the matched ops";
      return failure();
    }
    for (Operation *op : region) {
      for (Value result : op->getResults()) {
        if (result == root)
          continue;
        bool outside = llvm::any_of(result.getUsers(), [&](Operation *user) {
          return !region.contains(user);
        });
        if (!outside)
          continue;
        auto it = b.getVisited().find(result);
        auto type = dyn_cast<RankedTensorType>(result.getType());
        bool provided = false;
        if (it != b.getVisited().end() && type && type.getElementType().isF32() &&
            getProjectedShape(it->second.map, type, 0, r - k,
                              xType.getShape())) {
          if (b.equal(it->second.poly, rstdPoly)) {
            m.rstdUses.push_back(result);
            provided = true;
          } else if (m.isLayer && b.equal(it->second.poly, mean)) {
            m.meanUses.push_back(result);
            provided = true;
          }
        }
        if (!provided) {
          why = "the intermediate " + describe(result) +
                " has a use outside the norm that the norm op cannot return";
          return failure();
        }
      }
    }
    return m;
  }
  return failure();
}

/// Matches `root` against every candidate under it.
FailureOr<ForwardMatch> matchForwardAt(Value root, std::string &why) {
  SmallVector<Candidate> candidates = findForwardCandidates(root);
  if (candidates.empty()) {
    why = "no sum of squares under it";
    return failure();
  }
  for (const Candidate &c : candidates)
    if (FailureOr<ForwardMatch> m = matchForward(root, c, why); succeeded(m))
      return m;
  return failure();
}

/// A forward norm ending at `op`'s result, unless a user of it extends the
/// same norm (then the user is the root: match the largest expression).
struct RaiseForwardNorm final : RewritePattern {
  RaiseForwardNorm(MLIRContext *ctx, bool report)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx),
        report(report) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (op->getNumResults() != 1 || isa<NormOpInterface>(op) ||
        !getFloatTensorType(op->getResult(0)) ||
        isa_and_nonnull<linalg::LinalgOp>(op->getParentOp()))
      return failure();
    Value root = op->getResult(0);
    std::string why;
    FailureOr<ForwardMatch> m = matchForwardAt(root, why);
    if (failed(m))
      return rewriter.notifyMatchFailure(op, why);
    for (Operation *user : root.getUsers()) {
      if (user->getNumResults() != 1 ||
          !getFloatTensorType(user->getResult(0)))
        continue;
      std::string ignored;
      FailureOr<ForwardMatch> bigger =
          matchForward(user->getResult(0), {m->isLayer, m->x}, ignored);
      if (succeeded(bigger))
        return rewriter.notifyMatchFailure(op, "a user extends the norm");
    }
    return rewrite(*m, op, rewriter);
  }

  /// Where the norm op goes: at the root, unless rstd or mean is read
  /// before it (after linalg-fold-unit-extent-dims the keep-dim statistic
  /// is an expand_shape of the reduced one, placed before the root); then
  /// right after the last definition of x, γ and β in the root's block, so
  /// that the op dominates those reads and they read its results.
  static Operation *insertionPoint(const ForwardMatch &m, Operation *rootOp) {
    Block *block = rootOp->getBlock();
    auto readBefore = [&](ArrayRef<Value> uses) {
      for (Value v : uses)
        for (Operation *user : v.getUsers()) {
          Operation *anc = block->findAncestorOpInBlock(*user);
          if (anc && anc != rootOp && anc->isBeforeInBlock(rootOp))
            return true;
        }
      return false;
    };
    if (!readBefore(m.rstdUses) && !readBefore(m.meanUses))
      return rootOp;
    Operation *after = nullptr;
    SmallVector<Value> operands{m.x};
    if (m.gamma)
      operands.push_back(m.gamma->value);
    if (m.beta)
      operands.push_back(m.beta->value);
    if (m.eps)
      operands.push_back(m.eps->value);
    for (Value v : operands) {
      Operation *def = v.getDefiningOp();
      Operation *anc = def ? block->findAncestorOpInBlock(*def) : nullptr;
      if (anc && (!after || after->isBeforeInBlock(anc)))
        after = anc;
    }
    Operation *point = after ? after->getNextNode() : &block->front();
    return point->isBeforeInBlock(rootOp) ? point : rootOp;
  }

  LogicalResult rewrite(const ForwardMatch &m, Operation *rootOp,
                        PatternRewriter &rewriter) const {
    Location loc = rootOp->getLoc();
    Operation *point = insertionPoint(m, rootOp);
    rewriter.setInsertionPoint(point);
    // What this raise creates goes after `last`: erased if it is given up.
    Operation *last = point->getPrevNode();
    auto xType = cast<RankedTensorType>(m.x.getType());
    auto rootType = cast<RankedTensorType>(m.root.getType());
    unsigned r = xType.getRank(), k = m.numNormalized;
    Type f32 = rewriter.getF32Type();
    auto operandOf = [&](const std::optional<Term> &t) -> Value {
      return t ? projectedOperand(rewriter, loc, *t, r - k, r) : Value();
    };
    Value gamma = operandOf(m.gamma), beta = operandOf(m.beta);
    Value epsValue = m.eps ? scalarOf(rewriter, loc, *m.eps, f32) : Value();
    Value y = emptyOf(rewriter, loc, m.x, 0, r, rootType.getElementType());
    Value rstd = m.rstdUses.empty() ? Value()
                                    : emptyOf(rewriter, loc, m.x, 0, r - k, f32);
    Value mean = m.meanUses.empty()
                     ? Value()
                     : emptyOf(rewriter, loc, m.x, 0, r - k, f32);
    SmallVector<Type> types{rootType};
    if (mean)
      types.push_back(mean.getType());
    if (rstd)
      types.push_back(rstd.getType());
    Operation *normOp;
    Value meanResult, rstdResult;
    if (m.isLayer) {
      auto op = LayerNormOp::create(
          rewriter, loc, types, m.x, gamma, beta, /*residual=*/Value(),
          epsValue, y, mean, rstd, /*residual_out=*/Value(), r - k,
          APFloat(m.epsilon), APFloat(m.gammaOffset), TypeAttr(),
          m.rounding);
      normOp = op;
      unsigned next = 1;
      if (mean)
        meanResult = op->getResult(next++);
      if (rstd)
        rstdResult = op->getResult(next++);
    } else {
      auto op = RmsNormOp::create(rewriter, loc, types, m.x, gamma, beta,
                                  /*residual=*/Value(), epsValue, y, rstd,
                                  /*residual_out=*/Value(), r - k,
                                  APFloat(m.epsilon), APFloat(m.gammaOffset),
                                  TypeAttr(), m.rounding);
      normOp = op;
      if (rstd)
        rstdResult = op->getResult(1);
    }
    // Never emit invalid IR: an op its own verifier rejects is not raised.
    if (std::optional<std::string> error = verifyQuietly(normOp)) {
      eraseCreated(rewriter, rootOp->getBlock(), last, point);
      if (report)
        rootOp->emitRemark() << "not raised: the norm op would not verify: "
                             << *error;
      return failure();
    }
    // rstd and mean read by others: only uses the norm op dominates read
    // its results; earlier ones keep the value as written (and so the ops
    // computing it).
    DominanceInfo dom;
    auto replaceOutside = [&](ArrayRef<Value> uses, Value result) {
      for (Value value : uses) {
        auto type = cast<RankedTensorType>(value.getType());
        Value v = reshapeTo(rewriter, loc, result, type.getShape());
        rewriter.replaceUsesWithIf(value, v, [&](OpOperand &use) {
          return use.getOwner() != v.getDefiningOp() &&
                 dom.properlyDominates(normOp, use.getOwner());
        });
      }
    };
    replaceOutside(m.rstdUses, rstdResult);
    replaceOutside(m.meanUses, meanResult);
    if (report)
      normOp->emitRemark() << "raised " << m.numOps << " ops into "
                           << normOp->getName();
    rewriter.replaceOp(rootOp, normOp->getResult(0));
    return success();
  }

  bool report;
};

//===----------------------------------------------------------------------===//
// Residual
//===----------------------------------------------------------------------===//

/// h = a + b (rounded to h's type) with a, b of h's type and shape.
std::optional<std::pair<Value, Value>> matchResidualAdd(Value h) {
  auto type = getFloatTensorType(h);
  if (!type)
    return std::nullopt;
  Term t{h, AffineMap::getMultiDimIdentityMap(type.getRank(), h.getContext())};
  // Through the body of a generic: trunc(ext(a) + ext(b)) rounds like a + b.
  Term inner = peel(t, /*throughWidening=*/false);
  Step s = viewStep(inner);
  if (s.kind == StepKind::Trunc && s.type == type.getElementType()) {
    inner = peel(s.operands[0], false);
    s = viewStep(inner);
  }
  if (s.kind != StepKind::Add)
    return std::nullopt;
  Value a = tensorOf(s.operands[0], type.getShape());
  Value b = tensorOf(s.operands[1], type.getShape());
  if (!a || !b || a.getType() != type || b.getType() != type)
    return std::nullopt;
  // The residual is read with h's shape: a and b must provably have it at
  // run time (a tosa.add of two ?x64 tensors may broadcast either).
  if (!provablySameShape(a, h) || !provablySameShape(b, h))
    return std::nullopt;
  // Only what the add reads: every op between h and a, b is an elementwise
  // read of them (no other inputs).
  NormalFormBuilder builder({a, b});
  FailureOr<Poly> p = builder.build(h);
  if (failed(p))
    return std::nullopt;
  Poly expected = builder.add(
      Poly::atom(builder.leaf(a, t.map)), Poly::atom(builder.leaf(b, t.map)));
  if (!builder.equal(*p, expected))
    return std::nullopt;
  return std::make_pair(a, b);
}

template <typename OpTy>
struct FuseResidualAdd final : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (op.getResidual())
      return rewriter.notifyMatchFailure(op, "already has a residual");
    Value h = op.getX();
    Operation *add = h.getDefiningOp();
    if (!add || add->getNumResults() != 1)
      return rewriter.notifyMatchFailure(op, "x is not an add");
    std::optional<std::pair<Value, Value>> ab = matchResidualAdd(h);
    if (!ab)
      return rewriter.notifyMatchFailure(op, "x is not a same-type add");
    // Sizes of h are sizes of a (same type): read them there, so that the
    // add is not kept alive for a tensor.dim (the raise sizes y's init so).
    for (OpOperand &use : llvm::make_early_inc_range(h.getUses()))
      if (isa<tensor::DimOp>(use.getOwner()))
        rewriter.modifyOpInPlace(use.getOwner(),
                                 [&] { use.set(ab->first); });
    bool otherUses = llvm::any_of(h.getUsers(), [&](Operation *user) {
      return user != op.getOperation();
    });
    Location loc = op.getLoc();
    rewriter.setInsertionPoint(op);
    Value residualOut;
    SmallVector<Type> types(op->getResultTypes());
    if (otherUses) {
      // Sized from the add's operand, not from h: a tensor.dim of h here,
      // before the norm op, would keep the add alive.
      auto hType = cast<ShapedType>(h.getType());
      residualOut = emptyOf(rewriter, loc, ab->first, 0, hType.getRank(),
                            hType.getElementType());
      types.push_back(h.getType());
    }
    OpTy newOp;
    if constexpr (std::is_same_v<OpTy, RmsNormOp>)
      newOp = RmsNormOp::create(
          rewriter, loc, types, ab->first, op.getGamma(), op.getBeta(),
          ab->second, op.getEps(), op.getY(), op.getRstd(), residualOut,
          op.getAxisAttr(),
          op.getEpsilonAttr(), op.getGammaOffsetAttr(), op.getAccTypeAttr(),
          op.getRoundingAttr());
    else
      newOp = LayerNormOp::create(
          rewriter, loc, types, ab->first, op.getGamma(), op.getBeta(),
          ab->second, op.getEps(), op.getY(), op.getMean(), op.getRstd(),
          residualOut,
          op.getAxisAttr(), op.getEpsilonAttr(), op.getGammaOffsetAttr(),
          op.getAccTypeAttr(), op.getRoundingAttr());
    SmallVector<Value> results(
        newOp->getResults().take_front(op->getNumResults()));
    // Uses of h after the norm op read residual_out; any before it (which
    // residual_out cannot reach) keep the add.
    if (otherUses)
      rewriter.replaceUsesWithIf(
          h, newOp->getResults().back(), [&](OpOperand &use) {
            if (use.getOwner() == op.getOperation())
              return false;
            Operation *user =
                newOp->getBlock()->findAncestorOpInBlock(*use.getOwner());
            return user && newOp->isBeforeInBlock(user);
          });
    rewriter.replaceOp(op, results);
    return success();
  }
};


//===----------------------------------------------------------------------===//
// Backward
//===----------------------------------------------------------------------===//

/// Which gradient a root computes.
enum class GradKind { Dx, Dgamma, Dbeta };

struct GradMatch {
  bool isLayer = false;
  GradKind kind = GradKind::Dx;
  Value root, dy, x;
  unsigned numNormalized = 0;
  Term rstd, mean;
  std::optional<Term> gamma;
  double gammaOffset = 0.0;
  /// Context dims of `rstd`/`mean` terms and which of them are the rows.
  unsigned statsBegin = 0, statsEnd = 0;
};

/// The tensors multiplied together in `t` (through products, differences
/// and reads), the candidates for dy and x.
void collectFactors(Term t, SmallVectorImpl<Value> &out, unsigned depth = 0) {
  if (depth > 12)
    return;
  t = peel(t);
  Step s = viewStep(t);
  if (s.kind == StepKind::Mul || s.kind == StepKind::Sub ||
      s.kind == StepKind::Add) {
    for (const Term &operand : s.operands)
      collectFactors(operand, out, depth + 1);
    return;
  }
  if (s.kind == StepKind::Neg) {
    collectFactors(s.operands[0], out, depth + 1);
    return;
  }
  if (isa<RankedTensorType>(t.value.getType()) &&
      !llvm::is_contained(out, t.value))
    out.push_back(t.value);
}

/// The sums under `root` and, for each, the tensors multiplied in it.
SmallVector<Value> findGradientFactors(Value root) {
  SmallVector<Value> factors;
  auto type = getFloatTensorType(root);
  if (!type)
    return factors;
  SmallVector<Term> stack{{root, AffineMap::getMultiDimIdentityMap(
                                     type.getRank(), root.getContext())}};
  std::set<std::pair<void *, const void *>> seen;
  unsigned budget = 256;
  while (!stack.empty() && budget--) {
    Term t = stack.pop_back_val();
    if (!seen.insert({t.value.getAsOpaquePointer(),
                      t.map.getAsOpaquePointer()})
             .second)
      continue;
    Step s = viewStep(t);
    if (s.kind == StepKind::Sum) {
      collectFactors(s.operands[0], factors);
      continue;
    }
    for (const Term &operand : s.operands)
      stack.push_back(operand);
  }
  // dy and x have the largest rank of the factors.
  int64_t rank = 0;
  for (Value v : factors)
    rank = std::max(rank, cast<RankedTensorType>(v.getType()).getRank());
  llvm::erase_if(factors, [&](Value v) {
    return cast<RankedTensorType>(v.getType()).getRank() != rank ||
           !getFloatTensorType(v);
  });
  if (factors.size() > 4)
    factors.resize(4);
  return factors;
}

/// Splits monomial `m` into its factors that depend only on `mask` dims and
/// the rest.
std::pair<Monomial, Monomial> splitBy(const NormalFormBuilder &b,
                                      const Monomial &m, uint64_t mask) {
  Monomial in, out;
  for (auto e : m)
    ((b.getAtom(e.first).deps & ~mask) == 0 ? in : out).push_back(e);
  return {in, out};
}

/// Whether the only narrowing casts met are the rounding of the root itself
/// to its type (the op computes in f32 and rounds once at the end).
bool onlyFinalRounding(const NormalFormBuilder &b, const Poly &p,
                       Type rootElementType, std::string &why) {
  for (const NormalFormBuilder::Rounding &t : b.getTruncs())
    if (t.type != rootElementType || !b.equal(t.input, p)) {
      why = describeRounding(t) +
            " inside the gradient is not a rounding the op models";
      return false;
    }
  return true;
}

Poly monomialPoly(const Monomial &m, Rational c = Rational(1)) {
  Poly p;
  p.terms[m] = c;
  return p;
}

/// The statistics of a gradient as values: `r` (and `m`) are normal forms
/// in a context whose dims [begin, end) are the rows.
std::optional<Term> statValue(const NormalFormBuilder &b, const Poly &p,
                              unsigned begin, unsigned end) {
  std::optional<Term> t = b.representative(p);
  if (!t)
    return std::nullopt;
  auto type = cast<ShapedType>(t->value.getType());
  if (!type.getElementType().isF32() ||
      !getProjectedShape(t->map, type, begin, end))
    return std::nullopt;
  return t;
}

/// dgamma = Σ_rows dy · x̂ or dbeta = Σ_rows dy, the root having the
/// normalized shape (unit dims allowed).
FailureOr<GradMatch> matchWeightGrad(Value root, Value dy, Value x,
                                     bool isLayer, std::string &why) {
  auto rootType = getFloatTensorType(root);
  auto xType = getFloatTensorType(x);
  if (!rootType || !xType || cast<ShapedType>(dy.getType()).getShape() !=
                                 xType.getShape())
    return failure();
  MLIRContext *ctx = root.getContext();
  unsigned rho = rootType.getRank(), r = xType.getRank();
  NormalFormBuilder b({dy, x});
  FailureOr<Poly> p = b.build(root);
  if (failed(p) ||
      !onlyFinalRounding(b, *p, rootType.getElementType(), why))
    return failure();
  // P = Σ_rows(...): one Σ atom (rms; dbeta) or two (layer dgamma).
  GradMatch m;
  m.root = root;
  m.dy = dy;
  m.x = x;
  m.isLayer = isLayer;
  for (const auto &[mono, c] : p->terms) {
    if (mono.size() != 1 || mono[0].second != 1 ||
        b.getAtom(mono[0].first).kind != AtomKind::Sum)
      return failure();
  }
  Atom first = b.getAtom(p->terms.begin()->first[0].first);
  unsigned numRows = first.reducedSizes.size();
  if (numRows == 0 || numRows >= r)
    return failure();
  unsigned k = r - numRows;
  // The root reads the normalized dims: rho dims of which k are not unit.
  SmallVector<unsigned> colDims;
  for (unsigned d = 0; d < rho; ++d)
    if (rootType.getDimSize(d) != 1 || rho == k)
      colDims.push_back(d);
  if (colDims.size() != k)
    return failure();
  // dy and x read in the Σ's context: rows are the summed dims.
  unsigned n = rho + numRows;
  SmallVector<AffineExpr> exprs;
  for (unsigned i = 0; i < numRows; ++i)
    exprs.push_back(getAffineDimExpr(rho + i, ctx));
  for (unsigned d : colDims)
    exprs.push_back(getAffineDimExpr(d, ctx));
  AffineMap readMap = AffineMap::get(n, 0, exprs, ctx);
  AtomId DY = b.leaf(dy, readMap), X = b.leaf(x, readMap);
  uint64_t rowMask = dimMask(rho, n);
  SmallVector<int64_t> sizes;
  SmallVector<std::pair<Value, int64_t>> sources;
  for (unsigned i = 0; i < numRows; ++i) {
    sizes.push_back(xType.getDimSize(i));
    sources.push_back({canonicalShapeSource(x), i});
  }
  auto sumRows = [&](const Poly &inner) {
    return b.sum(inner, rho, sizes, sources);
  };
  // dbeta = Σ dy.
  if (b.equal(*p, sumRows(Poly::atom(DY)))) {
    // dbeta does not say which x and statistics: the caller takes them
    // from a dx or dgamma of the same dy.
    m.kind = GradKind::Dbeta;
    m.numNormalized = k;
    m.x = Value();
    return m;
  }
  // dgamma = Σ dy · (x − mean) · rstd: find rstd (and mean) in the inner
  // monomial that has dy · x.
  const Atom &sumAtom = first; // A copy: building atoms moves the table.
  for (const auto &[mono, c] : sumAtom.inner.terms) {
    if (!llvm::is_contained(mono, std::make_pair(DY, 1)) ||
        !llvm::is_contained(mono, std::make_pair(X, 1)))
      continue;
    Monomial rest;
    for (auto e : mono)
      if (e != std::make_pair(DY, 1) && e != std::make_pair(X, 1))
        rest.push_back(e);
    Poly rstd = monomialPoly(rest, c);
    if (b.deps(rstd) & ~rowMask)
      continue;
    SmallVector<Poly> means;
    if (isLayer) {
      // mean: a row atom in the other Σ, or Σ x / N over the columns.
      for (const auto &[mono2, c2] : p->terms)
        for (const auto &[inner, ic] : b.getAtom(mono2[0].first).inner.terms)
          if (!llvm::is_contained(inner, std::make_pair(X, 1)))
            for (auto e : inner)
              if (e.first != DY && !llvm::is_contained(rest, e))
                means.push_back(Poly::atom(e.first, e.second));
    } else {
      means.push_back(Poly());
    }
    for (const Poly &mean : means) {
      Poly xhat = b.mul(b.sub(Poly::atom(X), mean), rstd);
      if (!b.equal(*p, sumRows(b.mul(Poly::atom(DY), xhat))))
        continue;
      std::optional<Term> rstdValue = statValue(b, rstd, rho, n);
      std::optional<Term> meanValue =
          isLayer ? statValue(b, mean, rho, n) : std::optional<Term>();
      if (!rstdValue || (isLayer && !meanValue)) {
        why = "rstd (or mean) is not available as a tensor";
        continue;
      }
      m.kind = GradKind::Dgamma;
      m.numNormalized = k;
      m.rstd = *rstdValue;
      if (meanValue)
        m.mean = *meanValue;
      m.statsBegin = rho;
      m.statsEnd = n;
      return m;
    }
  }
  why = "not Σ_rows dy · x̂";
  return failure();
}

/// dx = rstd · (g − mean(g) − x̂ · mean(g · x̂)), g = dy · (γ + offset).
FailureOr<GradMatch> matchDx(Value root, Value dy, Value x, bool isLayer,
                             std::string &why) {
  auto rootType = getFloatTensorType(root);
  auto xType = getFloatTensorType(x);
  if (!rootType || !xType || rootType != xType ||
      cast<ShapedType>(dy.getType()).getShape() != xType.getShape())
    return failure();
  MLIRContext *ctx = root.getContext();
  unsigned r = xType.getRank();
  NormalFormBuilder b({dy, x});
  b.setCounts(rowCounts(x));
  FailureOr<Poly> p = b.build(root);
  if (failed(p))
    return failure();
  AffineMap id = AffineMap::getMultiDimIdentityMap(r, ctx);
  AtomId DY = b.leaf(dy, id), X = b.leaf(x, id);
  // k: the dims summed by the Σ atoms of dx.
  unsigned k = 0;
  for (const auto &[mono, c] : p->terms)
    for (auto [atomId, power] : mono)
      if (b.getAtom(atomId).kind == AtomKind::Sum)
        k = b.getAtom(atomId).reducedSizes.size();
  if (k == 0 || k >= r)
    return failure();
  uint64_t rows = dimMask(0, r - k), cols = dimMask(r - k, r);
  // rstd · G: the part of dx linear in dy alone.
  Poly q;
  for (const auto &[mono, c] : p->terms) {
    if (!llvm::is_contained(mono, std::make_pair(DY, 1)) ||
        llvm::any_of(mono, [&](auto e) {
          return e.first == X ||
                 b.getAtom(e.first).kind == AtomKind::Sum;
        }))
      continue;
    Monomial rest;
    for (auto e : mono)
      if (e != std::make_pair(DY, 1))
        rest.push_back(e);
    q = b.add(q, monomialPoly(rest, c));
  }
  if (q.isZero()) {
    why = "no rstd · dy term";
    return failure();
  }
  auto [rowPart, colPart] = splitBy(b, q.terms.begin()->first, rows);
  Poly rstd = monomialPoly(rowPart);
  Poly g = b.mul(q, b.inverse(rstd, r));
  if (b.deps(g) & ~cols) {
    why = "the weight of dy is not per column";
    return failure();
  }
  RowSum rs = makeRowSum(b, x, k);
  AtomId DYe = b.leaf(dy, b.getAtom(rs.leafExt).map);
  SmallVector<unsigned> toExt;
  for (unsigned d = 0; d < r; ++d)
    toExt.push_back(d < r - k ? d : r + (d - (r - k)));
  Poly gExt = b.remap(g, toExt, r + k);
  if (!onlyFinalRounding(b, *p, rootType.getElementType(), why))
    return failure();
  Poly gFull = b.mul(Poly::atom(DY), g);
  auto rowMean = [&](const Poly &inner) {
    return b.mul(b.sum(inner, r, rs.sizes, rs.sources), rs.countInverse);
  };
  Poly gExtFull = b.mul(Poly::atom(DYe), gExt);
  SmallVector<Poly> means;
  if (isLayer) {
    means.push_back(rowMean(Poly::atom(rs.leafExt)));
    for (const auto &[mono, c] : p->terms)
      for (auto e : mono)
        if (e.second == 1 && (b.getAtom(e.first).deps & ~rows) == 0 &&
            b.getAtom(e.first).kind != AtomKind::Sum &&
            !llvm::is_contained(rowPart, e))
          means.push_back(Poly::atom(e.first));
  } else {
    means.push_back(Poly());
  }
  for (const Poly &mean : means) {
    Poly meanExt = b.remap(mean, toExt, r + k);
    Poly xhat = b.mul(b.sub(Poly::atom(X), mean), rstd);
    Poly xhatExt = b.mul(b.sub(Poly::atom(rs.leafExt), meanExt),
                         b.remap(rstd, toExt, r + k));
    Poly inner = b.sub(gFull, b.mul(xhat, rowMean(b.mul(gExtFull, xhatExt))));
    if (isLayer)
      inner = b.sub(inner, rowMean(gExtFull));
    Poly expected = b.mul(rstd, inner);
    if (!b.equal(*p, expected))
      continue;
    GradMatch m;
    m.isLayer = isLayer;
    m.kind = GradKind::Dx;
    m.root = root;
    m.dy = dy;
    m.x = x;
    m.numNormalized = k;
    m.statsBegin = 0;
    m.statsEnd = r - k;
    std::optional<Term> rstdValue = statValue(b, rstd, 0, r - k);
    std::optional<Term> meanValue =
        isLayer ? statValue(b, mean, 0, r - k) : std::optional<Term>();
    if (!rstdValue || (isLayer && !meanValue)) {
      why = "rstd (or mean) is not available as a tensor";
      return failure();
    }
    m.rstd = *rstdValue;
    if (meanValue)
      m.mean = *meanValue;
    // g = dy · (γ + offset).
    bool ok = true;
    Rational gammaOffset;
    for (const auto &[mono, c] : g.terms) {
      if (mono.empty()) {
        gammaOffset = c;
        continue;
      }
      const Atom &a = b.getAtom(mono[0].first);
      if (mono.size() != 1 || mono[0].second != 1 || c != Rational(1) ||
          a.kind != AtomKind::Leaf ||
          !getProjectedShape(a.map, cast<ShapedType>(a.value.getType()),
                             r - k, r) || m.gamma) {
        ok = false;
        break;
      }
      m.gamma = Term{a.value, a.map};
    }
    if (!m.gamma && gammaOffset == Rational(1))
      gammaOffset = Rational(0);
    else if (!m.gamma)
      ok = false;
    if (!ok) {
      why = "the weight of dy is not γ, γ + offset or 1";
      return failure();
    }
    m.gammaOffset = gammaOffset.toDouble();
    return m;
  }
  why = "not rstd · (g − mean(g) − x̂ · mean(g · x̂))";
  return failure();
}

FailureOr<GradMatch> matchGradAt(Value root, std::string &why) {
  SmallVector<Value> factors = findGradientFactors(root);
  if (factors.size() == 1) {
    FailureOr<GradMatch> m =
        matchWeightGrad(root, factors[0], factors[0], false, why);
    if (succeeded(m) && m->kind == GradKind::Dbeta)
      return m;
  }
  if (factors.size() < 2) {
    why = "no sum of a product of dy and x under it";
    return failure();
  }
  for (Value dy : factors)
    for (Value x : factors) {
      if (dy == x)
        continue;
      for (bool isLayer : {false, true}) {
        FailureOr<GradMatch> m = matchDx(root, dy, x, isLayer, why);
        if (succeeded(m))
          return m;
        m = matchWeightGrad(root, dy, x, isLayer, why);
        if (succeeded(m))
          return m;
      }
    }
  return failure();
}

/// Creates the gradient op for one raised root: only its output.
struct RaiseNormGradient final : RewritePattern {
  RaiseNormGradient(MLIRContext *ctx, bool report)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx),
        report(report) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (isa<NormOpInterface>(op) ||
        isa_and_nonnull<linalg::LinalgOp>(op->getParentOp()))
      return failure();
    // Every result (a generic may compute dgamma and dbeta together).
    SmallVector<std::pair<Value, GradMatch>> matches;
    for (Value result : op->getResults()) {
      std::string why;
      if (!getFloatTensorType(result) || result.use_empty())
        continue;
      FailureOr<GradMatch> m = matchGradAt(result, why);
      if (succeeded(m))
        matches.push_back({result, *m});
    }
    if (matches.empty())
      return rewriter.notifyMatchFailure(op, "no gradient");
    Location loc = op->getLoc();
    rewriter.setInsertionPoint(op);
    bool changed = false;
    for (auto &[result, m] : matches) {
      // What this raise creates goes after `last`: erased if it is given up.
      Operation *last = op->getPrevNode();
      // dbeta: x and the statistics of a dx/dgamma of the same dy.
      Value x = m.x, rstd, mean;
      bool isLayer = m.isLayer;
      if (m.kind == GradKind::Dbeta) {
        const GradMatch *sibling = nullptr;
        for (auto &[other, om] : matches)
          if (om.kind != GradKind::Dbeta && om.dy == m.dy)
            sibling = &om;
        if (sibling) {
          x = sibling->x;
          isLayer = sibling->isLayer;
          rstd = statOperand(rewriter, loc, *sibling, sibling->rstd);
          if (isLayer)
            mean = statOperand(rewriter, loc, *sibling, sibling->mean);
        } else {
          for (Operation *user : m.dy.getUsers()) {
            if (auto g = dyn_cast<RmsNormGradOp>(user);
                g && g.getDy() == m.dy && g->getBlock() == op->getBlock() &&
                g->isBeforeInBlock(op)) {
              x = g.getX(), rstd = g.getRstd(), isLayer = false;
            } else if (auto g = dyn_cast<LayerNormGradOp>(user);
                       g && g.getDy() == m.dy &&
                       g->getBlock() == op->getBlock() &&
                       g->isBeforeInBlock(op)) {
              x = g.getX(), rstd = g.getRstd(), mean = g.getMean();
              isLayer = true;
            }
          }
        }
        if (!x)
          continue;
      } else {
        rstd = statOperand(rewriter, loc, m, m.rstd);
        if (isLayer)
          mean = statOperand(rewriter, loc, m, m.mean);
      }
      auto xType = cast<RankedTensorType>(x.getType());
      unsigned r = xType.getRank(), k = m.numNormalized;
      Value gamma =
          m.gamma ? projectedOperand(rewriter, loc, *m.gamma, r - k, r)
                  : Value();
      Value dx, dgamma, dbeta;
      Value init =
          m.kind == GradKind::Dx
              ? emptyOf(rewriter, loc, x, 0, r, xType.getElementType())
              : emptyOf(rewriter, loc, x, r - k, r, rewriter.getF32Type());
      (m.kind == GradKind::Dx       ? dx
       : m.kind == GradKind::Dgamma ? dgamma
                                    : dbeta) = init;
      Operation *gradOp;
      if (isLayer)
        gradOp = LayerNormGradOp::create(
            rewriter, loc, TypeRange{init.getType()}, m.dy, x, mean, rstd,
            gamma, dx, dgamma, dbeta, r - k, APFloat(m.gammaOffset),
            TypeAttr());
      else
        gradOp = RmsNormGradOp::create(
            rewriter, loc, TypeRange{init.getType()}, m.dy, x, rstd, gamma,
            dx, dgamma, dbeta, r - k, APFloat(m.gammaOffset), TypeAttr());
      Value value = gradOp->getResult(0);
      auto rootType = cast<RankedTensorType>(result.getType());
      if (m.kind != GradKind::Dx) {
        value = reshapeTo(rewriter, loc, value, rootType.getShape());
        if (rootType.getElementType() != rewriter.getF32Type())
          value = arith::TruncFOp::create(rewriter, loc, rootType, value);
      }
      // Never emit invalid IR: an op its own verifier rejects (a dbeta over
      // other rows than the gradient it joins) is not raised.
      if (std::optional<std::string> error = verifyQuietly(gradOp)) {
        eraseCreated(rewriter, op->getBlock(), last, op);
        if (report)
          op->emitRemark() << "not raised: the gradient op would not verify: "
                           << *error;
        continue;
      }
      if (report)
        gradOp->emitRemark() << "raised "
                             << (m.kind == GradKind::Dx       ? "dx"
                                 : m.kind == GradKind::Dgamma ? "dgamma"
                                                              : "dbeta")
                             << " into " << gradOp->getName();
      rewriter.replaceAllUsesWith(result, value);
      changed = true;
    }
    return success(changed);
  }

  static Value statOperand(OpBuilder &b, Location loc, const GradMatch &m,
                           const Term &t) {
    return projectedOperand(b, loc, t, m.statsBegin, m.statsEnd);
  }

  bool report;
};

/// Two gradient ops of the same dy, x and statistics with different
/// outputs become one.
template <typename OpTy>
struct MergeNormGradients final : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;

  static SmallVector<Value> stats(OpTy op) {
    if constexpr (std::is_same_v<OpTy, LayerNormGradOp>)
      return {op.getMean(), op.getRstd()};
    else
      return {op.getRstd()};
  }

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    for (Operation *user : op.getDy().getUsers()) {
      auto other = dyn_cast<OpTy>(user);
      if (!other || other == op || other->getBlock() != op->getBlock() ||
          !op->isBeforeInBlock(other) || other.getX() != op.getX() ||
          other.getDy() != op.getDy() || stats(other) != stats(op) ||
          other.getAxis() != op.getAxis())
        continue;
      if ((op.getDx() && other.getDx()) ||
          (op.getDgamma() && other.getDgamma()) ||
          (op.getDbeta() && other.getDbeta()))
        continue;
      if (op.getGamma() && other.getGamma() &&
          (op.getGamma() != other.getGamma() ||
           op.getGammaOffset() != other.getGammaOffset()))
        continue;
      OpTy withGamma = op.getGamma() ? op : other;
      Value dx = op.getDx() ? op.getDx() : other.getDx();
      Value dgamma = op.getDgamma() ? op.getDgamma() : other.getDgamma();
      Value dbeta = op.getDbeta() ? op.getDbeta() : other.getDbeta();
      // The merged op must be where all its operands dominate it and it
      // dominates every use of both ops' results: where the later one is,
      // unless a result of the earlier one is used in between (dx added to
      // a residual gradient before dgamma is computed); then where the
      // earlier one is, with the later one's inits (tensor.empty) made
      // there. Otherwise the two ops stay.
      DominanceInfo dom;
      SmallVector<Value> operands{op.getDy(), op.getX(), withGamma.getGamma()};
      llvm::append_range(operands, stats(op));
      auto usesAfter = [&](Operation *point) {
        for (OpTy old : {op, other})
          for (Operation *user : old->getUsers())
            if (user != op.getOperation() && user != other.getOperation() &&
                !dom.properlyDominates(point, user))
              return false;
        return true;
      };
      auto dominatesAll = [&](ArrayRef<Value> values, Operation *point) {
        return llvm::all_of(values, [&](Value v) {
          return !v || dom.properlyDominates(v, point);
        });
      };
      Operation *point = nullptr;
      if (usesAfter(other) && dominatesAll(operands, other) &&
          dominatesAll({dx, dgamma, dbeta}, other)) {
        point = other;
      } else if (usesAfter(op) && dominatesAll(operands, op)) {
        // Inits: op's dominate it; the later one's must be empties whose
        // sizes do.
        bool ok = true;
        for (Value v : {dx, dgamma, dbeta}) {
          if (!v || dom.properlyDominates(v, op))
            continue;
          auto empty = v.getDefiningOp<tensor::EmptyOp>();
          ok &= empty && dominatesAll(llvm::to_vector(empty->getOperands()), op);
        }
        if (ok)
          point = op;
      }
      if (!point)
        continue;
      rewriter.setInsertionPoint(point);
      auto initAt = [&](Value v) -> Value {
        if (!v || point == other.getOperation() || dom.properlyDominates(v, op))
          return v;
        return rewriter.clone(*v.getDefiningOp())->getResult(0);
      };
      Value oldDx = dx, oldDgamma = dgamma, oldDbeta = dbeta;
      dx = initAt(dx);
      dgamma = initAt(dgamma);
      dbeta = initAt(dbeta);
      SmallVector<Type> types;
      for (Value v : {dx, dgamma, dbeta})
        if (v)
          types.push_back(v.getType());
      OpTy merged;
      if constexpr (std::is_same_v<OpTy, LayerNormGradOp>)
        merged = LayerNormGradOp::create(
            rewriter, other.getLoc(), types, op.getDy(), op.getX(),
            op.getMean(), op.getRstd(), withGamma.getGamma(), dx, dgamma,
            dbeta, op.getAxisAttr(), withGamma.getGammaOffsetAttr(),
            op.getAccTypeAttr());
      else
        merged = RmsNormGradOp::create(
            rewriter, other.getLoc(), types, op.getDy(), op.getX(),
            op.getRstd(), withGamma.getGamma(), dx, dgamma, dbeta,
            op.getAxisAttr(), withGamma.getGammaOffsetAttr(),
            op.getAccTypeAttr());
      // Results in order dx, dgamma, dbeta; map each old result.
      auto resultFor = [&](OpTy old) {
        SmallVector<Value> values;
        unsigned next = 0;
        for (auto [v, before] :
             {std::pair(dx, oldDx), std::pair(dgamma, oldDgamma),
              std::pair(dbeta, oldDbeta)}) {
          if (!v)
            continue;
          Value oldInit = v == dx ? old.getDx()
                          : v == dgamma ? old.getDgamma()
                                        : old.getDbeta();
          if (oldInit == before)
            values.push_back(merged->getResult(next));
          ++next;
        }
        return values;
      };
      rewriter.replaceOp(op, resultFor(op));
      rewriter.replaceOp(other, resultFor(other));
      return success();
    }
    return failure();
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// Pass
//===----------------------------------------------------------------------===//

namespace {
struct NormFusePass final : norm::impl::NormFusePassBase<NormFusePass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateNormFusePatterns(patterns, report);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
    // Never hand on invalid IR, even where the caller runs without the
    // verifier: the whole result is checked, dominance included.
    if (failed(verify(getOperation()))) {
      getOperation()->emitError()
          << "norm-fuse built IR that does not verify (a bug: please report "
             "it with this input)";
      return signalPassFailure();
    }
    if (report)
      reportNearMisses();
  }

  /// A remark on every sqrt of a reduction that is still there, saying why
  /// the expression above it is not a norm.
  void reportNearMisses() {
    // Σx² / Σ(x−m)² anchors a remark at a root already accounts for.
    llvm::DenseSet<Value> explained;
    getOperation()->walk([&](Operation *op) {
      if (op->getNumResults() != 1 || !getFloatTensorType(op->getResult(0)) ||
          isa_and_nonnull<linalg::LinalgOp>(op->getParentOp()))
        return;
      SmallVector<Candidate> candidates =
          findForwardCandidates(op->getResult(0));
      if (candidates.empty())
        return;
      // Report at the last op reading the candidate: one whose users are
      // not elementwise steps of the same expression.
      for (Operation *user : op->getResult(0).getUsers())
        if (user->getNumResults() == 1 &&
            getFloatTensorType(user->getResult(0)) &&
            !findForwardCandidates(user->getResult(0)).empty())
          return;
      std::string why;
      if (succeeded(matchForwardAt(op->getResult(0), why)))
        return;
      SmallVector<Value> anchors;
      (void)findForwardCandidates(op->getResult(0), &anchors);
      explained.insert(anchors.begin(), anchors.end());
      op->emitRemark() << "not raised: " << why;
    });
    // Every other anchor still here gets an answer too: no root above it
    // names a candidate x (its square's base is not a tensor of the shape
    // the expression returns).
    getOperation()->walk([&](Operation *op) {
      if (op->getNumResults() != 1 || explained.contains(op->getResult(0)) ||
          isa_and_nonnull<linalg::LinalgOp>(op->getParentOp()))
        return;
      auto type = dyn_cast<RankedTensorType>(op->getResult(0).getType());
      if (!type)
        return;
      Term t{op->getResult(0),
             AffineMap::getMultiDimIdentityMap(type.getRank(), op->getContext())};
      Step s = viewStep(t);
      if (s.kind != StepKind::Sum || !squareBase(s.operands[0]))
        return;
      op->emitRemark() << "not raised: this sum of squares is not the "
                          "statistic of a norm that any expression using it "
                          "computes (no result of x's shape normalizes x by "
                          "it)";
    });
  }
};
} // namespace

void mlir::norm::populateNormRaiseForwardPatterns(RewritePatternSet &patterns,
                                                  bool report) {
  patterns.add<RaiseForwardNorm>(patterns.getContext(), report);
}

void mlir::norm::populateNormFuseResidualPatterns(RewritePatternSet &patterns) {
  patterns.add<FuseResidualAdd<RmsNormOp>, FuseResidualAdd<LayerNormOp>>(
      patterns.getContext());
}

void mlir::norm::populateNormRaiseGradientPatterns(RewritePatternSet &patterns,
                                                   bool report) {
  patterns.add<RaiseNormGradient>(patterns.getContext(), report);
  patterns.add<MergeNormGradients<RmsNormGradOp>,
               MergeNormGradients<LayerNormGradOp>>(patterns.getContext());
}

void mlir::norm::populateNormFusePatterns(RewritePatternSet &patterns,
                                          bool report) {
  populateNormRaiseForwardPatterns(patterns, report);
  populateNormRaiseGradientPatterns(patterns, report);
  populateNormFuseResidualPatterns(patterns);
}
