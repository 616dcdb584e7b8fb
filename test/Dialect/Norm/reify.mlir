// ReifyRankedShapedTypeOpInterface: a dim of a norm result is the dim of its
// init, so shape queries do not need the op to run.
// RUN: norm-opt %s -resolve-ranked-shaped-type-result-dims -split-input-file | FileCheck %s

// CHECK-LABEL: func.func @rms_norm_dims
//  CHECK-SAME:   (%[[X:.+]]: tensor<?x?xbf16>, %[[Y0:.+]]: tensor<?x?xbf16>, %[[R0:.+]]: tensor<?xf32>)
//   CHECK-DAG:   %[[C0:.+]] = arith.constant 0 : index
//   CHECK-DAG:   %[[C1:.+]] = arith.constant 1 : index
//   CHECK-DAG:   %[[D0:.+]] = tensor.dim %[[Y0]], %[[C0]]
//   CHECK-DAG:   %[[D1:.+]] = tensor.dim %[[Y0]], %[[C1]]
//   CHECK-DAG:   %[[D2:.+]] = tensor.dim %[[R0]], %[[C0]]
//       CHECK:   return %[[D0]], %[[D1]], %[[D2]]
func.func @rms_norm_dims(%x: tensor<?x?xbf16>, %y0: tensor<?x?xbf16>, %r0: tensor<?xf32>) -> (index, index, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %y, %r = norm.rms_norm ins(%x : tensor<?x?xbf16>) outs(%y0 : tensor<?x?xbf16>) rstd(%r0 : tensor<?xf32>) -> tensor<?x?xbf16>, tensor<?xf32>
  %d0 = tensor.dim %y, %c0 : tensor<?x?xbf16>
  %d1 = tensor.dim %y, %c1 : tensor<?x?xbf16>
  %d2 = tensor.dim %r, %c0 : tensor<?xf32>
  return %d0, %d1, %d2 : index, index, index
}

// -----

// CHECK-LABEL: func.func @layer_norm_grad_dims
//  CHECK-SAME:   (%{{.+}}: tensor<?x8xf32>, %{{.+}}: tensor<?x8xf32>, %{{.+}}: tensor<?xf32>, %{{.+}}: tensor<?xf32>, %[[DX0:.+]]: tensor<?x8xf32>)
//       CHECK:   %[[D:.+]] = tensor.dim %[[DX0]], %{{.+}}
//       CHECK:   return %[[D]]
func.func @layer_norm_grad_dims(%dy: tensor<?x8xf32>, %x: tensor<?x8xf32>, %m: tensor<?xf32>, %r: tensor<?xf32>, %dx0: tensor<?x8xf32>) -> index {
  %c0 = arith.constant 0 : index
  %dx = norm.layer_norm_grad ins(%dy : tensor<?x8xf32>, %x : tensor<?x8xf32>, %m : tensor<?xf32>, %r : tensor<?xf32>) outs dx(%dx0 : tensor<?x8xf32>) -> tensor<?x8xf32>
  %d = tensor.dim %dx, %c0 : tensor<?x8xf32>
  return %d : index
}

// -----

// CHECK-LABEL: func.func @pre_all_gather_dims
//  CHECK-SAME:   (%{{.+}}: tensor<?x64xf32>, %[[S0:.+]]: tensor<?x3xf32>)
//       CHECK:   %[[D:.+]] = tensor.dim %[[S0]], %{{.+}}
//       CHECK:   return %[[D]]
func.func @pre_all_gather_dims(%x: tensor<?x64xf32>, %s0: tensor<?x3xf32>) -> index {
  %c0 = arith.constant 0 : index
  %s = norm.layer_norm_pre_all_gather ins(%x : tensor<?x64xf32>) outs(%s0 : tensor<?x3xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<?x3xf32>
  %d = tensor.dim %s, %c0 : tensor<?x3xf32>
  return %d : index
}
