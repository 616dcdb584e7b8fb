//===- NormOps.cpp - norm dialect ops ---------------------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Verifiers, shape reification, memory effects and canonicalizations of the
// eight norm ops. The ops share one operand vocabulary (x-shaped, per-row,
// per-column), so one checker class serves all verifiers and every message
// names the operand it is about.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/IR/NormOps.h"

#include "llvm/Support/CheckedArithmetic.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace mlir::norm;

//===----------------------------------------------------------------------===//
// Verification helpers
//===----------------------------------------------------------------------===//

namespace {

/// Prints a shape as `4x?x64` (`scalar` for rank 0).
std::string formatShape(ArrayRef<int64_t> shape) {
  if (shape.empty())
    return "scalar";
  std::string s;
  llvm::raw_string_ostream os(s);
  llvm::interleave(
      shape, os,
      [&](int64_t d) {
        if (ShapedType::isDynamic(d))
          os << "?";
        else
          os << d;
      },
      "x");
  return s;
}

bool isDataElementType(Type t) { return t.isF32() || t.isF16() || t.isBF16(); }

/// What the element type of an operand must be.
enum class ElementRule {
  /// f32, f16 or bf16.
  Data,
  /// The element type of `x`.
  SameAsX,
  /// The accumulation type (f32 or f64).
  Accumulation,
};

/// Checks the operands of one norm op against `x`, the axis and the
/// accumulation type. `init` must succeed before any other check is used.
class NormChecker {
public:
  explicit NormChecker(Operation *op) : op(op) {}

  /// Checks `x`, `axis` and `acc_type` and records them.
  LogicalResult init(Value x, int64_t axisAttr, Type acc) {
    // A misspelled attribute (`epsilonn`) would otherwise ride along as a
    // discardable attribute and be silently ignored. Discardable attributes
    // must carry a dialect prefix (`foo.bar`) or be a pass-internal `_name`.
    for (NamedAttribute attr : op->getDiscardableAttrs()) {
      StringRef name = attr.getName().getValue();
      if (!name.contains('.') && !name.starts_with("_"))
        return op->emitOpError("has unknown attribute '")
               << name << "' (a discardable attribute needs a dialect prefix)";
    }
    auto type = dyn_cast<ShapedType>(x.getType());
    if (!isa<RankedTensorType, MemRefType>(x.getType()))
      return op->emitOpError("expects x to be a ranked tensor or memref, got ")
             << x.getType();
    xType = type;
    onTensors = isa<RankedTensorType>(type);
    int64_t rank = type.getRank();
    if (rank < 1)
      return op->emitOpError("expects x to have rank at least 1, got ")
             << x.getType();
    if (axisAttr < -rank || axisAttr >= rank)
      return op->emitOpError("expects axis in [")
             << -rank << ", " << rank << ") for x of rank " << rank << ", got "
             << axisAttr;
    axis = axisAttr < 0 ? axisAttr + rank : axisAttr;
    if (llvm::is_contained(getNormalizedShape(), 0))
      return op->emitOpError("expects the normalized dimensions of x (from "
                             "axis ")
             << axis << ") to be non-empty, got shape "
             << formatShape(type.getShape());
    // The element count N of a row (and of x) is computed in int64 by the
    // lowerings: a static shape whose count overflows is rejected here
    // rather than wrapping into a division by 0 or a negative size.
    int64_t count = 1;
    for (int64_t size : type.getShape()) {
      if (ShapedType::isDynamic(size))
        continue;
      std::optional<int64_t> next = llvm::checkedMul(count, size);
      if (!next)
        return op->emitOpError("expects the element count of x to fit in "
                               "64 bits, got shape ")
               << formatShape(type.getShape());
      count = *next;
    }
    if (!isDataElementType(type.getElementType()))
      return op->emitOpError("expects x element type to be f32, f16 or bf16, "
                             "got ")
             << type.getElementType();
    if (!acc.isF32() && !acc.isF64())
      return op->emitOpError("expects acc_type to be f32 or f64, got ") << acc;
    accType = acc;
    return success();
  }

  ArrayRef<int64_t> getLeadingShape() const {
    return xType.getShape().take_front(axis);
  }
  ArrayRef<int64_t> getNormalizedShape() const {
    return xType.getShape().drop_front(axis);
  }

  /// An operand with the full shape of `x` (y, dy, dx, residual, ...).
  LogicalResult checkLikeX(Value v, StringRef name, ElementRule rule) {
    ShapedType type;
    if (failed(checkKind(v, name, type)) ||
        failed(checkElement(type, name, rule)))
      return failure();
    if (failed(verifyCompatibleShape(type.getShape(), xType.getShape())))
      return op->emitOpError("expects ")
             << name << " to have the shape of x ("
             << formatShape(xType.getShape()) << "), got "
             << formatShape(type.getShape());
    return success();
  }

