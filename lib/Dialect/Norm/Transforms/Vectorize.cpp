//===- Vectorize.cpp - norm-vectorize pass ----------------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//
//
// Tiles elementwise and reduction linalg ops by the vector width, peels the
// remainder and vectorizes, with the upstream scf tiling driver (partial
// reductions for row sums), scf loop peeling and linalg::vectorize.
//
//===----------------------------------------------------------------------===//

#include "norm/Dialect/Norm/Transforms/Passes.h"

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/Transforms/TileUsingInterface.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Tensor/Transforms/Transforms.h"
#include "mlir/Dialect/Vector/Transforms/LoweringPatterns.h"
#include "mlir/Dialect/Vector/Transforms/VectorRewritePatterns.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/TilingInterface.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "mlir/Transforms/LoopInvariantCodeMotionUtils.h"

namespace mlir::norm {
#define GEN_PASS_DEF_NORMVECTORIZEPASS
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"
} // namespace mlir::norm

using namespace mlir;
using namespace mlir::norm;

namespace {

/// Iterations per block of the cascaded row sums (two levels).
constexpr int64_t kCascade = 16;

/// Ops this pass tiles and vectorizes: elementwise / reduction generics,
/// reduces (the merge of partial reductions) and fills on tensors. Other linalg ops (matmul, ...) are left to the loop
/// lowering.
bool isCandidate(linalg::LinalgOp op) {
  // A statically empty loop (0 rows) has nothing to vectorize; upstream's
  // tiling crashes on it (MLIR 22.1): the loop lowering handles it.
  if (llvm::is_contained(op.getStaticLoopRanges(), 0))
    return false;
  return op.hasPureTensorSemantics() && op.getNumLoops() > 0 &&
         (isa<linalg::FillOp, linalg::ReduceOp>(op) ||
          (isa<linalg::GenericOp>(op) && op.hasOnlyProjectedPermutations()));
}

/// Upstream's partial-reduction tiling (`scf::tileReductionUsingScf`, MLIR
/// 22.1) clones the op into the tile without offsetting the `linalg.index`
/// ops of the reduced dim by the tile's offset, unlike `scf::tileUsingSCF`:
/// an index-using producer fused into a row sum (an embedding gather that
/// `tensor.extract`s at `linalg.index`) would read element `k mod width`.
/// Adds the loop's induction variable to the index of the innermost
/// (reduced) dim of every tiled linalg op with `numLoops` loops.
void offsetReducedIndices(RewriterBase &rewriter,
                          ArrayRef<Operation *> tiledOps, int64_t numLoops,
                          Value offset) {
  for (Operation *tiledOp : tiledOps) {
    auto linalgOp = dyn_cast<linalg::LinalgOp>(tiledOp);
    if (!linalgOp || linalgOp.getNumLoops() != numLoops ||
        linalgOp.getBlock()->getOps<linalg::IndexOp>().empty())
      continue;
    SmallVector<OpFoldResult> offsets(numLoops, rewriter.getIndexAttr(0));
    offsets.back() = offset;
    rewriter.setInsertionPoint(linalgOp);
    linalg::offsetIndices(rewriter, linalgOp, offsets);
  }
}

/// Tiles `op` so that its innermost loop runs over `width` elements and every
/// other non-unit loop over one. Returns the loops over the innermost dim,
/// which the caller peels.
LogicalResult tileForVectors(RewriterBase &rewriter, linalg::LinalgOp op,
                             int64_t width,
                             SmallVectorImpl<scf::ForOp> &innerLoops) {
  SmallVector<int64_t> ranges = op.getStaticLoopRanges();
  SmallVector<utils::IteratorType> types = op.getIteratorTypesArray();
  int64_t n = ranges.size();
  bool innerIsReduction = types.back() == utils::IteratorType::reduction;

  // Step 1: every loop but a reducing innermost one, with scf.for.
  SmallVector<OpFoldResult> sizes(n, rewriter.getIndexAttr(0));
  bool any = false;
  for (int64_t d = 0; d < n; ++d) {
    if (d == n - 1 && innerIsReduction)
      continue;
    int64_t size = d == n - 1 ? width : 1;
    if (ranges[d] != ShapedType::kDynamic && ranges[d] <= size)
      continue;
    sizes[d] = rewriter.getIndexAttr(size);
    any = true;
  }
  Operation *current = op;
  if (any) {
    scf::SCFTilingOptions options;
    options.setTileSizes(sizes);
    rewriter.setInsertionPoint(current);
    FailureOr<scf::SCFTilingResult> tiled = scf::tileUsingSCF(
        rewriter, cast<TilingInterface>(current), options);
    if (failed(tiled))
      return failure();
    rewriter.replaceOp(current, tiled->replacements);
    current = tiled->tiledOps.back();
    if (!innerIsReduction && !tiled->loops.empty())
      if (auto loop = dyn_cast<scf::ForOp>(tiled->loops.back().getOperation()))
        innerLoops.push_back(loop);
  }
  if (!innerIsReduction)
    return success();

  // Step 2: the innermost reduction as a partial reduction: `width` lanes
  // accumulate, one cross-lane reduction merges them after the loop.
  auto generic = cast<linalg::LinalgOp>(current);
  int64_t innerSize = generic.getStaticLoopRanges().back();
  if (innerSize != ShapedType::kDynamic && innerSize <= width)
    return success();
  SmallVector<OpFoldResult> partial(n, rewriter.getIndexAttr(0));
  partial.back() = rewriter.getIndexAttr(width);
  rewriter.setInsertionPoint(current);
  FailureOr<scf::SCFTilingResult> tiled = scf::tileReductionUsingScf(
      rewriter, cast<PartialReductionOpInterface>(current), partial);
  if (failed(tiled))
    return failure();
  rewriter.replaceOp(current, tiled->replacements);
  auto loop = tiled->loops.empty()
                  ? scf::ForOp()
                  : dyn_cast<scf::ForOp>(tiled->loops.back().getOperation());
  if (loop) {
    offsetReducedIndices(rewriter, tiled->tiledOps, n, loop.getInductionVar());
    innerLoops.push_back(loop);
  }
  return success();
}

/// Whether every iter_arg of `loop` is a float vector sum carried through
/// it (`yield acc + t`, acc used only there) and its step is constant.
bool isVectorSumLoop(scf::ForOp loop) {
  if (loop.getNumRegionIterArgs() == 0 || !loop.getConstantStep())
    return false;
  auto yield = cast<scf::YieldOp>(loop.getBody()->getTerminator());
  for (auto [arg, next] :
       llvm::zip(loop.getRegionIterArgs(), yield.getOperands())) {
    auto type = dyn_cast<VectorType>(arg.getType());
    auto add = next.getDefiningOp<arith::AddFOp>();
    if (!type || !isa<FloatType>(type.getElementType()) || !add ||
        add->getBlock() != loop.getBody() || !arg.hasOneUse() ||
        (add.getLhs() != arg && add.getRhs() != arg))
      return false;
  }
  return true;
}

/// Strip-mines a vector-sum loop into blocks of `factor` iterations, each
/// summed from zero into fresh lanes and then added to the running sums:
///   for k in [lb, ub) step s: acc += t(k)
/// becomes
///   for kb in [lb, ub) step s·factor:
///     part = 0; for k in [kb, min(kb + s·factor, ub)) step s: part += t(k)
///     acc += part
/// A sum of n terms then rounds through n/factor + factor serial additions
/// per lane instead of n (a cascade, as pairwise summation does), in
/// registers, with one extra vector add per block. Returns the inner loop.
scf::ForOp stripMineSum(RewriterBase &rewriter, scf::ForOp loop,
                        int64_t factor) {
  Location loc = loop.getLoc();
  rewriter.setInsertionPoint(loop);
  int64_t step = loop.getConstantStep()->getSExtValue();
  Value outerStep = arith::ConstantIndexOp::create(rewriter, loc, step * factor);
  Value ub = loop.getUpperBound();
  scf::ForOp inner;
  auto outer = scf::ForOp::create(
      rewriter, loc, loop.getLowerBound(), ub, outerStep, loop.getInitArgs(),
      [&](OpBuilder &b, Location l, Value kb, ValueRange sums) {
        Value end = arith::AddIOp::create(b, l, kb, outerStep);
        Value innerUb = arith::MinSIOp::create(b, l, end, ub);
        SmallVector<Value> zeros;
        for (Value sum : sums)
          zeros.push_back(arith::ConstantOp::create(
              b, l, b.getZeroAttr(sum.getType())));
        inner = scf::ForOp::create(b, l, kb, innerUb, loop.getStep(), zeros);
        SmallVector<Value> next;
        for (auto [sum, part] : llvm::zip(sums, inner.getResults()))
          next.push_back(arith::AddFOp::create(b, l, sum, part));
        scf::YieldOp::create(b, l, next);
      });
  // The original body, with its induction variable and sums, is the inner
  // loop's body.
  Block *innerBody = inner.getBody();
  if (!innerBody->empty())
    rewriter.eraseOp(innerBody->getTerminator());
  rewriter.mergeBlocks(loop.getBody(), innerBody, innerBody->getArguments());
  rewriter.replaceOp(loop, outer.getResults());
  return inner;
}

/// Cascades every vector-sum loop that may run more than `factor`
/// iterations: two levels of blocks of `factor` iterations.
void cascadeVectorSums(RewriterBase &rewriter, Operation *root,
                       int64_t factor) {
  SmallVector<scf::ForOp> loops;
  root->walk([&](scf::ForOp loop) {
    if (!isVectorSumLoop(loop))
      return;
    if (std::optional<APInt> trips = loop.getStaticTripCount();
        trips && trips->getSExtValue() <= factor)
      return;
    loops.push_back(loop);
  });
  for (scf::ForOp loop : loops) {
    scf::ForOp mid = stripMineSum(rewriter, loop, factor * factor);
    (void)stripMineSum(rewriter, mid, factor);
  }
}

/// Vectorizes `op` if its shape is static. Dynamic remainders (fewer than
/// `vector-width` elements per row after peeling) stay scalar: masked
/// vectorization of them miscompiled through the unit-dim cleanups in MLIR
/// 22.1 (see docs/Toolchain.md).
LogicalResult vectorizeOne(RewriterBase &rewriter, linalg::LinalgOp op) {
  if (op.hasDynamicShape() || failed(linalg::vectorizeOpPrecondition(op)))
    return failure();
  rewriter.setInsertionPoint(op);
  FailureOr<linalg::VectorizationResult> result = linalg::vectorize(rewriter, op);
  if (failed(result))
    return failure();
  if (result->replacements.empty())
    rewriter.eraseOp(op);
  else
    rewriter.replaceOp(op, result->replacements);
  return success();
}

struct NormVectorizePass final
    : norm::impl::NormVectorizePassBase<NormVectorizePass> {
  using Base::Base;

  void runOnOperation() override {
    Operation *root = getOperation();
    MLIRContext *context = &getContext();
    // Vectors are unrolled into registers by LLVM: past 1024 lanes compile
    // time grows superlinearly (4096 took 7.5 s, 65536 over 90 s) and no
    // CPU has such registers.
    if (vectorWidth < 1 || vectorWidth > 1024) {
      mlir::emitError(root->getLoc())
          << "norm-vectorize: vector-width must be 1 to 1024, got "
          << static_cast<int64_t>(vectorWidth);
      return signalPassFailure();
    }

    RewritePatternSet fusion(context);
    populateNormFuseElementwisePatterns(fusion);
    linalg::populateEraseUnusedOperandsAndResultsPatterns(fusion);
    if (failed(applyPatternsGreedily(root, std::move(fusion))))
      return signalPassFailure();

    IRRewriter rewriter(context);
    SmallVector<linalg::LinalgOp> ops;
    root->walk([&](linalg::LinalgOp op) {
      if (isCandidate(op))
        ops.push_back(op);
    });
    SmallVector<scf::ForOp> innerLoops;
    for (linalg::LinalgOp op : ops)
      if (failed(tileForVectors(rewriter, op, vectorWidth, innerLoops))) {
        op->emitError("norm-vectorize: could not tile this op");
        return signalPassFailure();
      }
    for (scf::ForOp loop : innerLoops) {
      scf::ForOp remainder;
      rewriter.setInsertionPoint(loop);
      (void)scf::peelForLoopAndSimplifyBounds(rewriter, loop, remainder);
    }
    if (failed(canonicalize(root)))
      return signalPassFailure();

    ops.clear();
    root->walk([&](linalg::LinalgOp op) {
      if (isCandidate(op))
        ops.push_back(op);
    });
    // What cannot be vectorized (a shape the vectorizer rejects) stays a
    // linalg op and is lowered to loops later: slower, never wrong.
    for (linalg::LinalgOp op : ops)
      (void)vectorizeOne(rewriter, op);

    RewritePatternSet cleanup(context);
    tensor::populateFoldTensorSubsetIntoVectorTransferPatterns(cleanup);
    vector::populateCastAwayVectorLeadingOneDimPatterns(cleanup);
    vector::populateVectorTransferDropUnitDimsPatterns(cleanup);
    vector::populateVectorMultiReductionLoweringPatterns(
        cleanup, vector::VectorMultiReductionLowering::InnerReduction);
    vector::populateSinkVectorOpsPatterns(cleanup);
    addCanonicalizationPatterns(cleanup);
    if (failed(applyPatternsGreedily(root, std::move(cleanup))))
      return signalPassFailure();

    // Row sums in registers (the accumulator's transfer_read/write pair
    // hoisted out of its loop), then summed in a cascade so that a long row
    // is not one serial chain of additions per lane (vector-width=1 summed
    // 4097 elements serially: 21-24 ulp where PyTorch has 2-3).
    SmallVector<LoopLikeOpInterface> forLoops;
    root->walk([&](scf::ForOp loop) { forLoops.push_back(loop); });
    for (LoopLikeOpInterface loop : forLoops)
      (void)hoistLoopInvariantSubsets(rewriter, loop);
    if (failed(canonicalize(root)))
      return signalPassFailure();
    cascadeVectorSums(rewriter, root, kCascade);
    if (failed(canonicalize(root)))
      return signalPassFailure();
  }

  /// Every loaded dialect's and registered op's canonicalizations (what
  /// `--canonicalize` applies).
  void addCanonicalizationPatterns(RewritePatternSet &patterns) {
    MLIRContext *context = &getContext();
    for (Dialect *dialect : context->getLoadedDialects())
      dialect->getCanonicalizationPatterns(patterns);
    for (RegisteredOperationName op : context->getRegisteredOperations())
      op.getCanonicalizationPatterns(patterns, context);
  }

  LogicalResult canonicalize(Operation *root) {
    RewritePatternSet patterns(&getContext());
    addCanonicalizationPatterns(patterns);
    return applyPatternsGreedily(root, std::move(patterns));
  }
};

/// Fuse a producer into its consumer only when the consumer reads it through
/// a permutation and both have the same loops: per-row values (rstd, mean)
/// stay computed once per row.
bool fuseSameShapeOnly(OpOperand *fused) {
  auto consumer = dyn_cast<linalg::GenericOp>(fused->getOwner());
  auto producer = fused->get().getDefiningOp<linalg::GenericOp>();
  if (!consumer || !producer)
    return false;
  if (producer.getNumLoops() != consumer.getNumLoops() ||
      producer.getNumReductionLoops() != 0)
    return false;
  return consumer.getMatchingIndexingMap(fused).isPermutation();
}

/// Sibling (horizontal) fusion of two all-parallel generics over the same
/// iteration space, so that one loop reads their shared inputs once:
///   %a = generic ins(%x, %dy, ...) outs(%dx)       (dx of a gradient row)
///   %b = generic ins(%x, %dy, ...) outs(%acc)      (dgamma accumulation)
/// becomes one generic with both outs. Upstream linalg fuses producers into
/// consumers only. The later op `second` absorbs the nearest earlier
/// `first` in its block when:
///  - both are all-parallel generics on tensors with the same loop count,
///    and they read one value through the same permutation map (so their
///    loop ranges are the same);
///  - no result of `first` is used before `second` (the fused op takes
///    `second`'s place, so nothing `second` reads can depend on `first`).
struct FuseSiblingGenerics final : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  static bool isAllParallel(linalg::GenericOp op) {
    return op.hasPureTensorSemantics() &&
           op.getNumLoops() == op.getNumParallelLoops() &&
           op.getNumLoops() > 0 &&
           llvm::all_of(op.getBody()->getOperations(), [](Operation &inner) {
             return isMemoryEffectFree(&inner);
           });
  }

