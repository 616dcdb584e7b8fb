// RUN: norm-opt %s --norm-tile-rows --canonicalize --split-input-file | FileCheck %s
// RUN: norm-opt %s --norm-tile-rows="tile-rows=4" --canonicalize --split-input-file | FileCheck %s --check-prefix=FOUR
// RUN: %norm_exit norm-opt %s --norm-tile-rows="tile-rows=0" --split-input-file 2>&1 | FileCheck %s --check-prefix=BAD

// BAD: error: norm-tile-rows: tile-rows and tile-cols must be 1 to 16777216, got
// BAD: exit=1

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

// dx + dgamma is split: the dx op runs over rows, the dgamma/dbeta op over
// blocks of 256 columns (it sums every row).
// CHECK-LABEL: func.func @grad_split
//       CHECK:   %[[DX:.+]] = scf.forall (%{{.+}}) in (16)
//       CHECK:     norm.layer_norm_grad ins(%{{.+}} : tensor<1x1024xf32>, {{.*}}) outs dx(%{{.+}} : tensor<1x1024xf32>) ->
//       CHECK:   %[[DG:.+]]:2 = scf.forall (%{{.+}}) = (0) to (1024) step (256)
//       CHECK:     norm.layer_norm_grad ins(%{{.+}} : tensor<16x256xf32>, {{.*}}) outs dgamma(%{{.+}} : tensor<256xf32>) dbeta(%{{.+}} : tensor<256xf32>)
//       CHECK:   return %[[DX]], %[[DG]]#0, %[[DG]]#1
func.func @grad_split(%dy: tensor<16x1024xf32>, %x: tensor<16x1024xf32>, %m: tensor<16xf32>, %r: tensor<16xf32>, %dx: tensor<16x1024xf32>, %dg: tensor<1024xf32>, %db: tensor<1024xf32>) -> (tensor<16x1024xf32>, tensor<1024xf32>, tensor<1024xf32>) {
  %0:3 = norm.layer_norm_grad ins(%dy : tensor<16x1024xf32>, %x : tensor<16x1024xf32>, %m : tensor<16xf32>, %r : tensor<16xf32>) outs dx(%dx : tensor<16x1024xf32>) dgamma(%dg : tensor<1024xf32>) dbeta(%db : tensor<1024xf32>) -> tensor<16x1024xf32>, tensor<1024xf32>, tensor<1024xf32>
  return %0#0, %0#1, %0#2 : tensor<16x1024xf32>, tensor<1024xf32>, tensor<1024xf32>
}

// -----

// dx and dgamma with one init value (legal for rank 1): the split tells
// them apart by position (issue 23, item 10: this used to hang).
// CHECK-LABEL: func.func @grad_same_init
//       CHECK:   norm.rms_norm_grad {{.*}} outs dx(%[[I:.+]] : tensor<64xf32>) -> tensor<64xf32>
//       CHECK:   norm.rms_norm_grad {{.*}} outs dgamma(%[[I]] : tensor<64xf32>) -> tensor<64xf32>
func.func @grad_same_init(%dy: tensor<64xf32>, %x: tensor<64xf32>, %r: tensor<f32>, %g: tensor<64xf32>, %i: tensor<64xf32>) -> (tensor<64xf32>, tensor<64xf32>) {
  %dx, %dg = norm.rms_norm_grad ins(%dy : tensor<64xf32>, %x : tensor<64xf32>, %r : tensor<f32>) gamma(%g : tensor<64xf32>) outs dx(%i : tensor<64xf32>) dgamma(%i : tensor<64xf32>) -> tensor<64xf32>, tensor<64xf32>
  return %dx, %dg : tensor<64xf32>, tensor<64xf32>
}