  /// An operand with the normalized shape of `x` (gamma, beta, dgamma, ...).
  LogicalResult checkPerColumn(Value v, StringRef name, ElementRule rule) {
    ShapedType type;
    if (failed(checkKind(v, name, type)) ||
        failed(checkElement(type, name, rule)))
      return failure();
    if (failed(verifyCompatibleShape(type.getShape(), getNormalizedShape())))
      return op->emitOpError("expects ")
             << name << " to have the normalized shape of x ("
             << formatShape(getNormalizedShape()) << ", the dims from axis "
             << axis << "), got " << formatShape(type.getShape());
    return success();
  }

  /// A per-row operand in the accumulation type with the leading shape of
  /// `x` (mean, rstd).
  LogicalResult checkPerRow(Value v, StringRef name) {
    ShapedType type;
    if (failed(checkKind(v, name, type)) ||
        failed(checkElement(type, name, ElementRule::Accumulation)))
      return failure();
    if (failed(verifyCompatibleShape(type.getShape(), getLeadingShape())))
      return op->emitOpError("expects ")
             << name << " to have the leading shape of x ("
             << formatShape(getLeadingShape()) << ", the dims before axis "
             << axis << "), got " << formatShape(type.getShape());
    return success();
  }

  /// A stats operand: the leading shape of `x` plus a last dimension holding
  /// `entries` values per shard, for exactly one shard (`gathered` false) or
  /// for any positive number of shards (`gathered` true).
  LogicalResult checkStats(Value v, StringRef layoutName, unsigned entries,
                           bool gathered) {
    ShapedType type;
    if (failed(checkKind(v, "stats", type)) ||
        failed(checkElement(type, "stats", ElementRule::Accumulation)))
      return failure();
    SmallVector<int64_t> expected(getLeadingShape());
    expected.push_back(gathered ? ShapedType::kDynamic : entries);
    if (type.getRank() != static_cast<int64_t>(expected.size()) ||
        failed(verifyCompatibleShape(type.getShape().drop_back(),
                                     getLeadingShape())))
      return op->emitOpError("expects stats to have the leading shape of x (")
             << formatShape(getLeadingShape())
             << ") plus one trailing dimension, got "
             << formatShape(type.getShape());
    int64_t last = type.getShape().back();
    if (ShapedType::isDynamic(last))
      return success();
    if (!gathered && last != entries)
      return op->emitOpError("expects the last dimension of stats to be ")
             << entries << " (one shard of " << layoutName << "), got " << last;
    if (gathered && (last == 0 || last % entries != 0))
      return op->emitOpError("expects the last dimension of stats to be a "
                             "positive multiple of ")
             << entries << " (" << layoutName << " entries per shard), got "
             << last;
    return success();
  }

  LogicalResult checkEpsilon(double epsilon) {
    if (!std::isfinite(epsilon) || epsilon < 0.0)
      return op->emitOpError("expects epsilon to be finite and non-negative, "
                             "got ")
             << epsilon;
    return success();
  }

  LogicalResult checkGammaOffset(double offset, Value gamma) {
    if (!std::isfinite(offset))
      return op->emitOpError("expects gamma_offset to be finite, got ")
             << offset;
    if (offset != 0.0 && !gamma)
      return op->emitOpError("expects a gamma operand when gamma_offset is "
                             "nonzero, got gamma_offset = ")
             << offset << " and no gamma";
    return success();
  }

  /// Optional operand: checks it only when present.
  template <typename Fn> LogicalResult ifPresent(Value v, Fn &&fn) {
    return v ? fn(v) : success();
  }

private:
  LogicalResult checkKind(Value v, StringRef name, ShapedType &type) {
    bool ok = onTensors ? isa<RankedTensorType>(v.getType())
                        : isa<MemRefType>(v.getType());
    if (!ok)
      return op->emitOpError("expects ")
             << name << " to be a " << (onTensors ? "ranked tensor" : "memref")
             << " like x, got " << v.getType();
    type = cast<ShapedType>(v.getType());
    return success();
  }

  LogicalResult checkElement(ShapedType type, StringRef name,
                             ElementRule rule) {
    Type elt = type.getElementType();
    switch (rule) {
    case ElementRule::Data:
      if (!isDataElementType(elt))
        return op->emitOpError("expects ")
               << name << " element type to be f32, f16 or bf16, got " << elt;
      return success();
    case ElementRule::SameAsX:
      if (elt != xType.getElementType())
        return op->emitOpError("expects ")
               << name << " element type to match x (" << xType.getElementType()
               << "), got " << elt;
      return success();
    case ElementRule::Accumulation:
      if (elt != accType)
        return op->emitOpError("expects ")
               << name << " element type to be the accumulation type ("
               << accType << "), got " << elt;
      return success();
    }
    llvm_unreachable("unknown element rule");
  }