  static bool shareSpace(linalg::GenericOp a, linalg::GenericOp b) {
    if (a.getNumLoops() != b.getNumLoops())
      return false;
    for (OpOperand *x : a.getDpsInputOperands())
      for (OpOperand *y : b.getDpsInputOperands())
        if (x->get() == y->get() &&
            a.getMatchingIndexingMap(x) == b.getMatchingIndexingMap(y) &&
            a.getMatchingIndexingMap(x).isPermutation())
          return true;
    return false;
  }

  LogicalResult matchAndRewrite(linalg::GenericOp second,
                                PatternRewriter &rewriter) const override {
    if (!isAllParallel(second))
      return failure();
    linalg::GenericOp first;
    for (Operation *prev = second->getPrevNode(); prev;
         prev = prev->getPrevNode()) {
      auto candidate = dyn_cast<linalg::GenericOp>(prev);
      if (!candidate || !isAllParallel(candidate) ||
          !shareSpace(candidate, second))
        continue;
      // Every use of the candidate's results must come after `second`.
      bool usedBefore = llvm::any_of(candidate->getUsers(), [&](Operation *u) {
        Operation *inBlock = second->getBlock()->findAncestorOpInBlock(*u);
        return !inBlock || inBlock == second.getOperation() ||
               inBlock->isBeforeInBlock(second);
      });
      if (usedBefore)
        continue;
      first = candidate;
      break;
    }
    if (!first)
      return rewriter.notifyMatchFailure(second, "no sibling to fuse");

    SmallVector<Value> inputs(first.getDpsInputs());
    llvm::append_range(inputs, second.getDpsInputs());
    SmallVector<Value> inits(first.getDpsInits());
    llvm::append_range(inits, second.getDpsInits());
    SmallVector<AffineMap> maps;
    for (OpOperand *o : first.getDpsInputOperands())
      maps.push_back(first.getMatchingIndexingMap(o));
    for (OpOperand *o : second.getDpsInputOperands())
      maps.push_back(second.getMatchingIndexingMap(o));
    for (OpOperand &o : first.getDpsInitsMutable())
      maps.push_back(first.getMatchingIndexingMap(&o));
    for (OpOperand &o : second.getDpsInitsMutable())
      maps.push_back(second.getMatchingIndexingMap(&o));
    SmallVector<Type> types(first->getResultTypes());
    llvm::append_range(types, second->getResultTypes());

    rewriter.setInsertionPoint(second);
    auto fused = linalg::GenericOp::create(
        rewriter, second.getLoc(), types, inputs, inits, maps,
        second.getIteratorTypesArray(),
        [&](OpBuilder &b, Location loc, ValueRange args) {
          unsigned in1 = first.getNumDpsInputs(), in2 = second.getNumDpsInputs();
          unsigned out1 = first.getNumDpsInits();
          SmallVector<Value> firstArgs(args.take_front(in1));
          llvm::append_range(firstArgs, args.slice(in1 + in2, out1));
          SmallVector<Value> secondArgs(args.slice(in1, in2));
          llvm::append_range(secondArgs, args.drop_front(in1 + in2 + out1));
          SmallVector<Value> yields;
          for (auto [op, bodyArgs] :
               {std::pair{first, firstArgs}, std::pair{second, secondArgs}}) {
            IRMapping mapping;
            mapping.map(op.getBody()->getArguments(), bodyArgs);
            for (Operation &inner : op.getBody()->without_terminator())
              b.clone(inner, mapping);
            for (Value v : op.getBody()->getTerminator()->getOperands())
              yields.push_back(mapping.lookupOrDefault(v));
          }
          linalg::YieldOp::create(b, loc, yields);
        });
    unsigned n1 = first->getNumResults();
    rewriter.replaceOp(first, fused->getResults().take_front(n1));
    rewriter.replaceOp(second, fused->getResults().drop_front(n1));
    return success();
  }
};

} // namespace

void mlir::norm::populateNormFuseElementwisePatterns(
    RewritePatternSet &patterns) {
  linalg::populateElementwiseOpsFusionPatterns(patterns, fuseSameShapeOnly);
  patterns.add<FuseSiblingGenerics>(patterns.getContext());
}
