// PartialReductionOpInterface of the gradient ops, driven by the upstream
// transform ops tile_reduction_using_forall / tile_reduction_using_for.
// RUN: norm-opt %s --transform-interpreter --split-input-file --verify-diagnostics --canonicalize | FileCheck %s

// OuterParallel: 4 chunks of rows; each chunk is the same op on its rows,
// dx into its rows, dgamma into its own partial row (a rank-reducing slice
// of a zero-filled 4×64 tensor); the partial rows are summed in order into
// the dgamma init after the loop.
// CHECK-LABEL: func.func @rms_grad_forall
//  CHECK-SAME:   %[[DY:[^:]+]]: tensor<?x64xf32>, %[[X:[^:]+]]: tensor<?x64xf32>, %[[R:[^:]+]]: tensor<?xf32>, %[[W:[^:]+]]: tensor<64xf32>, %[[DX:[^:]+]]: tensor<?x64xf32>, %[[DG:[^:]+]]: tensor<64xf32>
//       CHECK:   %[[P:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%{{.+}} : tensor<4x64xf32>)
//       CHECK:   %[[F:.+]]:2 = scf.forall (%[[C:.+]]) in (4) shared_outs(%[[DXO:.+]] = %[[DX]], %[[PO:.+]] = %[[P]])
//       CHECK:     %[[XS:.+]] = tensor.extract_slice %[[X]][%[[OFF:.+]], 0] [%[[SZ:.+]], 64] [1, 1]
//       CHECK:     %[[SLOT:.+]] = tensor.extract_slice %[[PO]][%[[C]], 0] [1, 64] [1, 1] : tensor<4x64xf32> to tensor<64xf32>
//       CHECK:     %[[T:.+]]:2 = norm.rms_norm_grad ins(%{{.+}} : tensor<?x64xf32>, %[[XS]] : tensor<?x64xf32>, %{{.+}} : tensor<?xf32>) gamma(%[[W]] : tensor<64xf32>) outs dx(%{{.+}} : tensor<?x64xf32>) dgamma(%[[SLOT]] : tensor<64xf32>)
//       CHECK:     scf.forall.in_parallel
//       CHECK:       tensor.parallel_insert_slice %[[T]]#0 into %[[DXO]][%[[OFF]], 0] [%[[SZ]], 64]
//       CHECK:       tensor.parallel_insert_slice %[[T]]#1 into %[[PO]][%[[C]], 0] [1, 64] [1, 1] : tensor<64xf32> into tensor<4x64xf32>
//       CHECK:   %[[Z:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[DG]] : tensor<64xf32>)
//       CHECK:   %[[S:.+]] = linalg.reduce ins(%[[F]]#1 : tensor<4x64xf32>) outs(%[[Z]] : tensor<64xf32>) dimensions = [0]
//       CHECK:   return %[[F]]#0, %[[S]]
func.func @rms_grad_forall(%dy: tensor<?x64xf32>, %x: tensor<?x64xf32>, %r: tensor<?xf32>, %w: tensor<64xf32>, %dx: tensor<?x64xf32>, %dg: tensor<64xf32>) -> (tensor<?x64xf32>, tensor<64xf32>) {
  %a, %b = norm.rms_norm_grad ins(%dy : tensor<?x64xf32>, %x : tensor<?x64xf32>, %r : tensor<?xf32>) gamma(%w : tensor<64xf32>)
      outs dx(%dx : tensor<?x64xf32>) dgamma(%dg : tensor<64xf32>) -> tensor<?x64xf32>, tensor<64xf32>
  return %a, %b : tensor<?x64xf32>, tensor<64xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %g = transform.structured.match ops{["norm.rms_norm_grad"]} in %root : (!transform.any_op) -> !transform.any_op
    %f:2, %s, %c, %l = transform.structured.tile_reduction_using_forall %g by num_threads = [4, 0]
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// OuterReduction: a loop over tiles of 2 rows carrying dx and two 2×64
// accumulators; each tile is the dx-only op plus one elementwise generic
// adding dy·(x − mean)·rstd and dy into the accumulators (bf16 widened to
// f32); after the loop each accumulator is summed over its 2 rows.
// CHECK-LABEL: func.func @layer_grad_for
//       CHECK:   %[[L:.+]]:3 = scf.for %[[I:.+]] = %{{.+}} to %{{.+}} step %c2 iter_args(%{{.+}} = %{{.+}}, %[[AG:.+]] = %{{.+}}, %[[AB:.+]] = %{{.+}}) -> (tensor<?x64xbf16>, tensor<2x64xf32>, tensor<2x64xf32>)
//       CHECK:     %[[SG:.+]] = tensor.extract_slice %[[AG]][0, 0] [%{{.+}}, 64]
//       CHECK:     %[[SB:.+]] = tensor.extract_slice %[[AB]][0, 0] [%{{.+}}, 64]
//       CHECK:     norm.layer_norm_grad ins({{.*}}) gamma(%{{.+}} : tensor<64xbf16>) outs dx(%{{.+}} : tensor<?x64xbf16>) -> tensor<?x64xbf16>
//       CHECK:     linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]{{.*}} outs(%[[SG]], %[[SB]] : tensor<?x64xf32>, tensor<?x64xf32>)
//       CHECK:       arith.extf
//       CHECK:       arith.extf
//       CHECK:       arith.subf
//       CHECK:       arith.mulf
//       CHECK:       arith.mulf
//       CHECK:       arith.addf
//       CHECK:       arith.addf
//       CHECK:   linalg.reduce ins(%[[L]]#1 : tensor<2x64xf32>) outs(%{{.+}} : tensor<64xf32>) dimensions = [0]
//       CHECK:   linalg.reduce ins(%[[L]]#2 : tensor<2x64xf32>) outs(%{{.+}} : tensor<64xf32>) dimensions = [0]
func.func @layer_grad_for(%dy: tensor<?x64xbf16>, %x: tensor<?x64xbf16>, %m: tensor<?xf32>, %r: tensor<?xf32>, %w: tensor<64xbf16>, %dx: tensor<?x64xbf16>, %dg: tensor<64xf32>, %db: tensor<64xf32>) -> (tensor<?x64xbf16>, tensor<64xf32>, tensor<64xf32>) {
  %a, %b, %c = norm.layer_norm_grad ins(%dy : tensor<?x64xbf16>, %x : tensor<?x64xbf16>, %m : tensor<?xf32>, %r : tensor<?xf32>) gamma(%w : tensor<64xbf16>)
      outs dx(%dx : tensor<?x64xbf16>) dgamma(%dg : tensor<64xf32>) dbeta(%db : tensor<64xf32>) -> tensor<?x64xbf16>, tensor<64xf32>, tensor<64xf32>
  return %a, %b, %c : tensor<?x64xbf16>, tensor<64xf32>, tensor<64xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %g = transform.structured.match ops{["norm.layer_norm_grad"]} in %root : (!transform.any_op) -> !transform.any_op
    %f:3, %s:2, %c:2, %l = transform.structured.tile_reduction_using_for %g by tile_sizes = [2, 0]
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// Without dgamma/dbeta the rows are parallel: nothing to reduce.
func.func @dx_only(%dy: tensor<8x64xf32>, %x: tensor<8x64xf32>, %r: tensor<8xf32>, %dx: tensor<8x64xf32>) -> tensor<8x64xf32> {
  // expected-error @below {{partial reduction needs dgamma or dbeta: without them the rows are parallel}}
  %a = norm.rms_norm_grad ins(%dy : tensor<8x64xf32>, %x : tensor<8x64xf32>, %r : tensor<8xf32>) outs dx(%dx : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %a : tensor<8x64xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %g = transform.structured.match ops{["norm.rms_norm_grad"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{failed to tile using partial reduction}}
    %f, %s, %c, %l = transform.structured.tile_reduction_using_for %g reduction_dims = [1] by tile_sizes = [0, 16]
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// A normalized dim cannot become partial sums: a norm needs its whole row.
func.func @normalized_dim(%dy: tensor<8x64xf32>, %x: tensor<8x64xf32>, %r: tensor<8xf32>, %dx: tensor<8x64xf32>, %dg: tensor<64xf32>) -> (tensor<8x64xf32>, tensor<64xf32>) {
  // expected-error @below {{cannot split normalized dim 1 into partial reductions: a norm needs its whole row}}
  %a, %b = norm.rms_norm_grad ins(%dy : tensor<8x64xf32>, %x : tensor<8x64xf32>, %r : tensor<8xf32>) outs dx(%dx : tensor<8x64xf32>) dgamma(%dg : tensor<64xf32>) -> tensor<8x64xf32>, tensor<64xf32>
  return %a, %b : tensor<8x64xf32>, tensor<64xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %g = transform.structured.match ops{["norm.rms_norm_grad"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{failed to tile using partial reduction}}
    %f:2, %s, %c, %l = transform.structured.tile_reduction_using_for %g by tile_sizes = [0, 16]
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}

// -----

// A tiled leading dim that is not a partial dim would make its tiles add
// into one partial slot concurrently: rejected.
func.func @race(%dy: tensor<2x8x64xf32>, %x: tensor<2x8x64xf32>, %r: tensor<2x8xf32>, %dg: tensor<64xf32>) -> tensor<64xf32> {
  // expected-error @below {{cannot tile leading dim 0 without making it a partial-reduction dim}}
  // expected-error @below {{faild to tile operation}}
  // expected-error @below {{failed to generate tiling loops}}
  %a = norm.rms_norm_grad ins(%dy : tensor<2x8x64xf32>, %x : tensor<2x8x64xf32>, %r : tensor<2x8xf32>) outs dgamma(%dg : tensor<64xf32>) -> tensor<64xf32>
  return %a : tensor<64xf32>
}
module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %g = transform.structured.match ops{["norm.rms_norm_grad"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{could not tile reduction}}
    %f, %s, %c, %l = transform.structured.tile_reduction_using_forall %g reduction_dims = [1] by num_threads = [2, 4, 0]
      : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    transform.yield
  }
}