  Operation *op;
  ShapedType xType;
  Type accType;
  int64_t axis = 0;
  bool onTensors = true;
};

LogicalResult checkStatsLayout(Operation *op, StatsLayoutAttr layout,
                               StatsLayout expected) {
  // Optional in ODS only so that a missing one is reported here, with the
  // value this op takes.
  if (!layout)
    return op->emitOpError("requires attribute 'stats_layout': this op takes "
                           "#norm.stats<")
           << stringifyStatsLayout(expected)
           << "> (rms_norm split ops count_sumsq, layer_norm split ops "
              "count_sum_m2)";
  if (layout.getValue() != expected)
    return op->emitOpError("expects stats_layout #norm.stats<")
           << stringifyStatsLayout(expected) << ">, got " << layout;
  return success();
}

} // namespace

//===----------------------------------------------------------------------===//
// Verifier pieces shared by several ops
//===----------------------------------------------------------------------===//

/// The operand groups: the leading `numRequiredInputs` input groups and the
/// required inits hold exactly one operand, every other group at most one.
/// ODS checks only that the segment sizes add up, so generic-form IR such as
/// `operandSegmentSizes = array<i32: 2, 0, ...>` would otherwise reach the
/// checks below with a required operand missing.
template <typename OpTy>
static LogicalResult verifySegments(OpTy op, unsigned numRequiredInputs) {
  ArrayRef<int32_t> sizes = op.getProperties().operandSegmentSizes;
  for (auto [group, size] : llvm::enumerate(sizes)) {
    bool required =
        group < numRequiredInputs ||
        (group >= OpTy::kNumInputGroups &&
         group < OpTy::kNumInputGroups + OpTy::kNumRequiredInits);
    if (required && size != 1)
      return op.emitOpError("expects exactly one operand in operand group ")
             << group << " (a required operand), got " << size;
    if (!required && size > 1)
      return op.emitOpError("expects at most one operand in operand group ")
             << group << " (an optional operand), got " << size;
  }
  return success();
}

/// `x`, `axis` and `acc_type`: every op.
template <typename OpTy>
static LogicalResult verifyInput(OpTy op, NormChecker &c) {
  return c.init(op.getX(), op.getAxis(),
                cast<NormOpInterface>(op.getOperation()).getAccumulationType());
}

/// `residual` and `residual_out`: forward and pre_all_gather ops.
template <typename OpTy>
static LogicalResult verifyResidual(OpTy op, NormChecker &c) {
  using R = ElementRule;
  if (failed(c.ifPresent(
          op.getResidual(),
          [&](Value v) { return c.checkLikeX(v, "residual", R::SameAsX); })) ||
      failed(c.ifPresent(op.getResidualOut(), [&](Value v) {
        return c.checkLikeX(v, "residual_out", R::SameAsX);
      })))
    return failure();
  if (op.getResidualOut() && !op.getResidual())
    return op.emitOpError("expects a residual operand when residual_out is "
                          "requested");
  return success();
}

/// `gamma`, `beta`, `y`, `rstd`, `epsilon`, `gamma_offset`: the ops that
/// normalize (forward and post_all_gather).
template <typename OpTy>
static LogicalResult verifyNormalizeOutputs(OpTy op, NormChecker &c) {
  using R = ElementRule;
  if (failed(c.ifPresent(
          op.getGamma(),
          [&](Value v) { return c.checkPerColumn(v, "gamma", R::Data); })) ||
      failed(c.ifPresent(
          op.getBeta(),
          [&](Value v) { return c.checkPerColumn(v, "beta", R::Data); })) ||
      failed(c.checkLikeX(op.getY(), "y", R::Data)) ||
      failed(c.ifPresent(op.getRstd(),
                         [&](Value v) { return c.checkPerRow(v, "rstd"); })) ||
      failed(c.checkEpsilon(op.getEpsilon().convertToDouble())))
    return failure();
  if (Value eps = op.getEps()) {
    Type acc = cast<NormOpInterface>(op.getOperation()).getAccumulationType();
    if (eps.getType() != acc)
      return op.emitOpError("expects eps to be a scalar of the accumulation "
                            "type ")
             << acc << ", got " << eps.getType();
    if (op.getEpsilon().convertToDouble() !=
        getDefaultEpsilon<OpTy>(op.getContext()))
      return op.emitOpError("has both a runtime eps and an epsilon "
                            "attribute: leave epsilon unset");
  }
  return c.checkGammaOffset(op.getGammaOffset().convertToDouble(),
                            op.getGamma());
}

