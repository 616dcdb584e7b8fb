//===- Passes.td - norm conversion passes ------------------*- tablegen -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef NORM_CONVERSION_PASSES
#define NORM_CONVERSION_PASSES

include "mlir/Pass/PassBase.td"

def ConvertNormToGPUPass : Pass<"convert-norm-to-gpu"> {
  let summary = "Lower norm ops on memrefs to row-parallel gpu.launch kernels";
  let description = [{
    Rewrites `norm.rms_norm`, `norm.layer_norm`, `norm.rms_norm_grad`,
    `norm.layer_norm_grad` and the split ops (`*_pre_all_gather`,
    `*_post_all_gather`) on memrefs (after bufferization) into
    `gpu.launch` ops whose bodies are written in the vector, arith, math, scf,
    memref and gpu dialects. The leading dims are collapsed into M rows and
    the normalized dims into N columns (identity layouts required).

    The mapping is chosen from N:
    - static N: a kernel specialized on N. Each row is handled by `Tr`
      threads (a power of two up to 32 with several rows per block for small
      N, a multiple of 32 up to 1024 with one row per block for large N),
      each holding `K` vectors of `V` elements (`V·sizeof = 16 bytes`, so
      loads and stores are 128-bit); the row stays in registers between the
      reduction and the normalization. Non-multiple tails are masked.
    - dynamic N: `loop-threads` threads per row that loop over the row and
      read it once per pass, with lane vectors of the widest width w that
      divides the run-time N (a host `scf.if` chain picks the kernel; w-wide
      accesses where every pointer is aligned, one-element accesses into the
      same lanes otherwise, so a row's bits depend on N alone).
    Reductions: butterfly `gpu.shuffle xor` within a warp, then one
    shared-memory slot per warp summed in a fixed order. Arithmetic is in
    the accumulation type (f32 unless `acc_type = f64`).

    Gradients: a persistent grid of at most `persistent-blocks` blocks walks
    the rows; each block keeps its dgamma/dbeta partials in registers (in
    the accumulation type), writes one partial row into a workspace
    (`gpu.alloc`), and a second kernel sums the partial rows per column in a
    fixed order: dgamma/dbeta are bitwise reproducible, with no atomics.

    The split ops share the forward kernel: `*_pre_all_gather` stops after
    the row sums (the same tree reductions, so the shard's stats are as
    accurate as the unsplit op's) and lane 0 writes `[n_p, Σh²]` or
    `[n_p, Σh, Σ(h − mean_p)²]`; `*_post_all_gather` merges the gathered
    stats of its row in shard order (every thread of the row, a loop over P)
    and normalizes. No rows launch nothing.

    ```mlir
    // norm-opt --convert-norm-to-gpu
    norm.rms_norm ins(%x : memref<?x4096xbf16>) gamma(%w : memref<4096xbf16>)
        outs(%y : memref<?x4096xbf16>)
    // becomes gpu.launch blocks(ceil(M/1)) threads(128): 4 × vector<8xbf16>
    // loads per thread, shuffles, one shared-memory exchange, 4 stores.
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect"
  ];
  let options = [
    Option<"vectorBytes", "vector-bytes", "int64_t", "16",
           "Bytes per vector access along a row (16 = 128-bit)">,
    Option<"persistentBlocks", "persistent-blocks", "int64_t", "264",
           "Blocks of the persistent gradient grid (2 per SM of an H100/H200)">,
    Option<"loopThreads", "loop-threads", "int64_t", "256",
           "Threads per row of the kernels for a dynamic N">,
    Option<"gradElements", "grad-elements", "int64_t", "8",
           "Elements per thread of the gradient kernels (static N; 1 to 64)">,
    Option<"gradPrefetch", "grad-prefetch", "bool", "true",
           "Gradient kernels load the next row before the current row's "
           "reductions">,
    Option<"gradLaunchBounds", "grad-launch-bounds", "bool", "true",
           "Gradient kernels of static N: a one-wave persistent grid from a "
           "register estimate, with minimum blocks per SM for ptxas">
  ];
}

def NormGPULaunchBoundsPass : Pass<"norm-gpu-launch-bounds", "::mlir::ModuleOp"> {
  let summary = "Launch bounds of outlined kernels from convert-norm-to-gpu's marks";
  let description = [{
    convert-norm-to-gpu marks the kernels whose grid it sized to a
    residency (`norm.min_blocks_per_sm = R : i32` on an op of the
    `gpu.launch` body: upstream's gpu-kernel-outlining drops the attributes
    of gpu.launch itself, but keeps those of the ops it moves). Run after
    outlining, this pass sets `nvvm.minctasm = R` on each marked `gpu.func`
    and removes the marks; with the block size that outlining records
    (`known_block_size`, PTX `.maxntid`) it becomes PTX `.minnctapersm`, so
    ptxas limits the registers per thread to what R resident blocks allow.
    A kernel with two different marks is an error.

    ```mlir
    gpu.func @k() kernel attributes {known_block_size = array<i32: 512, 1, 1>} {
      %b = gpu.block_id x {norm.min_blocks_per_sm = 2 : i32}
    // becomes
    gpu.func @k() kernel attributes {known_block_size = ..., nvvm.minctasm = 2 : i32}
      %b = gpu.block_id x
    ```
  }];
}

def NormGPUDeviceAllocsPass : Pass<"norm-gpu-device-allocs", "::mlir::func::FuncOp"> {
  let summary = "Allocate host-side temporaries of GPU code on the device";
  let description = [{
    After bufferization, temporaries that kernels read or write are
    `memref.alloc`s in host code. This pass turns each `memref.alloc` /
    `memref.dealloc` outside `gpu.launch` bodies into `gpu.alloc` /
    `gpu.dealloc`, so that the buffers live in device memory. Allocations
    inside kernels are left alone. An `scf.parallel` still on the host (a
    loop the GPU mapping did not take) is an error: it would touch device
    memory from the CPU.

    ```mlir
    %t = memref.alloc(%m) : memref<?xf32>   // becomes gpu.alloc (%m)
    ```
  }];
  let dependentDialects = ["::mlir::gpu::GPUDialect"];
}

def NormGPUEntryPointsPass : Pass<"norm-gpu-entry-points", "::mlir::ModuleOp"> {
  let summary = "Add C entry points taking device pointers and a CUDA stream";
  let description = [{
    For every public `func.func` whose arguments are memrefs with identity
    layouts (and index/integer/float scalars), adds
    `func.func @<prefix><name>(%stream: !llvm.ptr, %p0: !llvm.ptr, ...,
    %d0: i64, ...) -> i32`: one pointer per memref argument (its data, in
    device memory), then one i64 per dynamic size of the memref arguments in
    order, then the scalars. The wrapper builds the memref descriptors,
    makes `%stream` the stream of every launch and allocation of the call
    (through `normGpuSetStream` of the norm GPU runtime), calls the function,
    and returns the runtime's first error (0 = success). Memref results of
    the function are dropped: outputs are written into the arguments.

    ```mlir
    func.func @rms(%x: memref<?x4096xbf16>, %y: memref<?x4096xbf16>)
    // gains
    func.func @norm_rms(%stream: !llvm.ptr, %x: !llvm.ptr, %y: !llvm.ptr,
                        %m: i64, %m1: i64) -> i32
    ```
  }];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::func::FuncDialect"
  ];
  let options = [
    Option<"prefix", "prefix", "std::string", "\"norm_\"",
           "Prefix of the entry points' names">
  ];
}

def NormCheckMPIWorldPass : Pass<"norm-check-mpi-world", "::mlir::ModuleOp"> {
  let summary = "Make distributed functions check the number of processes";
  let description = [{
    A function partitioned for a grid of P processes (it holds shard
    collectives or process indices on `@grid`) computes wrong results,
    silently, when the program runs on another number of MPI processes:
    every process reads its shard by its rank, and the collectives span
    whoever is there. This pass makes such a function count the processes
    first (a `shard.all_reduce` of 1 over every axis of the grid, which MPI
    lowering turns into an `MPI_Allreduce` over `MPI_COMM_WORLD`) and stop
    with a message when the count is not P: `write(2, ...)` (unbuffered, so
    it is not lost when stdout is a pipe, as under mpirun) then `abort()`.
    Run before `convert-shard-to-mpi`; norm-lower-to-cpu does. The check
    costs one integer all-reduce per call. Functions on grids of dynamic
    shape, or on several grids of different sizes, are errors.

    ```mlir
    // norm-opt --norm-check-mpi-world
    %n = shard.all_reduce %one on @grid grid_axes = [0]
        : tensor<1xi64> -> tensor<1xi64>
    scf.if %wrong {   // "norm: @f was partitioned for the 4 processes of
                      //  @grid (shape 4) but runs on another number ..."
      func.call @write(%c2, %msg, %len) ...
      func.call @abort() : () -> ()
    }
    ```
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::LLVM::LLVMDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::shard::ShardDialect",
                           "::mlir::tensor::TensorDialect"];
}

def NormAllGatherToAllReducePass : Pass<"norm-all-gather-to-all-reduce"> {
  let summary = "Express shard.all_gather as a shard.all_reduce that MPI lowering handles";
  let description = [{
    LLVM 22's `convert-shard-to-mpi` lowers `shard.all_reduce` (to
    `MPI_Allreduce`) but not `shard.all_gather`, and its mpi dialect has no
    allgather op. Each `shard.all_gather` on tensors becomes: a zero tensor
    of the gathered shape, this process's block inserted at its offset along
    `gather_axis` (its linear index over `grid_axes`, from
    `shard.process_multi_index`), and a `shard.all_reduce` (sum) over the
    same grid axes. Bitwise the gather (each element has exactly one
    non-zero contributor); it moves P times the bytes of the block, which
    for norm statistics (2 or 3 values per row per shard) is small. Needs a
    static grid and a static size along `gather_axis`.

    ```mlir
    // norm-opt --norm-all-gather-to-all-reduce
    %g = shard.all_gather %s on @grid grid_axes = [0] gather_axis = 1
        : tensor<8x2xf32> -> tensor<8x8xf32>
    // becomes linalg.fill 0, tensor.insert_slice %s at [0, 2·rank], and
    %g = shard.all_reduce %placed on @grid grid_axes = [0]
        : tensor<8x8xf32> -> tensor<8x8xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::shard::ShardDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def NormFinalizeMPIPass : Pass<"norm-finalize-mpi", "::mlir::ModuleOp"> {
  let summary = "Make a module that convert-shard-to-mpi produced lowerable to LLVM";
  let description = [{
    Runs after upstream `convert-shard-to-mpi`: fails on any shard op left
    over, erases `shard.grid` symbols that nothing refers to (mlir-translate
    rejects them), and, when the module uses the mpi dialect and has no
    `dlti.map`, records which MPI it links against, which the mpi dialect's
    lowering to LLVM needs (MPI handles differ between implementations):

    ```mlir
    module attributes {dlti.map = #dlti.map<"MPI:Implementation" = "MPICH">}
    ```
  }];
  let dependentDialects = ["::mlir::DLTIDialect"];
  let options = [
    Option<"implementation", "implementation", "std::string", "\"MPICH\"",
           "The MPI the code links against: MPICH or OpenMPI">
  ];
}

#endif // NORM_CONVERSION_PASSES
