//===- ShardToMPI.h - what LLVM 22's convert-shard-to-mpi lacks -*- C++ -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef NORM_CONVERSION_SHARDTOMPI_SHARDTOMPI_H
#define NORM_CONVERSION_SHARDTOMPI_SHARDTOMPI_H

namespace mlir {
class DialectRegistry;
class RewritePatternSet;
namespace norm {

/// `shard.all_gather` (on tensors) → this process's block inserted at its
/// offset into a zero tensor of the gathered shape → `shard.all_reduce`
/// (sum) over the same grid axes, which upstream `convert-shard-to-mpi`
/// lowers to `MPI_Allreduce`. Exact: every element has one non-zero
/// contributor. (The mpi dialect of LLVM 22 has no allgather op.)
void populateAllGatherToAllReducePatterns(RewritePatternSet &patterns);

/// Declares the memory effects of `mpi.allreduce` (read send buffer, write
/// receive buffer), which LLVM 22 leaves unknown, so that ownership-based
/// buffer deallocation accepts code that calls MPI.
void registerMPIMemoryEffectsExternalModels(DialectRegistry &registry);

} // namespace norm
} // namespace mlir

#endif // NORM_CONVERSION_SHARDTOMPI_SHARDTOMPI_H