/// `stats` and `stats_layout`: the split ops.
template <typename OpTy>
static LogicalResult verifyStats(OpTy op, NormChecker &c, StatsLayout layout,
                                 bool gathered) {
  if (failed(checkStatsLayout(op, op.getStatsLayoutAttr(), layout)))
    return failure();
  return c.checkStats(op.getStats(), stringifyStatsLayout(layout),
                      op.getStatsLayoutAttr().getEntriesPerShard(), gathered);
}

/// `mean`, where an op has it as an optional output.
static LogicalResult verifyOptionalMean(Value mean, NormChecker &c) {
  return c.ifPresent(mean, [&](Value v) { return c.checkPerRow(v, "mean"); });
}

//===----------------------------------------------------------------------===//
// Forward ops
//===----------------------------------------------------------------------===//

LogicalResult RmsNormOp::verify() {
  if (failed(verifySegments(*this, 1)))
    return failure();
  NormChecker c(*this);
  return failure(failed(verifyInput(*this, c)) ||
                 failed(verifyResidual(*this, c)) ||
                 failed(verifyNormalizeOutputs(*this, c)));
}

LogicalResult LayerNormOp::verify() {
  if (failed(verifySegments(*this, 1)))
    return failure();
  NormChecker c(*this);
  return failure(failed(verifyInput(*this, c)) ||
                 failed(verifyResidual(*this, c)) ||
                 failed(verifyNormalizeOutputs(*this, c)) ||
                 failed(verifyOptionalMean(getMean(), c)));
}

//===----------------------------------------------------------------------===//
// Backward ops
//===----------------------------------------------------------------------===//

/// Checks shared by rms_norm_grad and layer_norm_grad (all but `mean`).
template <typename OpTy>
static LogicalResult verifyBackward(OpTy op, NormChecker &c) {
  using R = ElementRule;
  if (failed(verifyInput(op, c)) ||
      failed(c.checkLikeX(op.getDy(), "dy", R::Data)) ||
      failed(c.checkPerRow(op.getRstd(), "rstd")) ||
      failed(c.ifPresent(
          op.getGamma(),
          [&](Value v) { return c.checkPerColumn(v, "gamma", R::Data); })) ||
      failed(c.ifPresent(
          op.getDx(),
          [&](Value v) { return c.checkLikeX(v, "dx", R::SameAsX); })) ||
      failed(c.ifPresent(op.getDgamma(),
                         [&](Value v) {
                           return c.checkPerColumn(v, "dgamma",
                                                   R::Accumulation);
                         })) ||
      failed(c.ifPresent(op.getDbeta(), [&](Value v) {
        return c.checkPerColumn(v, "dbeta", R::Accumulation);
      })))
    return failure();
  if (!op.getDx() && !op.getDgamma() && !op.getDbeta())
    return op.emitOpError("expects at least one of dx, dgamma, dbeta to be "
                          "computed");
  return c.checkGammaOffset(op.getGammaOffset().convertToDouble(),
                            op.getGamma());
}

LogicalResult RmsNormGradOp::verify() {
  if (failed(verifySegments(*this, 3)))
    return failure();
  NormChecker c(*this);
  return verifyBackward(*this, c);
}

LogicalResult LayerNormGradOp::verify() {
  if (failed(verifySegments(*this, 4)))
    return failure();
  NormChecker c(*this);
  return failure(failed(verifyBackward(*this, c)) ||
                 failed(c.checkPerRow(getMean(), "mean")));
}

//===----------------------------------------------------------------------===//
// Distributed split ops
//===----------------------------------------------------------------------===//

LogicalResult RmsNormPreAllGatherOp::verify() {
  if (failed(verifySegments(*this, 1)))
    return failure();
  NormChecker c(*this);
  return failure(failed(verifyInput(*this, c)) ||
                 failed(verifyStats(*this, c, StatsLayout::CountSumSq,
                                    /*gathered=*/false)) ||
                 failed(verifyResidual(*this, c)));
}

LogicalResult LayerNormPreAllGatherOp::verify() {
  if (failed(verifySegments(*this, 1)))
    return failure();
  NormChecker c(*this);
  return failure(failed(verifyInput(*this, c)) ||
                 failed(verifyStats(*this, c, StatsLayout::CountSumM2,
                                    /*gathered=*/false)) ||
                 failed(verifyResidual(*this, c)));
}

