//===- NormToGPU.h - norm ops to gpu.launch kernels -------------*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef NORM_CONVERSION_NORMTOGPU_NORMTOGPU_H
#define NORM_CONVERSION_NORMTOGPU_NORMTOGPU_H

#include <cstdint>

namespace mlir {
class RewritePatternSet;
namespace norm {

/// How norm ops map onto GPU kernels (see `convert-norm-to-gpu`).
struct NormToGPUOptions {
  /// Bytes per vector access along a row: 16 gives 128-bit loads/stores.
  int64_t vectorBytes = 16;
  /// Blocks of the persistent grid of the gradient kernels.
  int64_t persistentBlocks = 264;
  /// Threads per row of the kernels for a dynamic N.
  int64_t loopThreads = 256;
  /// Elements per thread the gradient kernels aim at (static N).
  int64_t gradElements = 8;
  /// Gradient kernels load the next row's x, dy and statistics before the
  /// current row's reductions (software pipelining of the row loop).
  bool gradPrefetch = true;
  /// Gradient kernels of static N: the persistent grid is sized to the
  /// blocks per SM that an estimate of the kernel's registers allows, and
  /// the kernel is marked (`norm.min_blocks_per_sm`, turned into
  /// `nvvm.minctasm` by norm-gpu-launch-bounds after outlining) so that
  /// ptxas keeps its registers within that residency: the grid is one wave.
  bool gradLaunchBounds = true;
};

/// The discardable attribute (an i32 on an op inside a gpu.launch body)
/// that asks norm-gpu-launch-bounds for `nvvm.minctasm` on the outlined
/// kernel. It rides on an op of the body because upstream's outlining does
/// not carry gpu.launch's own attributes to the gpu.func.
inline constexpr const char *kMinBlocksPerSMAttr = "norm.min_blocks_per_sm";

/// Elements per vector access of a row of static length `n`: the largest
/// power of two ≤ vectorBytes / elementBytes that divides n (1 at least).
/// The kernels' accesses to rows and columns are this wide, so their
/// pointers must be aligned to it (norm-gpu-entry-points checks that).
int64_t rowVectorElements(int64_t n, int64_t elementBytes,
                          int64_t vectorBytes = NormToGPUOptions().vectorBytes);

/// Adds the patterns that rewrite rms_norm, layer_norm, rms_norm_grad and
/// layer_norm_grad on memrefs into gpu.launch kernels.
void populateNormToGPUConversionPatterns(RewritePatternSet &patterns,
                                         const NormToGPUOptions &options = {});

/// Adds the pattern that turns host-side memref.alloc/dealloc (outside
/// gpu.launch bodies) into gpu.alloc/dealloc.
void populateNormGPUDeviceAllocPatterns(RewritePatternSet &patterns);

} // namespace norm
} // namespace mlir

#endif // NORM_CONVERSION_NORMTOGPU_NORMTOGPU_H
