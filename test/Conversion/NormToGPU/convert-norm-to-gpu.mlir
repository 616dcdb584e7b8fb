// RUN: norm-opt %s --convert-norm-to-gpu -split-input-file | FileCheck %s
// RUN: norm-opt %s --convert-norm-to-gpu="grad-launch-bounds=false" -split-input-file | FileCheck %s --check-prefix=NOLB

// Static N = 4096 bf16: 128 threads per row (one row per block), four
// 128-bit loads per thread, kept in registers; warp shuffles, then one
// shared-memory exchange; rstd written by lane 0; launch skipped when M = 0.
// CHECK-LABEL: func.func @rms_static
// CHECK:         %[[M:.+]] = memref.dim %{{.+}}, %c0
// CHECK:         arith.cmpi ugt, %[[M]], %c0
// CHECK:         scf.if
// CHECK:           gpu.launch blocks({{.*}}) in ({{.*}} = %[[M]], {{.*}}) threads({{.*}}) in ({{.*}} = %c128,
// CHECK-SAME:        workgroup(%{{.+}} : memref<4x32xf32, #gpu.address_space<workgroup>>)
// CHECK-COUNT-4:     vector.load {{.*}} {alignment = 16 : i64} : memref<?x4096xbf16>, vector<8xbf16>
// CHECK:             gpu.shuffle  xor {{.*}}, %c16_i32, %c32_i32 : f32
// CHECK:             gpu.barrier
// CHECK:             math.sqrt
// CHECK:             memref.store {{.*}} : memref<?xf32>
// CHECK-COUNT-4:     vector.store {{.*}} {alignment = 16 : i64} : memref<?x4096xbf16>, vector<8xbf16>
// CHECK-NOT:         vector.load
// CHECK:             gpu.terminator
func.func @rms_static(%x: memref<?x4096xbf16>, %w: memref<4096xbf16>,
                      %y: memref<?x4096xbf16>, %r: memref<?xf32>) {
  norm.rms_norm ins(%x : memref<?x4096xbf16>) gamma(%w : memref<4096xbf16>)
      outs(%y : memref<?x4096xbf16>) rstd(%r : memref<?xf32>)
  return
}

// -----

// Short rows (N = 200 f32: 50 vectors of 4): 8 threads per row (7 vectors
// each, the last masked), 32 rows per 256-thread block, rows past M
// predicated; rank 3 collapsed into rows; the reduction stays within the 8
// lanes of a row, with no barrier.
// CHECK-LABEL: func.func @layer_short
// CHECK:         memref.collapse_shape %{{.+}} {{\[}}[0, 1], [2]] : memref<?x8x200xf32> into memref<?x200xf32>
// CHECK:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c256,
// CHECK:           scf.if {{.*}} -> (vector<4xf32>)
// CHECK-NOT:       gpu.shuffle  xor {{.*}}, %c8_i32
// CHECK:           gpu.shuffle  xor {{.*}}, %c4_i32, %c32_i32 : f32
// CHECK:           gpu.shuffle  xor {{.*}}, %c1_i32, %c32_i32 : f32
// CHECK-NOT:       gpu.shuffle  xor {{.*}}, %c8_i32
// CHECK-NOT:       gpu.barrier
// CHECK:           gpu.terminator
func.func @layer_short(%x: memref<?x8x200xf32>, %b: memref<200xf32>,
                       %y: memref<?x8x200xf32>) {
  norm.layer_norm ins(%x : memref<?x8x200xf32>) beta(%b : memref<200xf32>)
      outs(%y : memref<?x8x200xf32>)
  return
}

// -----