LogicalResult RmsNormPostAllGatherOp::verify() {
  if (failed(verifySegments(*this, 2)))
    return failure();
  NormChecker c(*this);
  return failure(failed(verifyInput(*this, c)) ||
                 failed(verifyStats(*this, c, StatsLayout::CountSumSq,
                                    /*gathered=*/true)) ||
                 failed(verifyNormalizeOutputs(*this, c)));
}

LogicalResult LayerNormPostAllGatherOp::verify() {
  if (failed(verifySegments(*this, 2)))
    return failure();
  NormChecker c(*this);
  return failure(failed(verifyInput(*this, c)) ||
                 failed(verifyStats(*this, c, StatsLayout::CountSumM2,
                                    /*gathered=*/true)) ||
                 failed(verifyNormalizeOutputs(*this, c)) ||
                 failed(verifyOptionalMean(getMean(), c)));
}

//===----------------------------------------------------------------------===//
// Interfaces shared by all ops
//===----------------------------------------------------------------------===//

/// Result `i` has the shape of init `i` (destination style).
static LogicalResult
reifyFromInits(DestinationStyleOpInterface op, OpBuilder &b,
               ReifiedRankedShapedTypeDims &reifiedReturnShapes) {
  for (OpOperand &init : op.getDpsInitsMutable()) {
    if (!isa<RankedTensorType>(init.get().getType()))
      continue;
    reifiedReturnShapes.push_back(
        tensor::getMixedSizes(b, op.getLoc(), init.get()));
  }
  return success();
}

/// On memrefs the inputs are read and the inits written (never read: every
/// output is fully overwritten). On tensors the ops are pure.
static void getNormEffects(
    DestinationStyleOpInterface op,
    SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>
        &effects) {
  for (OpOperand *input : op.getDpsInputOperands())
    if (isa<MemRefType>(input->get().getType()))
      effects.emplace_back(MemoryEffects::Read::get(), input, /*stage=*/0,
                           /*effectOnFullRegion=*/true,
                           SideEffects::DefaultResource::get());
  for (OpOperand &init : op.getDpsInitsMutable())
    if (isa<MemRefType>(init.get().getType()))
      effects.emplace_back(MemoryEffects::Write::get(), &init, /*stage=*/0,
                           /*effectOnFullRegion=*/true,
                           SideEffects::DefaultResource::get());
}

#define NORM_DEFINE_COMMON_INTERFACES(OP)                                      \
  LogicalResult OP::reifyResultShapes(                                         \
      OpBuilder &b, ReifiedRankedShapedTypeDims &reifiedReturnShapes) {        \
    return reifyFromInits(*this, b, reifiedReturnShapes);                      \
  }                                                                            \
  void OP::getEffects(                                                         \
      SmallVectorImpl<SideEffects::EffectInstance<MemoryEffects::Effect>>      \
          &effects) {                                                          \
    getNormEffects(*this, effects);                                            \
  }

NORM_DEFINE_COMMON_INTERFACES(RmsNormOp)
NORM_DEFINE_COMMON_INTERFACES(LayerNormOp)
NORM_DEFINE_COMMON_INTERFACES(RmsNormGradOp)
NORM_DEFINE_COMMON_INTERFACES(LayerNormGradOp)
NORM_DEFINE_COMMON_INTERFACES(RmsNormPreAllGatherOp)
NORM_DEFINE_COMMON_INTERFACES(RmsNormPostAllGatherOp)
NORM_DEFINE_COMMON_INTERFACES(LayerNormPreAllGatherOp)
NORM_DEFINE_COMMON_INTERFACES(LayerNormPostAllGatherOp)
#undef NORM_DEFINE_COMMON_INTERFACES

//===----------------------------------------------------------------------===//
// Canonicalization
//===----------------------------------------------------------------------===//

