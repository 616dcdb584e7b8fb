//===- Passes.td - norm dialect passes ---------------------*- tablegen -*-===//
//
// Part of the norm project, under the Apache License v2.0 with LLVM
// Exceptions. SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
//===----------------------------------------------------------------------===//

#ifndef NORM_DIALECT_NORM_TRANSFORMS_PASSES_TD
#define NORM_DIALECT_NORM_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def NormDecomposePass : Pass<"norm-decompose"> {
  let summary = "Decompose norm ops into linalg on tensors";
  let description = [{
    Replaces norm ops by the linalg.generic / linalg.fill DAG that their
    `AggregatedOpInterface::decomposeOperation` builds (the same one
    `transform.structured.decompose_interface` uses): inputs widened to the
    accumulation type, reductions accumulated in it, outputs rounded once (or
    in the Llama order). Optional outputs that the op does not return are not
    materialized. Ops on memrefs are left alone: decompose before
    bufferization.

    `filter-ops` restricts the pass to the listed ops, so that a backend can
    keep the norm ops it lowers itself:

    ```mlir
    // norm-opt --norm-decompose="filter-ops=norm.layer_norm"
    %y = norm.rms_norm ins(%x : tensor<8x64xf32>) outs(%e : tensor<8x64xf32>)
        -> tensor<8x64xf32>           // kept
    %z = norm.layer_norm ins(%x : tensor<8x64xf32>) outs(%e : tensor<8x64xf32>)
        -> tensor<8x64xf32>           // becomes linalg.generic ops
    ```

    All eight ops decompose. Gradient ops compute only the outputs they
    have (dgamma and dbeta together in one pass over the rows); the
    post-all-gather ops merge the gathered statistics per row first.
  }];
  let dependentDialects = [
    "::mlir::norm::NormDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let options = [
    ListOption<"filterOps", "filter-ops", "std::string",
               "Decompose only these ops (e.g. norm.rms_norm); all when empty">
  ];
}

