// RUN: norm-opt %s --norm-tile-rows --canonicalize --split-input-file | FileCheck %s
// RUN: norm-opt %s --norm-tile-rows="tile-rows=4" --canonicalize --split-input-file | FileCheck %s --check-prefix=FOUR
// RUN: %norm_exit norm-opt %s --norm-tile-rows="tile-rows=0" --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD
// RUN: %norm_exit norm-opt %s --norm-tile-rows="grad-chunks=0" --split-input-file 2>&1 | FileCheck %s --check-prefix=BADCHUNKS
// RUN: norm-opt %s --norm-tile-rows="grad-chunks=3" --canonicalize --split-input-file | FileCheck %s --check-prefix=THREE

// BAD: error: norm-tile-rows: tile-rows and tile-cols must be 1 to 16777216, got
// BAD: exit=1
// BADCHUNKS: error: norm-tile-rows: grad-chunks must be 1 to 4096, got 0
// BADCHUNKS: exit=1
// THREE-LABEL: func.func @grad_one_pass
//       THREE:   scf.forall (%{{.+}}) in (3) shared_outs({{.*}}) -> (tensor<256x1024xf32>, tensor<3x1024xf32>, tensor<3x1024xf32>)

// One row per parallel iteration; gamma is passed whole.
// CHECK-LABEL: func.func @rows
//       CHECK:   scf.forall (%[[I:.+]]) in (%{{.+}}) shared_outs(%[[Y:.+]] = %{{.+}}, %[[R:.+]] = %{{.+}})
//       CHECK:     norm.rms_norm ins(%{{.+}} : tensor<1x4096xbf16>) gamma(%{{.+}} : tensor<4096xbf16>) outs(%{{.+}} : tensor<1x4096xbf16>) rstd(%{{.+}} : tensor<1xf32>)
// FOUR-LABEL: func.func @rows
//       FOUR:   scf.forall
//       FOUR:     norm.rms_norm ins(%{{.+}} : tensor<?x4096xbf16>)
func.func @rows(%x: tensor<?x4096xbf16>, %g: tensor<4096xbf16>, %y: tensor<?x4096xbf16>, %r: tensor<?xf32>) -> (tensor<?x4096xbf16>, tensor<?xf32>) {
  %0:2 = norm.rms_norm ins(%x : tensor<?x4096xbf16>) gamma(%g : tensor<4096xbf16>) outs(%y : tensor<?x4096xbf16>) rstd(%r : tensor<?xf32>) -> tensor<?x4096xbf16>, tensor<?xf32>
  return %0#0, %0#1 : tensor<?x4096xbf16>, tensor<?xf32>
}

// -----