namespace {

/// Rebuilds `op` without the operands in `drop` (optional operands only),
/// after letting `edit` change its properties. Results tied to a dropped
/// init must be unused; the others are replaced one for one.
template <typename OpTy>
void rebuildWithout(
    PatternRewriter &rewriter, OpTy op, ArrayRef<OpOperand *> drop,
    llvm::function_ref<void(typename OpTy::Properties &)> edit = nullptr) {
  OpTy newOp = norm::detail::cloneWithoutOperands(
      rewriter, op,
      [&](OpOperand &operand) { return llvm::is_contained(drop, &operand); },
      edit);
  bool onTensors = op.hasPureTensorSemantics();
  if (onTensors) {
    unsigned next = 0;
    for (OpOperand &init : op.getDpsInitsMutable()) {
      OpResult oldResult = op.getTiedOpResult(&init);
      if (llvm::is_contained(drop, &init)) {
        assert(oldResult.use_empty() && "dropping a used result");
        continue;
      }
      rewriter.replaceAllUsesWith(oldResult, newOp->getResult(next++));
    }
  }
  rewriter.eraseOp(op);
}

/// An optional result nobody uses is not computed: drop its init.
///   %y, %rstd = norm.rms_norm ... outs(%y0) rstd(%r0)   (%rstd unused)
/// becomes
///   %y = norm.rms_norm ... outs(%y0)
template <typename OpTy>
struct DropUnusedOptionalResults final : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (!op.hasPureTensorSemantics())
      return rewriter.notifyMatchFailure(op, "results only exist on tensors");
    SmallVector<OpOperand *> drop;
    MutableOperandRange inits = op.getDpsInitsMutable();
    for (unsigned i = OpTy::kNumRequiredInits, e = inits.size(); i < e; ++i)
      if (op->getResult(i).use_empty())
        drop.push_back(&inits[i]);
    if (drop.empty())
      return rewriter.notifyMatchFailure(op, "every optional result is used");
    if (drop.size() == inits.size()) {
      // Gradients with no result used at all: nothing left to compute.
      rewriter.eraseOp(op);
      return success();
    }
    rebuildWithout(rewriter, op, drop);
    return success();
  }
};

/// Splat float value of a constant tensor, if `v` is one.
std::optional<double> getSplatConstant(Value v) {
  DenseFPElementsAttr attr;
  if (!v || !matchPattern(v, m_Constant(&attr)) || !attr.isSplat())
    return std::nullopt;
  return attr.getSplatValue<APFloat>().convertToDouble();
}

/// A gamma that multiplies by exactly one is no gamma: a splat c with
/// c + gamma_offset == 1 is dropped and gamma_offset reset to 0. (The
/// rounding order is kept: x̂·1 rounds the same as x̂.)
template <typename OpTy>
struct DropIdentityGamma final : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    std::optional<double> c = getSplatConstant(op.getGamma());
    if (!c || *c + op.getGammaOffset().convertToDouble() != 1.0)
      return rewriter.notifyMatchFailure(op, "gamma is not a splat of one");
    OpOperand *gamma = &op.getGammaMutable()[0];
    rebuildWithout(rewriter, op, gamma, [&](typename OpTy::Properties &props) {
      props.setGammaOffset(rewriter.getF64FloatAttr(0.0));
    });
    return success();
  }
};

/// A beta that is a splat of zero adds nothing: drop it.
template <typename OpTy> struct DropZeroBeta final : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    std::optional<double> c = getSplatConstant(op.getBeta());
    if (!c || *c != 0.0)
      return rewriter.notifyMatchFailure(op, "beta is not a splat of zero");
    rebuildWithout(rewriter, op, &op.getBetaMutable()[0]);
    return success();
  }
};

/// A runtime eps that is a constant is the epsilon attribute:
///   norm.rms_norm ... eps(%c : f32)   (%c = arith.constant 1.0e-05 : f32)
/// becomes norm.rms_norm ... {epsilon = 9.99999974E-6 : f64} (the f32 value,
/// exactly). A negative or non-finite constant stays an operand.
template <typename OpTy>
struct FoldConstantEps final : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    FloatAttr attr;
    if (!op.getEps() || !matchPattern(op.getEps(), m_Constant(&attr)))
      return rewriter.notifyMatchFailure(op, "eps is not a constant");
    double value = attr.getValue().convertToDouble();
    if (!std::isfinite(value) || value < 0.0)
      return rewriter.notifyMatchFailure(op, "eps is not a valid epsilon");
    OpOperand *eps = &op.getEpsMutable()[0];
    rebuildWithout(rewriter, op, eps, [&](typename OpTy::Properties &props) {
      props.setEpsilon(rewriter.getF64FloatAttr(value));
    });
    return success();
  }
};

} // namespace

void RmsNormOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                            MLIRContext *context) {
  results.add<DropUnusedOptionalResults<RmsNormOp>,
              DropIdentityGamma<RmsNormOp>, DropZeroBeta<RmsNormOp>,
              FoldConstantEps<RmsNormOp>>(context);
}

void LayerNormOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                              MLIRContext *context) {
  results.add<DropUnusedOptionalResults<LayerNormOp>,
              DropIdentityGamma<LayerNormOp>, DropZeroBeta<LayerNormOp>,
              FoldConstantEps<LayerNormOp>>(context);
}

void RmsNormGradOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                MLIRContext *context) {
  results.add<DropUnusedOptionalResults<RmsNormGradOp>,
              DropIdentityGamma<RmsNormGradOp>>(context);
}

void LayerNormGradOp::getCanonicalizationPatterns(RewritePatternSet &results,
                                                  MLIRContext *context) {
  results.add<DropUnusedOptionalResults<LayerNormGradOp>,
              DropIdentityGamma<LayerNormGradOp>>(context);
}