def NormFusePass : Pass<"norm-fuse"> {
  let summary = "Raise norms written in primitive ops into norm ops";
  let description = [{
    Recognizes RMSNorm and LayerNorm, forward and backward, however a
    frontend spelled them, and replaces them by `norm.rms_norm`,
    `norm.layer_norm`, `norm.rms_norm_grad` and `norm.layer_norm_grad`:

    * linalg (`linalg.generic`, fused or one op per step, and named ops:
      `linalg.reduce`, `map`, `broadcast`, `add`, `mul`, ...), tosa (with
      implicit broadcasts and keep-dim `reduce_sum`), and arith/math on
      tensors, mixed freely, with reshapes that add or drop unit dims and
      broadcasts between the steps;
    * the mean as Σ·(1/N), Σ/N or a reciprocal constant anywhere; rsqrt,
      1/sqrt, division by sqrt or pow(−0.5); x² as x·x, powf 2 or fpowi 2;
      f16/bf16 inputs widened and the result narrowed, before the weight
      multiply (`rounding = before_gamma`, the Hugging Face Llama order) or
      after it; weight, bias and the Gemma offset `(1 + w)`;
    * a residual add feeding a norm becomes its `residual` operand, with
      `residual_out` when the sum has other uses;
    * dx, dgamma and dbeta graphs, as autodiff or a decomposition writes
      them, in any subset, become one gradient op.

    The matcher does not pattern-match spellings: it evaluates a candidate
    into a canonical polynomial (`norm/Dialect/Norm/Utils/NormalForm.h`) and
    compares it with the norm's formula, so any algebraically equal form is
    found, and nothing that differs is raised (eps outside the sqrt, a
    count other than the reduced size, a reduction over other dims, ...).
    Intermediates used outside the norm must be values the op returns
    (rstd, mean, the residual sum); otherwise nothing is raised.

    With `report`, every raise and every near miss (a sqrt of a reduction
    that was not raised, with the step that did not match) is a remark.

    ```mlir
    // norm-opt --norm-fuse
    %sq = arith.mulf %x, %x : tensor<8x64xf32>
    %s = linalg.reduce ins(%sq : tensor<8x64xf32>) outs(%z : tensor<8xf32>)
        dimensions = [1] (%a: f32, %b: f32) { ... arith.addf ... }
    ...  // mean, + eps, rsqrt, broadcast, x * rstd * w
    // becomes
    %y = norm.rms_norm ins(%x : tensor<8x64xf32>) gamma(%w : tensor<64xf32>)
        outs(%e : tensor<8x64xf32>) {epsilon = 1.0e-06 : f64}
        -> tensor<8x64xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::norm::NormDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let options = [
    Option<"report", "report", "bool", "false",
           "Emit a remark for every raised norm and every near miss">
  ];
}

def NormTileRowsPass : Pass<"norm-tile-rows"> {
  let summary = "Tile norm ops into parallel loops over their rows";
  let description = [{
    Tiles every norm op on tensors through its `TilingInterface` into an
    `scf.forall` over its rows (tile size `tile-rows` on the innermost
    leading dim, 1 on the others), so that each iteration normalizes whole
    rows that stay in cache between the passes over them.

    A gradient op with dgamma/dbeta (which sum over every row) is tiled
    through its `PartialReductionOpInterface`, so that x and dy are read
    once for dx and dgamma/dbeta together: an `scf.forall` over
    `grad-chunks` chunks of the innermost leading dim, each writing its
    own partial dgamma/dbeta row, around an `scf.for` over the chunk's rows
    (`tile-rows` at a time) that computes the dx rows and adds dy·x̂ (and
    dy) into per-chunk accumulators; the partial rows are then summed in
    chunk order. The chunk count is fixed, not the thread count, so
    dgamma/dbeta are the same bits with any number of threads. A
    dgamma/dbeta-only op without leading dims is tiled by blocks of
    `tile-cols` columns.

    ```mlir
    // norm-opt --norm-tile-rows
    %y = norm.rms_norm ins(%x : tensor<?x4096xbf16>) outs(%e : tensor<?x4096xbf16>)
        -> tensor<?x4096xbf16>
    // becomes scf.forall (%i) in (%m) { norm.rms_norm on tensor<1x4096xbf16> }
    ```
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let options = [
    Option<"tileRows", "tile-rows", "int64_t", "1",
           "Rows per parallel iteration (innermost leading dim)">,
    Option<"tileCols", "tile-cols", "int64_t", "256",
           "Columns per parallel iteration of dgamma/dbeta-only gradient "
           "ops without leading dims">,
    Option<"gradChunks", "grad-chunks", "int64_t", "64",
           "Parallel chunks of rows of a gradient op with dgamma/dbeta, each "
           "with its own partial dgamma/dbeta row (fixed, so the sums do not "
           "depend on the thread count)">
  ];
}

def NormVectorizePass : Pass<"norm-vectorize"> {
  let summary = "Tile linalg ops by the vector width and vectorize them";
  let description = [{
    The codegen step between decomposition and bufferization, for the
    linalg-on-tensors DAGs that `norm-decompose` builds (and any other
    elementwise or reduction `linalg.generic`, `linalg.fill`):

    1. fuses elementwise producers into their same-shape consumers (so
       `x + residual` is not materialized when only the norm reads it), but
       never a per-row value into a per-element loop;
    2. tiles the innermost loop by `vector-width` elements (every other loop
       by 1); reductions along the innermost loop are tiled as partial
       reductions, so a row is summed in `vector-width` lanes and reduced
       across lanes once;
    3. peels the remainder iteration, so the main loop has static shapes;
    4. vectorizes the static tiles (`linalg::vectorize`); the remainders
       (fewer than `vector-width` elements per row) stay scalar loops.

    ```mlir
    // norm-opt --norm-tile-rows --norm-decompose --norm-vectorize
    // A row sum of a 1x100 tile becomes, per row:
    //   scf.for %j = 0 to 96 step 16 iter_args(%acc : tensor<1x16xf32>)
    //     vector.transfer_read ... vector<16xbf16>; arith.extf; mulf; addf
    //   the 4-element remainder on vector<4xf32>
    //   vector.reduction <add>, %acc : vector<16xf32> into f32
    ```
  }];
  let dependentDialects = [
    "::mlir::affine::AffineDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect"
  ];
  let options = [
    Option<"vectorWidth", "vector-width", "int64_t", "16",
           "Elements per vector along the innermost dim">
  ];
}

def NormNontemporalStoresPass
    : Pass<"norm-nontemporal-stores", "::mlir::func::FuncOp"> {
  let summary = "Make wide vector stores into argument buffers nontemporal";
  let description = [{
    Marks every 1-D vector store into a buffer that is (a view of) an
    argument of the function nontemporal when one store writes at least
    `min-bytes` bytes (a cache line by default): LLVM then emits streaming
    stores (`vmovntps`), which write outputs much larger than the caches
    without reading their lines first. In-bounds, unmasked, minor-identity
    `vector.transfer_write`s become `vector.store {nontemporal = true}`;
    temporaries (allocations, the stack) are left alone. Run it on memrefs,
    after bufferization.

    ```mlir
    // norm-opt --norm-nontemporal-stores
    vector.transfer_write %v, %y[%i, %j] {in_bounds = [true]}
        : vector<16xf32>, memref<?x?xf32>          // %y: a function argument
    // becomes
    vector.store %v, %y[%i, %j] {nontemporal = true} : memref<?x?xf32>, vector<16xf32>
    ```

    Measured (docs/CPU.md): a gain for f32 outputs (16 × f32 = one 64-byte
    line per store), a loss for bf16 ones (32-byte stores), so the CPU
    pipeline's `nontemporal-stores` option is off by default.
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect"];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", "64",
           "Smallest store (bytes) made nontemporal">
  ];
}

def NormSetLLVMTargetPass : Pass<"norm-set-llvm-target"> {
  let summary = "Set target CPU and features on every llvm.func";
  let description = [{
    Sets `target_cpu` and `target_features` on every `llvm.func`, so that
    LLVM code generation (llc, mlir-runner, ExecutionEngine) uses the vector
    instructions the pipeline was tuned for, e.g. `cpu=x86-64-v3` or
    `features=+avx2,+fma`. Empty options leave the functions alone.

    ```mlir
    // norm-opt --norm-set-llvm-target="cpu=x86-64-v3 features=+avx2,+fma"
    llvm.func @f() attributes {target_cpu = "x86-64-v3",
        target_features = #llvm.target_features<["+avx2", "+fma"]>}
    ```

    `cpu=native` is the host's CPU (`llvm::sys::getHostCPUName`), resolved
    here: llc and the JIT do not accept "native" as a processor name.
  }];
  let options = [
    Option<"cpu", "cpu", "std::string", "\"\"", "Target CPU (llc -mcpu)">,
    Option<"features", "features", "std::string", "\"\"",
           "Target features (llc -mattr), e.g. +avx2,+fma">
  ];
}

def NormDropReturnedArgumentsPass
    : Pass<"norm-drop-returned-arguments", "::mlir::ModuleOp"> {
  let summary = "Drop function results that return an argument buffer";
  let description = [{
    After one-shot bufferization with `bufferize-function-boundaries`, a
    function on tensors in destination style returns its output arguments'
    buffers. Upstream `drop-equivalent-buffer-results` leaves public
    functions alone, and the ownership-based deallocation then clones every
    returned argument (a host-side copy, wrong for device buffers). This pass
    drops every result that is, at every return, the same argument of the
    function, in public functions too; calls in the module use the argument
    they passed instead. The caller's buffer is where the output lands.

    ```mlir
    func.func @f(%x: memref<4xf32>, %y: memref<4xf32>) -> memref<4xf32> {
      ... writes %y ...
      return %y : memref<4xf32>
    }
    // becomes func.func @f(%x: memref<4xf32>, %y: memref<4xf32>)
    ```
  }];
}

def NormSplitAllGatherPass : Pass<"norm-split-all-gather"> {
  let summary = "Split norms over a sharded normalized dim into pre → all-gather → post";
  let description = [{
    For SPMD code in which every device holds one shard of the normalized
    dims of each row (tensor parallelism over the hidden dim), replaces

    * `norm.rms_norm` / `norm.layer_norm` (with or without residual) by
      `*_pre_all_gather` on the local shard → `shard.all_gather` of the
      per-row statistics along their last dim over `grid-axes` of `grid` →
      `*_post_all_gather`, which merges the P shards' statistics and
      normalizes the local shard;
    * `norm.rms_norm_grad` / `norm.layer_norm_grad` that compute dx by the
      decomposed gradient whose per-row sums (Σ g·x̂, and Σ g for layer norm)
      are `shard.all_reduce`d over the same axes before dx uses them;
      dgamma/dbeta are local to the shard's columns and stay a gradient op.

    Every shard must hold the same number of columns (as the shard
    dialect's static shapes require). The rewrite is `buildDistributedNorm`
    (`norm/Dialect/Norm/Transforms/Sharding.h`), which upstream
    `shard-partition` also reaches through the norm ops'
    `ShardingInterface` for code annotated with `shard.shard`.

    ```mlir
    // norm-opt --norm-split-all-gather="grid=grid grid-axes=0"
    shard.grid @grid(shape = 4)
    %y = norm.rms_norm ins(%x : tensor<8x256xf32>) outs(%e : tensor<8x256xf32>)
        -> tensor<8x256xf32>
    // becomes
    %s = norm.rms_norm_pre_all_gather ins(%x : tensor<8x256xf32>)
        outs(%s0 : tensor<8x2xf32>) {stats_layout = #norm.stats<count_sumsq>}
        -> tensor<8x2xf32>
    %g = shard.all_gather %s on @grid grid_axes = [0] gather_axis = 1
        : tensor<8x2xf32> -> tensor<8x8xf32>
    %y = norm.rms_norm_post_all_gather ins(%x : tensor<8x256xf32>)
        stats(%g : tensor<8x8xf32>) outs(%e : tensor<8x256xf32>)
        {stats_layout = #norm.stats<count_sumsq>} -> tensor<8x256xf32>
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::shard::ShardDialect",
    "::mlir::tensor::TensorDialect"
  ];
  let options = [
    Option<"grid", "grid", "std::string", "\"\"",
           "The shard.grid symbol the normalized dims are split over">,
    ListOption<"gridAxes", "grid-axes", "int64_t",
               "Grid axes that split the normalized dims (all when empty)">
  ];
}

def NormLowerPackUnpackPass : Pass<"norm-lower-pack-unpack"> {
  let summary = "Lower linalg.pack / linalg.unpack on tensors to pad, reshape and transpose";
  let description = [{
    One-shot bufferization in MLIR 22.1 does not bufferize `linalg.pack` and
    `linalg.unpack` ("op was not bufferized"), and upstream has no pass that
    lowers them (only the transform ops `lower_pack` / `lower_unpack`). This
    pass applies the same rewrites, `linalg::lowerPack` and
    `linalg::lowerUnPack`, to every pack and unpack on tensors:

    ```mlir
    %p = linalg.pack %x padding_value(%c0 : f32) inner_dims_pos = [0, 1]
        inner_tiles = [4, 8] into %e : tensor<8x37xf32> -> tensor<2x5x4x8xf32>
    // becomes tensor.pad to 8x40, tensor.expand_shape to 2x4x5x8 and
    // linalg.transpose to 2x5x4x8
    ```

    The work is `populateNormLowerPackUnpackPatterns`.
  }];
  let dependentDialects = [
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect"
  ];
}

def NormCheckLoweredPass : Pass<"norm-check-lowered", "::mlir::ModuleOp"> {
  let summary = "Fail on any op that LLVM IR translation would reject";
  let description = [{
    The last step of `norm-lower-to-cpu` and `norm-lower-to-nvvm`: every op
    left in the module must belong to a dialect that `mlir-translate
    --mlir-to-llvmir` translates (`builtin`, `llvm`, `omp`, and for the GPU
    pipeline `gpu` modules/binaries and `nvvm`), otherwise the pass fails
    with an error located at the first such op, naming it, instead of
    handing back IR that the next tool rejects. `dialects` lists the
    accepted dialect namespaces, or op names (with a dot) accepted one by
    one: the GPU pipeline accepts `gpu.binary` and `gpu.launch_func`, which
    the translation to LLVM IR turns into the embedded binary and its
    launches, and nothing else of `gpu`.

    ```mlir
    // norm-opt --norm-check-lowered
    %0 = math.erf %x : f32   // error: 'math.erf' was not lowered to LLVM
    ```
  }];
  let options = [
    ListOption<"dialects", "dialects", "std::string",
               "Dialects accepted in the lowered module (default: builtin, "
               "llvm, omp)">
  ];
}

def NormCheckTensorFormPass : Pass<"norm-check-tensor-form"> {
  let summary = "Reject norm ops that a tensor-level pipeline cannot lower";
  let description = [{
    The first step of `norm-lower-to-cpu` and `norm-lower-to-nvvm`: their
    norm lowering (tiling, decomposition, GPU kernels) works on norm ops
    with tensor semantics. A norm op on memrefs, or one nested in a
    `gpu.launch` body, would otherwise pass through untouched and leave a
    `norm` op in the "LLVM" output; this pass fails with an error located
    at the op instead. `memref-ops` names the norm ops the pipeline lowers
    on memrefs too (the GPU pipeline's convert-norm-to-gpu does so for every
    norm op).

    ```mlir
    // norm-opt --norm-check-tensor-form
    norm.rms_norm ins(%x : memref<8x64xf32>) outs(%y : memref<8x64xf32>)
    // error: norm ops on memrefs are not lowered by this pipeline; write it
    // on tensors (bufferization.to_tensor + materialize_in_destination)
    ```
  }];
  let options = [
    ListOption<"memrefOps", "memref-ops", "std::string",
               "Norm ops accepted on memrefs (e.g. norm.rms_norm)">
  ];
}

#endif // NORM_DIALECT_NORM_TRANSFORMS_PASSES_TD