// Dynamic N: the host picks the widest lane vector w (8, 4, 2 f16, then
// scalar) that divides N; w fixes the lanes, so a row's bits depend on N
// only. For the widest w, N up to 2048, 4096 or 8192 runs the static
// mapping of that capacity (64, 128, 256 threads; row unrolled in
// registers, every vector masked by the run-time N); beyond, and for the
// narrower w, 256 threads loop over the row (scf.for with step 256). Each
// kernel comes in two: w-wide accesses (both pointers aligned to w elements,
// at most 16 B) and one-element accesses into the same w lanes.
// CHECK-LABEL: func.func @rms_dynamic
// CHECK:         %[[N:.+]] = memref.dim %{{.+}}, %c1
// CHECK:         arith.remui %[[N]], %c8
// CHECK:         scf.if
// CHECK:         arith.cmpi ule, %[[N]], %c2048
// CHECK:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c64,
// CHECK-NOT:       scf.for
// CHECK:           vector.load %arg0{{.*}} {alignment = 16 : i64} : memref<?x?xf16>, vector<8xf16>
// CHECK:         arith.cmpi ule, %[[N]], %c4096
// CHECK:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c128,
// CHECK:         arith.cmpi ule, %[[N]], %c8192
// CHECK:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c256,
// CHECK-NOT:       scf.for
// CHECK:         } else {
// CHECK:         memref.extract_aligned_pointer_as_index %arg0
// CHECK:         arith.remui %{{.+}}, %c16
// CHECK:         memref.extract_aligned_pointer_as_index %arg1
// CHECK:         arith.remui %{{.+}}, %c16
// CHECK:         scf.if
// CHECK:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c256,
// CHECK:           scf.for {{.*}} step %c256 iter_args
// CHECK:           vector.load %arg0{{.*}} {alignment = 16 : i64} : memref<?x?xf16>, vector<8xf16>
// CHECK:           gpu.barrier
// CHECK:           scf.for {{.*}} step %c256
// CHECK:         } else {
// CHECK:         gpu.launch
// CHECK:           memref.load %arg0
// CHECK:           vector.insert {{.*}} [7] : f16 into vector<8xf16>
// CHECK:           vector.extract {{.*}}[7] : f16 from vector<8xf16>
// CHECK:           memref.store {{.*}}, %arg1
// CHECK:         } else {
// CHECK:         arith.remui %[[N]], %c4
// CHECK:           vector.load %arg0{{.*}} {alignment = 8 : i64} : memref<?x?xf16>, vector<4xf16>
// CHECK:         arith.remui %[[N]], %c2
// CHECK:           vector.load %arg0{{.*}} {alignment = 4 : i64} : memref<?x?xf16>, vector<2xf16>
// CHECK:         } else {
// CHECK:         } else {
// CHECK-NOT:       remui %[[N]]
// CHECK:           vector.load %arg0{{.*}} {alignment = 2 : i64} : memref<?x?xf16>, vector<1xf16>
// CHECK-NOT:       vector.insert {{.*}} [1]
// CHECK:         return
func.func @rms_dynamic(%x: memref<?x?xf16>, %y: memref<?x?xf16>) {
  norm.rms_norm ins(%x : memref<?x?xf16>) outs(%y : memref<?x?xf16>)
  return
}

// -----

// Dynamic-N gradients: buckets of at most 512 threads (2048: 256 threads,
// 4096: 512); the 8192 bucket, 1024 threads at the default 8 elements a
// thread (it would spill at its 64 registers), takes 512 threads of 16.
// N > 8192 loops.
// CHECK-LABEL: func.func @layer_grad_dynamic
// CHECK:         %[[N:.+]] = memref.dim %{{.+}}, %c1
// CHECK:         arith.remui %[[N]], %c8
// CHECK:         arith.cmpi ule, %[[N]], %c2048
// CHECK:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c256,
// CHECK:         arith.cmpi ule, %[[N]], %c4096
// CHECK:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c512,
// CHECK:         arith.cmpi ule, %[[N]], %c8192
// CHECK:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c512,
// CHECK-NOT:       scf.for {{.*}} step %c256
// CHECK:         } else {
// CHECK:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c256,
// CHECK:           scf.for {{.*}} step %c256
// CHECK:         arith.remui %[[N]], %c4
func.func @layer_grad_dynamic(%dy: memref<?x?xbf16>, %x: memref<?x?xbf16>,
                              %mean: memref<?xf32>, %rstd: memref<?xf32>,
                              %w: memref<?xbf16>, %dx: memref<?x?xbf16>,
                              %dw: memref<?xf32>, %db: memref<?xf32>) {
  norm.layer_norm_grad ins(%dy : memref<?x?xbf16>, %x : memref<?x?xbf16>,
                           %mean : memref<?xf32>, %rstd : memref<?xf32>)
      gamma(%w : memref<?xbf16>)
      outs dx(%dx : memref<?x?xbf16>) dgamma(%dw : memref<?xf32>)
           dbeta(%db : memref<?xf32>)
  return
}