void RmsNormPreAllGatherOp::getCanonicalizationPatterns(
    RewritePatternSet &results, MLIRContext *context) {
  results.add<DropUnusedOptionalResults<RmsNormPreAllGatherOp>>(context);
}

void LayerNormPreAllGatherOp::getCanonicalizationPatterns(
    RewritePatternSet &results, MLIRContext *context) {
  results.add<DropUnusedOptionalResults<LayerNormPreAllGatherOp>>(context);
}

void RmsNormPostAllGatherOp::getCanonicalizationPatterns(
    RewritePatternSet &results, MLIRContext *context) {
  results.add<DropUnusedOptionalResults<RmsNormPostAllGatherOp>,
              DropIdentityGamma<RmsNormPostAllGatherOp>,
              DropZeroBeta<RmsNormPostAllGatherOp>,
              FoldConstantEps<RmsNormPostAllGatherOp>>(context);
}

void LayerNormPostAllGatherOp::getCanonicalizationPatterns(
    RewritePatternSet &results, MLIRContext *context) {
  results.add<DropUnusedOptionalResults<LayerNormPostAllGatherOp>,
              DropIdentityGamma<LayerNormPostAllGatherOp>,
              DropZeroBeta<LayerNormPostAllGatherOp>,
              FoldConstantEps<LayerNormPostAllGatherOp>>(context);
}

//===----------------------------------------------------------------------===//
// Custom assembly directives
//===----------------------------------------------------------------------===//

/// `-> types`, present exactly when the op has results (on tensors). The
/// declarative form failed with "cannot name an operation with no results"
/// for an operand keyword the op does not take, a grad's `outs(...)`
/// without its init keyword, or a missing `->`: say which.
/// The attribute dictionary of op `OpTy`, parsed and checked here so that a
/// bad inherent attribute gets one located message naming the op once
/// ("custom op 'norm.rms_norm' attribute 'axis' failed to satisfy ...");
/// the generated check, called with the parser's prefix, named it twice.
template <typename OpTy>
static ParseResult parseNormAttrs(OpAsmParser &p, NamedAttrList &attrs) {
  SMLoc loc = p.getCurrentLocation();
  if (p.parseOptionalAttrDict(attrs))
    return failure();
  OperationName name(OpTy::getOperationName(), p.getContext());
  return OpTy::verifyInherentAttrs(name, attrs,
                                   [&]() { return p.emitError(loc); });
}

/// Prints what the generated attr-dict printer would: every attribute but
/// the operand segment sizes and the inherent ones equal to their ODS
/// default.
template <typename OpTy>
static void printNormAttrs(OpAsmPrinter &p, Operation *op, DictionaryAttr) {
  typename OpTy::Properties defaults;
  OperationName name(OpTy::getOperationName(), op->getContext());
  OpTy::populateDefaultProperties(name, defaults);
  DictionaryAttr defaultAttrs = dyn_cast_or_null<DictionaryAttr>(
      OpTy::getPropertiesAsAttr(op->getContext(), defaults));
  SmallVector<StringRef> elided = {"operandSegmentSizes"};
  for (NamedAttribute a : op->getAttrs())
    if (defaultAttrs && defaultAttrs.get(a.getName()) == a.getValue())
      elided.push_back(a.getName().getValue());
  p.printOptionalAttrDict(op->getAttrs(), elided);
}

#define NORM_ATTRS_DIRECTIVE(Name)                                             \
  static ParseResult parse##Name##Attrs(OpAsmParser &p,                        \
                                        NamedAttrList &attrs) {                \
    return parseNormAttrs<Name##Op>(p, attrs);                                 \
  }                                                                            \
  static void print##Name##Attrs(OpAsmPrinter &p, Operation *op,               \
                                 DictionaryAttr attrs) {                       \
    printNormAttrs<Name##Op>(p, op, attrs);                                    \
  }
NORM_ATTRS_DIRECTIVE(RmsNorm)
NORM_ATTRS_DIRECTIVE(LayerNorm)
NORM_ATTRS_DIRECTIVE(RmsNormGrad)
NORM_ATTRS_DIRECTIVE(LayerNormGrad)
NORM_ATTRS_DIRECTIVE(RmsNormPreAllGather)
NORM_ATTRS_DIRECTIVE(RmsNormPostAllGather)
NORM_ATTRS_DIRECTIVE(LayerNormPreAllGather)
NORM_ATTRS_DIRECTIVE(LayerNormPostAllGather)
#undef NORM_ATTRS_DIRECTIVE