// dx + dgamma/dbeta in one pass (PartialReductionOpInterface): a forall over
// chunks of rows (grad-chunks, never more than the rows) writes one partial
// dgamma/dbeta row per chunk; inside, a for over the chunk's rows computes
// the dx row and adds dy·x̂ and dy into [1, N] accumulators; the partials
// are summed in chunk order after each loop.
// CHECK-LABEL: func.func @grad_one_pass
//       CHECK:   %[[P:.+]] = linalg.fill {{.*}} -> tensor<64x1024xf32>
//       CHECK:   %[[F:.+]]:3 = scf.forall (%[[C:.+]]) in (64) shared_outs(%[[DXO:.+]] = %{{.+}}, %[[PG:.+]] = %[[P]], %[[PB:.+]] = %{{.+}})
//       CHECK:     %[[SG:.+]] = tensor.extract_slice %[[PG]][%[[C]], 0] [1, 1024] [1, 1] : tensor<64x1024xf32> to tensor<1024xf32>
//       CHECK:     %[[L:.+]]:3 = scf.for {{.*}} iter_args(%{{.+}} = %{{.+}}, %[[AG:.+]] = %{{.+}}, %[[AB:.+]] = %{{.+}}) -> (tensor<4x1024xf32>, tensor<1x1024xf32>, tensor<1x1024xf32>)
//       CHECK:       norm.layer_norm_grad ins(%{{.+}} : tensor<1x1024xf32>, {{.*}}) outs dx(%{{.+}} : tensor<1x1024xf32>) -> tensor<1x1024xf32>
//       CHECK:       linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]{{.*}} outs(%[[AG]], %[[AB]] : tensor<1x1024xf32>, tensor<1x1024xf32>)
//       CHECK:         arith.subf
//       CHECK:         arith.mulf
//       CHECK:         arith.mulf
//       CHECK:         arith.addf
//       CHECK:         arith.addf
//       CHECK:     linalg.reduce ins(%[[L]]#1 : tensor<1x1024xf32>) outs(%{{.+}} : tensor<1024xf32>) dimensions = [0]
//       CHECK:     linalg.reduce ins(%[[L]]#2 : tensor<1x1024xf32>)
//       CHECK:     scf.forall.in_parallel
//       CHECK:       tensor.parallel_insert_slice %[[L]]#0 into %[[DXO]]
//       CHECK:       tensor.parallel_insert_slice %{{.+}} into %[[PG]][%[[C]], 0] [1, 1024] [1, 1] : tensor<1024xf32> into tensor<64x1024xf32>
//       CHECK:   %[[DG:.+]] = linalg.reduce ins(%[[F]]#1 : tensor<64x1024xf32>) outs(%{{.+}} : tensor<1024xf32>) dimensions = [0]
//       CHECK:   %[[DB:.+]] = linalg.reduce ins(%[[F]]#2 : tensor<64x1024xf32>)
//       CHECK:   return %[[F]]#0, %[[DG]], %[[DB]]
// tile-rows=4 with 4 rows per chunk: one step, folded away.
// FOUR-LABEL: func.func @grad_one_pass
//       FOUR:   scf.forall
//   FOUR-NOT:     scf.for
//       FOUR:     norm.layer_norm_grad ins(%{{.+}} : tensor<4x1024xf32>, {{.*}}) outs dx(
//       FOUR:     linalg.generic {{.*}} outs(%{{.+}}, %{{.+}} : tensor<4x1024xf32>, tensor<4x1024xf32>)
func.func @grad_one_pass(%dy: tensor<256x1024xf32>, %x: tensor<256x1024xf32>, %m: tensor<256xf32>, %r: tensor<256xf32>, %dx: tensor<256x1024xf32>, %dg: tensor<1024xf32>, %db: tensor<1024xf32>) -> (tensor<256x1024xf32>, tensor<1024xf32>, tensor<1024xf32>) {
  %0:3 = norm.layer_norm_grad ins(%dy : tensor<256x1024xf32>, %x : tensor<256x1024xf32>, %m : tensor<256xf32>, %r : tensor<256xf32>) outs dx(%dx : tensor<256x1024xf32>) dgamma(%dg : tensor<1024xf32>) dbeta(%db : tensor<1024xf32>) -> tensor<256x1024xf32>, tensor<1024xf32>, tensor<1024xf32>
  return %0#0, %0#1, %0#2 : tensor<256x1024xf32>, tensor<1024xf32>, tensor<1024xf32>
}

// -----

// Dynamic rows: a fixed number of chunks (grad-chunks, 64 by default),
// whatever the row count; dgamma-only ops take the same path.
// CHECK-LABEL: func.func @grad_dynamic_dgamma_only
//       CHECK:   scf.forall (%{{.+}}) in (64) shared_outs(%{{.+}} = %{{.+}}) -> (tensor<64x?xf32>)
//       CHECK:     scf.for
//       CHECK-NOT:   norm.rms_norm_grad
//       CHECK:       linalg.generic
//       CHECK:   linalg.reduce ins(%{{.+}} : tensor<64x?xf32>)
func.func @grad_dynamic_dgamma_only(%dy: tensor<?x?xbf16>, %x: tensor<?x?xbf16>, %r: tensor<?xf32>, %dg: tensor<?xf32>) -> tensor<?xf32> {
  %0 = norm.rms_norm_grad ins(%dy : tensor<?x?xbf16>, %x : tensor<?x?xbf16>, %r : tensor<?xf32>) outs dgamma(%dg : tensor<?xf32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// dx and dgamma with one init value (legal for rank 1; issue 23, item 10:
// a split by value used to hang): without rows there is nothing to tile,
// the op is left whole (norm-decompose computes both from it).
// CHECK-LABEL: func.func @grad_same_init
//       CHECK:   norm.rms_norm_grad {{.*}} outs dx(%[[I:.+]] : tensor<64xf32>) dgamma(%[[I]] : tensor<64xf32>) -> tensor<64xf32>, tensor<64xf32>
//   CHECK-NOT:   norm.rms_norm_grad
func.func @grad_same_init(%dy: tensor<64xf32>, %x: tensor<64xf32>, %r: tensor<f32>, %g: tensor<64xf32>, %i: tensor<64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %dx, %dg = norm.rms_norm_grad ins(%dy : tensor<64xf32>, %x : tensor<64xf32>, %r : tensor<f32>) gamma(%g : tensor<64xf32>) outs dx(%i : tensor<64xf32>) dgamma(%i : tensor<64xf32>) -> tensor<64xf32>, tensor<64xf32>
  return %dx, %dg : tensor<64xf32>, tensor<64xf32>
}