// -----

// Gradient with dgamma and dbeta: a persistent grid (at most 264 blocks of
// 512 threads) writes one partial row per block into device memory, then
// one fixed-order column-sum kernel (32 × 32 threads) reduces both. The row
// loop is software-pipelined: the next row's x and dy (bf16) and its mean
// and rstd are loaded before this row's work and carried as iter_args.
// With grad-launch-bounds (the default) the grid is the blocks per SM that
// the register estimate allows (2 of 512 threads: 264 = 2 × 132 SMs), and
// the kernel is marked for norm-gpu-launch-bounds; without, the same grid,
// no mark.
// CHECK-LABEL: func.func @layer_grad
// CHECK:         %[[G:.+]] = arith.minui %{{.+}}, %c264
// NOLB-LABEL: func.func @layer_grad
// NOLB:         arith.minui %{{.+}}, %c264
// NOLB-NOT:     norm.min_blocks_per_sm
// CHECK:         %[[PG:.+]] = gpu.alloc  (%[[G]]) : memref<?x4096xf32>
// CHECK:         %[[PB:.+]] = gpu.alloc  (%[[G]]) : memref<?x4096xf32>
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %[[G]], {{.*}}) threads({{.*}}) in ({{.*}} = %c512,
// CHECK:           gpu.block_id  x {norm.min_blocks_per_sm = 2 : i32}
// CHECK:           gpu.grid_dim  x
// CHECK:           scf.for {{.*}} iter_args({{.*}}) -> ({{.*}}vector<8xbf16>, vector<8xbf16>, f32, f32)
// CHECK:             gpu.shuffle
// CHECK:             scf.yield
// CHECK:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c32, {{.*}} = %c32,
// CHECK-SAME:      workgroup({{.*}} : memref<2x32x32xf32, #gpu.address_space<workgroup>>)
// CHECK-NOT:     gpu.launch
// CHECK:         gpu.dealloc  %[[PG]]
// CHECK:         gpu.dealloc  %[[PB]]
func.func @layer_grad(%dy: memref<?x4096xbf16>, %x: memref<?x4096xbf16>,
                      %mean: memref<?xf32>, %rstd: memref<?xf32>,
                      %w: memref<4096xbf16>, %dx: memref<?x4096xbf16>,
                      %dw: memref<4096xf32>, %db: memref<4096xf32>) {
  norm.layer_norm_grad ins(%dy : memref<?x4096xbf16>, %x : memref<?x4096xbf16>,
                           %mean : memref<?xf32>, %rstd : memref<?xf32>)
      gamma(%w : memref<4096xbf16>)
      outs dx(%dx : memref<?x4096xbf16>) dgamma(%dw : memref<4096xf32>)
           dbeta(%db : memref<4096xf32>)
  return
}

// -----

// The column-sum kernel keeps 1024 threads but takes 8 columns a block
// when 32 would leave fewer than 64 blocks (N <= 2016): N = 1024 gets 8
// columns × 128 partial-row lanes (grid 128), whose sums a fixed tree adds
// (7 halving steps, a barrier after each); N = 2048 keeps 32 × 32 and one
// barrier (thread 0 adds the 32 sums in order).
// CHECK-LABEL: func.func @layer_grad_1k
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %{{.+}}, {{.*}}) threads({{.*}}) in ({{.*}} = %c128,
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %c128, {{.*}}) threads({{.*}}) in ({{.*}} = %c8, {{.*}} = %c128,
// CHECK-SAME:      workgroup({{.*}} : memref<2x128x8xf32, #gpu.address_space<workgroup>>)
// CHECK-COUNT-8:   gpu.barrier
// CHECK-NOT:       gpu.barrier
// CHECK:           gpu.terminator
func.func @layer_grad_1k(%dy: memref<?x1024xbf16>, %x: memref<?x1024xbf16>,
                         %mean: memref<?xf32>, %rstd: memref<?xf32>,
                         %w: memref<1024xbf16>, %dx: memref<?x1024xbf16>,
                         %dw: memref<1024xf32>, %db: memref<1024xf32>) {
  norm.layer_norm_grad ins(%dy : memref<?x1024xbf16>, %x : memref<?x1024xbf16>,
                           %mean : memref<?xf32>, %rstd : memref<?xf32>)
      gamma(%w : memref<1024xbf16>)
      outs dx(%dx : memref<?x1024xbf16>) dgamma(%dw : memref<1024xf32>)
           dbeta(%db : memref<1024xf32>)
  return
}

// -----

// CHECK-LABEL: func.func @rms_grad_2k
// CHECK:         gpu.launch blocks({{.*}}) in ({{.*}} = %c64, {{.*}}) threads({{.*}}) in ({{.*}} = %c32, {{.*}} = %c32,
// CHECK-SAME:      workgroup({{.*}} : memref<1x32x32xf32, #gpu.address_space<workgroup>>)
// CHECK-COUNT-1:   gpu.barrier
// CHECK-NOT:       gpu.barrier
// CHECK:           gpu.terminator
func.func @rms_grad_2k(%dy: memref<?x2048xf16>, %x: memref<?x2048xf16>,
                       %rstd: memref<?xf32>, %w: memref<2048xf16>,
                       %dx: memref<?x2048xf16>, %dw: memref<2048xf32>) {
  norm.rms_norm_grad ins(%dy : memref<?x2048xf16>, %x : memref<?x2048xf16>,
                         %rstd : memref<?xf32>)
      gamma(%w : memref<2048xf16>)
      outs dx(%dx : memref<?x2048xf16>) dgamma(%dw : memref<2048xf32>)
  return
}

// -----

// Only dx: no partial sums, no workspace, one launch.
// CHECK-LABEL: func.func @rms_grad_dx
// CHECK-NOT:     gpu.alloc
// CHECK-COUNT-1: gpu.launch
// CHECK-NOT:     gpu.launch
func.func @rms_grad_dx(%dy: memref<?x1024xf32>, %x: memref<?x1024xf32>,
                       %rstd: memref<?xf32>, %dx: memref<?x1024xf32>) {
  norm.rms_norm_grad ins(%dy : memref<?x1024xf32>, %x : memref<?x1024xf32>,
                         %rstd : memref<?xf32>)
      outs dx(%dx : memref<?x1024xf32>)
  return
}

// -----

// A runtime eps (issue 16 class 7) is read inside the kernel (outlining
// makes it a kernel argument) instead of a constant.
// CHECK-LABEL: func.func @rms_runtime_eps
// CHECK-SAME:    %[[EPS:[a-z0-9]+]]: f32
// CHECK:         gpu.launch
// CHECK:           %[[VAR:.+]] = arith.divf
// CHECK:           arith.addf %[[VAR]], %[[EPS]] : f32
// CHECK:           math.sqrt
func.func @rms_runtime_eps(%x: memref<?x4096xbf16>, %eps: f32, %y: memref<?x4096xbf16>) {
  norm.rms_norm ins(%x : memref<?x4096xbf16>) eps(%eps : f32) outs(%y : memref<?x4096xbf16>)
  return
}

// -----

// A huge static N (2^24 bf16: 2048 vectors of 8 per thread if unrolled) is
// not unrolled (issue 23.12): 1024 threads loop over the row in 16-byte
// vectors, as for a dynamic N, and the kernel stays small.
// CHECK-LABEL: func.func @rms_huge_static
// CHECK:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c1024,
// CHECK:           scf.for {{.*}} step %c1024 iter_args({{.*}}) -> (vector<8xf32>)
// CHECK:             vector.load {{.*}} : memref<?x16777216xbf16>, vector<8xbf16>
// CHECK:           gpu.barrier
// CHECK:           scf.for {{.*}} step %c1024
// CHECK-COUNT-1:     vector.store {{.*}} : memref<?x16777216xbf16>, vector<8xbf16>
// CHECK-NOT:       vector.store
// CHECK:           gpu.terminator
func.func @rms_huge_static(%x: memref<?x16777216xbf16>, %w: memref<16777216xbf16>,
                           %y: memref<?x16777216xbf16>) {
  norm.rms_norm ins(%x : memref<?x16777216xbf16>) gamma(%w : memref<16777216xbf16>)
      outs(%y : memref<?x16777216xbf16>)
  return
}

// -----

// The same for the backward of a huge static N: a loop, not 2^24/8/1024
// unrolled chunks.
// CHECK-LABEL: func.func @layer_grad_huge_static
// CHECK:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c1024,
// CHECK:           scf.for {{.*}} step %c1024
// CHECK-NOT:       vector<8xbf16>, vector<8xbf16>, vector<8xbf16>
// CHECK:           gpu.terminator
func.func @layer_grad_huge_static(%dy: memref<?x16777216xbf16>, %x: memref<?x16777216xbf16>,
                                  %m: memref<?xf32>, %r: memref<?xf32>,
                                  %w: memref<16777216xbf16>, %dx: memref<?x16777216xbf16>) {
  norm.layer_norm_grad ins(%dy : memref<?x16777216xbf16>, %x : memref<?x16777216xbf16>,
                           %m : memref<?xf32>, %r : memref<?xf32>)
      gamma(%w : memref<16777216xbf16>) outs dx(%dx : memref<?x16777216xbf16>)
  return
}

// -----

// The split ops share the forward kernel. pre_all_gather (rms, bf16 N = 1024,
// residual): 32 threads per row, 8 rows per block; h = x + residual stored
// as residual_out in the one pass; the tree sum of h², and lane 0 writes
// [n_p, Σh²] into the stats; no y, no launch when M = 0.
// CHECK-LABEL: func.func @pre_rms
// CHECK-DAG:     %[[N:.+]] = arith.constant 1.024000e+03 : f32
// CHECK:         %[[M:.+]] = memref.dim %{{.+}}, %c0
// CHECK:         arith.cmpi ugt, %[[M]], %c0
// CHECK:         scf.if
// CHECK:           gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c256,
// CHECK-COUNT-4:     vector.store {{.*}} : memref<?x1024xbf16>, vector<8xbf16>
// CHECK:             gpu.shuffle  xor {{.*}}, %c1_i32, %c32_i32 : f32
// CHECK:             scf.if
// CHECK-NEXT:          memref.store %[[N]], %{{.+}}[%{{.+}}, %c0] : memref<?x2xf32>
// CHECK-NEXT:          memref.store %{{.+}}, %{{.+}}[%{{.+}}, %c1] : memref<?x2xf32>
// CHECK-NOT:         vector.store
// CHECK:             gpu.terminator
func.func @pre_rms(%x: memref<?x1024xbf16>, %r: memref<?x1024xbf16>,
                   %s: memref<?x2xf32>, %h: memref<?x1024xbf16>) {
  norm.rms_norm_pre_all_gather ins(%x : memref<?x1024xbf16>)
      residual(%r : memref<?x1024xbf16>) outs(%s : memref<?x2xf32>)
      residual_out(%h : memref<?x1024xbf16>)
      {stats_layout = #norm.stats<count_sumsq>}
  return
}

// -----

// pre_all_gather (layer, f32 N = 384): Σh, then Σ(h − m₁) and Σ(h − m₁)²
// from registers; lane 0 writes [n_p, Σh, M2] with M2 centered on the
// shard's own mean.
// CHECK-LABEL: func.func @pre_layer
// CHECK:         gpu.launch
// CHECK:           memref.store %{{.+}}, %{{.+}}[%{{.+}}, %c0] : memref<?x3xf32>
// CHECK-NEXT:      memref.store %{{.+}}, %{{.+}}[%{{.+}}, %c1] : memref<?x3xf32>
// CHECK-NEXT:      memref.store %{{.+}}, %{{.+}}[%{{.+}}, %c2] : memref<?x3xf32>
// CHECK-NOT:       vector.store
func.func @pre_layer(%x: memref<?x384xf32>, %s: memref<?x3xf32>) {
  norm.layer_norm_pre_all_gather ins(%x : memref<?x384xf32>)
      outs(%s : memref<?x3xf32>) {stats_layout = #norm.stats<count_sum_m2>}
  return
}

// -----

// post_all_gather (layer, f16, dynamic N and P): the width dispatch of a
// dynamic N; in the kernel, the gathered stats of the row summed over the
// P = K·P/3 shards in order, then the between-shard term (an empty shard
// adds 0), mean and rstd stored by lane 0, and the row normalized.
// CHECK-LABEL: func.func @post_layer
// CHECK:         arith.remui %{{.+}}, %c8
// CHECK:         gpu.launch
// CHECK:           %[[E:.+]] = memref.dim %{{.+}}, %c1 : memref<?x?xf32>
// CHECK:           %[[P:.+]] = arith.divui %[[E]], %c3
// CHECK:           scf.for %{{.+}} = %c0 to %[[P]] step %c1 iter_args({{.*}}) -> (f32, f32, f32)
// CHECK-COUNT-3:     memref.load %{{.+}} : memref<?x?xf32>
// CHECK:           scf.for %{{.+}} = %c0 to %[[P]] step %c1 iter_args({{.*}}) -> (f32)
// CHECK:             arith.cmpf ole
// CHECK:             arith.select
// CHECK:           math.sqrt
// CHECK:           memref.store {{.*}} : memref<?xf32>
// CHECK:           memref.store {{.*}} : memref<?xf32>
// CHECK:           scf.for
// CHECK:             vector.store {{.*}} : memref<?x?xf16>, vector<8xf16>
func.func @post_layer(%x: memref<?x?xf16>, %s: memref<?x?xf32>,
                      %w: memref<?xf16>, %b: memref<?xf16>,
                      %y: memref<?x?xf16>, %m: memref<?xf32>,
                      %rs: memref<?xf32>) {
  norm.layer_norm_post_all_gather ins(%x : memref<?x?xf16>)
      stats(%s : memref<?x?xf32>) gamma(%w : memref<?xf16>)
      beta(%b : memref<?xf16>) outs(%y : memref<?x?xf16>)
      mean(%m : memref<?xf32>) rstd(%rs : memref<?xf32>)
      {stats_layout = #norm.stats<count_sum_m2>}
  return
}

// -----

// post_all_gather (rms, bf16 N = 4096, static P = 4): N = Σ n_p and
// rstd = 1/sqrt(Σ S_p / N + ε) from the stats, then the forward's
// normalization (γ with the Gemma offset).
// CHECK-LABEL: func.func @post_rms
// CHECK:         gpu.launch
// CHECK:           scf.for %{{.+}} = %c0 to %c4 step %c1 iter_args({{.*}}) -> (f32, f32)
// CHECK:           arith.divf
// CHECK:           math.sqrt
// CHECK-COUNT-4:   vector.store {{.*}} : memref<?x4096xbf16>, vector<8xbf16>
func.func @post_rms(%x: memref<?x4096xbf16>, %s: memref<?x8xf32>,
                    %w: memref<4096xbf16>, %y: memref<?x4096xbf16>) {
  norm.rms_norm_post_all_gather ins(%x : memref<?x4096xbf16>)
      stats(%s : memref<?x8xf32>) gamma(%w : memref<4096xbf16>)
      outs(%y : memref<?x4096xbf16>)
      {stats_layout = #norm.stats<count_sumsq>, gamma_offset = 1.0 : f64}
  return
}

// -----

// N = 16384 bf16 layer norm gradient: 1024 threads a row would hold 16
// elements each, and the two column sums plus the loaded row exceed half
// of the 64 registers such a block allows, so the row gets 512 threads of
// 32 elements (128 registers); one block of them fits an SM, so the grid
// is 132 blocks (one wave), marked 1. Without launch bounds the mapping is
// the same; the grid is 264 blocks (two waves) and there is no mark.
// CHECK-LABEL: func.func @layer_grad_16k
// CHECK:         arith.minui %{{.+}}, %c132
// CHECK:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c512,
// CHECK:           gpu.block_id  x {norm.min_blocks_per_sm = 1 : i32}
// NOLB-LABEL: func.func @layer_grad_16k
// NOLB:         arith.minui %{{.+}}, %c264
// NOLB:         gpu.launch {{.*}} threads({{.*}}) in ({{.*}} = %c512,
// NOLB-NOT:     norm.min_blocks_per_sm
func.func @layer_grad_16k(%dy: memref<?x16384xbf16>, %x: memref<?x16384xbf16>,
                          %mean: memref<?xf32>, %rstd: memref<?xf32>,
                          %w: memref<16384xbf16>, %dx: memref<?x16384xbf16>,
                          %dw: memref<16384xf32>, %db: memref<16384xf32>) {
  norm.layer_norm_grad ins(%dy : memref<?x16384xbf16>, %x : memref<?x16384xbf16>,
                           %mean : memref<?xf32>, %rstd : memref<?xf32>)
      gamma(%w : memref<16384xbf16>)
      outs dx(%dx : memref<?x16384xbf16>) dgamma(%dw : memref<16384xf32>)
           dbeta(%db : memref<16384xf32>)
  return
}