static ParseResult parseNormResults(OpAsmParser &p,
                                    SmallVectorImpl<Type> &types) {
  if (succeeded(p.parseOptionalArrow()))
    return p.parseTypeList(types);
  if (p.getNumResults() == 0)
    return success();
  SMLoc loc = p.getCurrentLocation();
  StringRef keyword;
  static const StringRef kGroups[] = {
      "ins",  "outs", "gamma",        "beta", "residual", "eps",   "stats",
      "mean", "rstd", "residual_out", "dx",   "dgamma",   "dbeta"};
  if (succeeded(p.parseOptionalKeyword(&keyword, ArrayRef<StringRef>(
                     std::begin(kGroups), std::end(kGroups)))))
    return p.emitError(loc)
           << "'" << keyword
           << "' is not an operand group this op takes here (the order is "
              "ins(...), its optional inputs, outs ..., its optional inits, "
              "attributes, then '->' and the result types)";
  if (succeeded(p.parseOptionalLParen()))
    return p.emitError(loc)
           << "expected the init's keyword before '(' (gradients name each "
              "init: outs dx(...) dgamma(...) dbeta(...))";
  return p.emitError(loc) << "expected '->' and the " << p.getNumResults()
                          << " result type(s) of an op on tensors";
}

static void printNormResults(OpAsmPrinter &p, Operation *, TypeRange types) {
  if (types.empty())
    return;
  p << " -> ";
  llvm::interleaveComma(types, p);
}

/// `%v : type, ...` for the required inputs of a gradient, with a message
/// naming them when their number is wrong (a layer_norm_grad without mean
/// got only "expected ','").
static ParseResult
parseNamedInputs(OpAsmParser &p, ArrayRef<StringRef> names,
                 ArrayRef<OpAsmParser::UnresolvedOperand *> operands,
                 ArrayRef<Type *> types) {
  SMLoc loc = p.getCurrentLocation();
  SmallVector<OpAsmParser::UnresolvedOperand> parsed;
  SmallVector<Type> parsedTypes;
  auto parseOne = [&]() -> ParseResult {
    OpAsmParser::UnresolvedOperand v;
    Type t;
    if (p.parseOperand(v) || p.parseColonType(t))
      return failure();
    parsed.push_back(v);
    parsedTypes.push_back(t);
    return success();
  };
  if (p.parseCommaSeparatedList(parseOne))
    return failure();
  if (parsed.size() != names.size()) {
    InFlightDiagnostic d = p.emitError(loc) << "expected " << names.size()
                                            << " inputs in ins(";
    llvm::interleaveComma(names, d);
    d << "), got " << parsed.size();
    return d;
  }
  for (auto [i, v] : llvm::enumerate(parsed)) {
    *operands[i] = v;
    *types[i] = parsedTypes[i];
  }
  return success();
}

static void printNamedInputs(OpAsmPrinter &p, ValueRange values) {
  llvm::interleaveComma(values, p, [&](Value v) {
    p << v << " : " << v.getType();
  });
}

static ParseResult parseRmsGradInputs(OpAsmParser &p,
                                      OpAsmParser::UnresolvedOperand &dy,
                                      Type &dyType,
                                      OpAsmParser::UnresolvedOperand &x,
                                      Type &xType,
                                      OpAsmParser::UnresolvedOperand &rstd,
                                      Type &rstdType) {
  return parseNamedInputs(p, {"dy", "x", "rstd"}, {&dy, &x, &rstd},
                          {&dyType, &xType, &rstdType});
}

static void printRmsGradInputs(OpAsmPrinter &p, Operation *, Value dy, Type,
                               Value x, Type, Value rstd, Type) {
  printNamedInputs(p, {dy, x, rstd});
}

static ParseResult parseLayerGradInputs(
    OpAsmParser &p, OpAsmParser::UnresolvedOperand &dy, Type &dyType,
    OpAsmParser::UnresolvedOperand &x, Type &xType,
    OpAsmParser::UnresolvedOperand &mean, Type &meanType,
    OpAsmParser::UnresolvedOperand &rstd, Type &rstdType) {
  return parseNamedInputs(p, {"dy", "x", "mean", "rstd"},
                          {&dy, &x, &mean, &rstd},
                          {&dyType, &xType, &meanType, &rstdType});
}

static void printLayerGradInputs(OpAsmPrinter &p, Operation *, Value dy, Type,
                                 Value x, Type, Value mean, Type, Value rstd,
                                 Type) {
  printNamedInputs(p, {dy, x, mean, rstd});
}

//===----------------------------------------------------------------------===//
// TableGen'd definitions
//===----------------------------------------------------------------------===//

#define GET_OP_CLASSES
#include "norm/Dialect/Norm/IR/NormOps.cpp.inc"
