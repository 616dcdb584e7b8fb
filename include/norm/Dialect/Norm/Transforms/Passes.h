//===- Passes.h - norm dialect passes ---------------------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_TRANSFORMS_PASSES_H
#define NORM_DIALECT_NORM_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Affine/IR/AffineOps.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Shard/IR/ShardDialect.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Pass/Pass.h"
#include "norm/Dialect/Norm/IR/NormDialect.h"

#include <string>

namespace mlir {
class RewritePatternSet;
namespace norm {

#define GEN_PASS_DECL
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"

/// Adds the patterns of `norm-fuse` that raise forward RMSNorm and LayerNorm
/// written in linalg, tosa or arith/math on tensors into `norm.rms_norm` /
/// `norm.layer_norm`. With `report`, each raise is a remark on the new op.
void populateNormRaiseForwardPatterns(RewritePatternSet &patterns,
                                      bool report = false);

/// Adds the patterns of `norm-fuse` that raise dx, dgamma and dbeta graphs
/// into `norm.rms_norm_grad` / `norm.layer_norm_grad`, and merge gradient
/// ops of the same (dy, x, statistics) into one.
void populateNormRaiseGradientPatterns(RewritePatternSet &patterns,
                                       bool report = false);

/// Adds the pattern that makes an add feeding a norm op's `x` the op's
/// `residual` (with `residual_out` when the sum has other uses).
void populateNormFuseResidualPatterns(RewritePatternSet &patterns);

/// All of the above: what `norm-fuse` runs.
void populateNormFusePatterns(RewritePatternSet &patterns,
                              bool report = false);

/// Adds the pattern that decomposes norm ops into linalg on tensors through
/// `AggregatedOpInterface`. With a non-empty `filterOps` (op names such as
/// "norm.rms_norm"), only those ops are decomposed.
void populateNormDecomposePatterns(RewritePatternSet &patterns,
                                   ArrayRef<std::string> filterOps = {});


/// Adds the elementwise-fusion patterns `norm-vectorize` uses: a producer
/// is fused into a consumer only when it has the consumer's loop count and
/// the consumer reads it through a permutation (never a broadcast, so per-row
/// values are not recomputed per element); and two all-parallel sibling
/// generics over the same iteration space become one (one loop reads their
/// shared inputs once, e.g. dx and the dgamma accumulation of a gradient
/// row).
void populateNormFuseElementwisePatterns(RewritePatternSet &patterns);

/// Adds the patterns of `norm-nontemporal-stores`: vector stores of at least
/// `minBytes` bytes into (views of) function arguments become nontemporal.
void populateNormNontemporalStoresPatterns(RewritePatternSet &patterns,
                                           int64_t minBytes);

/// Adds patterns that lower `linalg.pack` / `linalg.unpack` on tensors to
/// tensor.pad + tensor.expand_shape + linalg.transpose (and back), which
/// one-shot bufferization handles (`linalg::lowerPack` / `lowerUnPack`).
void populateNormLowerPackUnpackPatterns(RewritePatternSet &patterns);

#define GEN_PASS_REGISTRATION
#include "norm/Dialect/Norm/Transforms/Passes.h.inc"

} // namespace norm
} // namespace mlir

#endif // NORM_DIALECT_NORM_TRANSFORMS_PASSES_H
