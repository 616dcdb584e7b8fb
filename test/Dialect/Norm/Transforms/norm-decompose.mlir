// RUN: norm-opt %s --norm-decompose --split-input-file | FileCheck %s
// RUN: norm-opt %s --norm-decompose="filter-ops=norm.layer_norm" --split-input-file | FileCheck %s --check-prefix=FILTER
// RUN: not norm-opt %s --norm-decompose="filter-ops=norm.batch_norm" 2>&1 | FileCheck %s --check-prefix=BADFILTER
// BADFILTER: norm-decompose: filter-ops names 'norm.batch_norm', which is not a norm op

//   CHECK-DAG: #[[FULL:.+]] = affine_map<(d0, d1) -> (d0, d1)>
//   CHECK-DAG: #[[ROW:.+]] = affine_map<(d0, d1) -> (d0)>
//   CHECK-DAG: #[[COL:.+]] = affine_map<(d0, d1) -> (d1)>
//   CHECK-DAG: #[[ID1:.+]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @rms_norm_bf16
//  CHECK-SAME:   (%[[X:.+]]: tensor<4x64xbf16>, %[[G:.+]]: tensor<64xbf16>, %[[Y0:.+]]: tensor<4x64xbf16>)
//   CHECK-DAG:   %[[ZERO:.+]] = arith.constant 0.000000e+00 : f32
//   CHECK-DAG:   %[[N:.+]] = arith.constant 6.400000e+01 : f32
//   CHECK-DAG:   %[[EPS:.+]] = arith.constant 9.99999997E-7 : f32
//   CHECK-DAG:   %[[ONE:.+]] = arith.constant 1.000000e+00 : f32
//       CHECK:   %[[FILL:.+]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.+}} : tensor<4xf32>)
//       CHECK:   %[[SUMSQ:.+]] = linalg.generic {indexing_maps = [#[[FULL]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<4x64xbf16>) outs(%[[FILL]] : tensor<4xf32>)
//       CHECK:     ^bb0(%[[IN:.+]]: bf16, %[[ACC:.+]]: f32):
//       CHECK:       %[[W:.+]] = arith.extf %[[IN]] : bf16 to f32
//       CHECK:       %[[SQ:.+]] = arith.mulf %[[W]], %[[W]] : f32
//       CHECK:       %[[ADD:.+]] = arith.addf %[[ACC]], %[[SQ]] : f32
//       CHECK:       linalg.yield %[[ADD]]
//       CHECK:   %[[RSTD:.+]] = linalg.generic {indexing_maps = [#[[ID1]], #[[ID1]]], iterator_types = ["parallel"]} ins(%[[SUMSQ]] : tensor<4xf32>)
//       CHECK:       arith.divf %{{.+}}, %[[N]] : f32
//       CHECK:       arith.addf %{{.+}}, %[[EPS]] : f32
//       CHECK:       math.sqrt
//       CHECK:       arith.divf %[[ONE]], %{{.+}} : f32
//       CHECK:   %[[Y:.+]] = linalg.generic {indexing_maps = [#[[FULL]], #[[ROW]], #[[COL]], #[[FULL]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[RSTD]], %[[G]] : tensor<4x64xbf16>, tensor<4xf32>, tensor<64xbf16>) outs(%[[Y0]] : tensor<4x64xbf16>)
//       CHECK:     ^bb0(%[[XI:.+]]: bf16, %[[RI:.+]]: f32, %[[GI:.+]]: bf16, %{{.+}}: bf16):
//       CHECK:       %[[XW:.+]] = arith.extf %[[XI]] : bf16 to f32
//       CHECK:       %[[XH:.+]] = arith.mulf %[[XW]], %[[RI]] : f32
//       CHECK:       %[[GW:.+]] = arith.extf %[[GI]] : bf16 to f32
//       CHECK:       %[[P:.+]] = arith.mulf %[[XH]], %[[GW]] : f32
//       CHECK:       %[[T:.+]] = arith.truncf %[[P]] : f32 to bf16
//       CHECK:       linalg.yield %[[T]]
//       CHECK:   return %[[Y]]
// FILTER-LABEL: func.func @rms_norm_bf16
//       FILTER:   norm.rms_norm
func.func @rms_norm_bf16(%x: tensor<4x64xbf16>, %g: tensor<64xbf16>, %y0: tensor<4x64xbf16>) -> tensor<4x64xbf16> {
  %y = norm.rms_norm ins(%x : tensor<4x64xbf16>) gamma(%g : tensor<64xbf16>) outs(%y0 : tensor<4x64xbf16>) -> tensor<4x64xbf16>
  return %y : tensor<4x64xbf16>
}

// -----

// Residual, residual_out and rstd outputs write into their inits; Llama
// rounding rounds x̂ to bf16 before the gamma multiply; Gemma's offset adds
// one to gamma.
// CHECK-LABEL: func.func @rms_norm_residual_llama_gemma
//  CHECK-SAME:   (%[[X:.+]]: tensor<4x64xbf16>, %[[R:.+]]: tensor<4x64xbf16>, %[[G:.+]]: tensor<64xbf16>, %[[Y0:.+]]: tensor<4x64xbf16>, %[[S0:.+]]: tensor<4xf32>, %[[H0:.+]]: tensor<4x64xbf16>)
//       CHECK:   %[[H:.+]] = linalg.generic {{.+}} ins(%[[X]], %[[R]] : tensor<4x64xbf16>, tensor<4x64xbf16>) outs(%[[H0]] : tensor<4x64xbf16>)
//       CHECK:       arith.addf
//       CHECK:       arith.truncf %{{.+}} : f32 to bf16
//       CHECK:   %[[SUMSQ:.+]] = linalg.generic {{.+}} ins(%[[H]] : tensor<4x64xbf16>)
//       CHECK:   %[[RSTD:.+]] = linalg.generic {{.+}} ins(%[[SUMSQ]] : tensor<4xf32>) outs(%[[S0]] : tensor<4xf32>)
//       CHECK:   %[[Y:.+]] = linalg.generic {{.+}} ins(%[[H]], %[[RSTD]], %[[G]] : {{.+}}) outs(%[[Y0]] : tensor<4x64xbf16>)
//       CHECK:       %[[XH:.+]] = arith.mulf
//       CHECK:       %[[XHR:.+]] = arith.truncf %[[XH]] : f32 to bf16
//       CHECK:       %[[XHW:.+]] = arith.extf %[[XHR]] : bf16 to f32
//       CHECK:       %[[GW:.+]] = arith.extf %{{.+}} : bf16 to f32
//       CHECK:       %[[G1:.+]] = arith.addf %[[GW]], %{{.+}} : f32
//       CHECK:       arith.mulf %[[XHW]], %[[G1]] : f32
//       CHECK:   return %[[Y]], %[[RSTD]], %[[H]]
func.func @rms_norm_residual_llama_gemma(%x: tensor<4x64xbf16>, %r: tensor<4x64xbf16>, %g: tensor<64xbf16>,
    %y0: tensor<4x64xbf16>, %s0: tensor<4xf32>, %h0: tensor<4x64xbf16>) -> (tensor<4x64xbf16>, tensor<4xf32>, tensor<4x64xbf16>) {
  %y, %s, %h = norm.rms_norm ins(%x : tensor<4x64xbf16>) gamma(%g : tensor<64xbf16>) residual(%r : tensor<4x64xbf16>)
      outs(%y0 : tensor<4x64xbf16>) rstd(%s0 : tensor<4xf32>) residual_out(%h0 : tensor<4x64xbf16>)
      {gamma_offset = 1.0 : f64, rounding = #norm.rounding<before_gamma>}
      -> tensor<4x64xbf16>, tensor<4xf32>, tensor<4x64xbf16>
  return %y, %s, %h : tensor<4x64xbf16>, tensor<4xf32>, tensor<4x64xbf16>
}

// -----

// Layer norm on dynamic rows and two normalized dims: N is the product of the
// dynamic sizes, computed at run time; mean and variance are the corrected
// two-pass form (m0, then Σ(x − m0) and Σ(x − m0)² in one pass).
//   CHECK-DAG: #[[FULL3:.+]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
//   CHECK-DAG: #[[ROW3:.+]] = affine_map<(d0, d1, d2) -> (d0)>
//   CHECK-DAG: #[[COL3:.+]] = affine_map<(d0, d1, d2) -> (d1, d2)>
// CHECK-LABEL: func.func @layer_norm_dynamic_two_dims
//  CHECK-SAME:   (%[[X:.+]]: tensor<?x?x?xf16>, %[[B:.+]]: tensor<?x?xf32>, %[[Y0:.+]]: tensor<?x?x?xf16>, %[[M0:.+]]: tensor<?xf32>)
//       CHECK:   %[[D1:.+]] = tensor.dim %[[X]], %c1
//       CHECK:   %[[D2:.+]] = tensor.dim %[[X]], %c2
//       CHECK:   %[[NI:.+]] = arith.muli %[[D1]], %[[D2]] : index
//       CHECK:   %[[NI64:.+]] = arith.index_castui %[[NI]] : index to i64
//       CHECK:   %[[N:.+]] = arith.uitofp %[[NI64]] : i64 to f32
//       CHECK:   %[[SUM:.+]] = linalg.generic {indexing_maps = [#[[FULL3]], #[[ROW3]]], iterator_types = ["parallel", "reduction", "reduction"]} ins(%[[X]] : tensor<?x?x?xf16>)
//       CHECK:   %[[M0P:.+]] = linalg.generic {{.+}} ins(%[[SUM]] : tensor<?xf32>)
//       CHECK:       arith.divf %{{.+}}, %[[N]] : f32
//       CHECK:   %[[CQ:.+]]:2 = linalg.generic {indexing_maps = [#[[FULL3]], #[[ROW3]], #[[ROW3]], #[[ROW3]]], iterator_types = ["parallel", "reduction", "reduction"]} ins(%[[X]], %[[M0P]] : tensor<?x?x?xf16>, tensor<?xf32>)
//       CHECK:       arith.subf
//       CHECK:       arith.mulf
//       CHECK:   %[[MEAN:.+]] = linalg.generic {{.+}} ins(%[[M0P]], %[[CQ]]#0 : tensor<?xf32>, tensor<?xf32>) outs(%[[M0]] : tensor<?xf32>)
//       CHECK:       arith.select
//       CHECK:   %[[M2:.+]] = linalg.generic {{.+}} ins(%[[CQ]]#1, %[[CQ]]#0 : tensor<?xf32>, tensor<?xf32>)
//       CHECK:       arith.maximumf
//       CHECK:   %[[RSTD:.+]] = linalg.generic {{.+}} ins(%[[M2]] : tensor<?xf32>)
//       CHECK:   %[[Y:.+]] = linalg.generic {indexing_maps = [#[[FULL3]], #[[ROW3]], #[[ROW3]], #[[COL3]], #[[FULL3]]], iterator_types = ["parallel", "parallel", "parallel"]} ins(%[[X]], %[[MEAN]], %[[RSTD]], %[[B]] : {{.+}}) outs(%[[Y0]] : tensor<?x?x?xf16>)
//       CHECK:       arith.subf
//       CHECK:       arith.mulf
//       CHECK:       arith.addf
//       CHECK:       arith.truncf %{{.+}} : f32 to f16
//       CHECK:   return %[[Y]], %[[MEAN]]
func.func @layer_norm_dynamic_two_dims(%x: tensor<?x?x?xf16>, %b: tensor<?x?xf32>, %y0: tensor<?x?x?xf16>, %m0: tensor<?xf32>) -> (tensor<?x?x?xf16>, tensor<?xf32>) {
  %y, %m = norm.layer_norm ins(%x : tensor<?x?x?xf16>) beta(%b : tensor<?x?xf32>) outs(%y0 : tensor<?x?x?xf16>) mean(%m0 : tensor<?xf32>) {axis = 1 : i64}
      -> tensor<?x?x?xf16>, tensor<?xf32>
  return %y, %m : tensor<?x?x?xf16>, tensor<?xf32>
}

// -----

// f64 accumulation widens f32 inputs and narrows the result once.
// CHECK-LABEL: func.func @layer_norm_f64
//       CHECK:   arith.constant 0.000000e+00 : f64
//       CHECK:   arith.extf %{{.+}} : f32 to f64
//       CHECK:   arith.truncf %{{.+}} : f64 to f32
// FILTER-LABEL: func.func @layer_norm_f64
//   FILTER-NOT:   norm.layer_norm
//       FILTER:   linalg.generic
func.func @layer_norm_f64(%x: tensor<2x8xf32>, %y0: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %y = norm.layer_norm ins(%x : tensor<2x8xf32>) outs(%y0 : tensor<2x8xf32>) {acc_type = f64} -> tensor<2x8xf32>
  return %y : tensor<2x8xf32>
}

// -----

// Memref forms are left alone (decomposition works on tensors).
// CHECK-LABEL: func.func @kept
//       CHECK:   norm.rms_norm ins(%{{.+}} : memref<4x8xf32>)
func.func @kept(%x: memref<4x8xf32>, %y: memref<4x8xf32>) {
  norm.rms_norm ins(%x : memref<4x8xf32>) outs(%y : memref<4x8xf32>)
  return
}

// -----

// rms_norm_grad: one row reduction (Σ g·x̂, g = dy·γ), the dx map (× 1/N
// folded to a constant), and one pass over the rows for dgamma and dbeta
// together, written into their inits.
// CHECK-LABEL: func.func @rms_grad
//  CHECK-SAME:   %[[DY:[^:]+]]: tensor<4x8xbf16>, %[[X:[^:]+]]: tensor<4x8xbf16>, %[[R:[^:]+]]: tensor<4xf32>, %[[G:[^:]+]]: tensor<8xbf16>, %[[DX0:[^:]+]]: tensor<4x8xbf16>, %[[DG0:[^:]+]]: tensor<8xf32>, %[[DB0:[^:]+]]: tensor<8xf32>
//   CHECK-DAG:   %[[INVN:.+]] = arith.constant 1.250000e-01 : f32
//       CHECK:   %[[GX:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[DY]], %[[X]], %[[R]], %[[G]] : {{.*}}) outs(%{{.+}} : tensor<4xf32>)
//       CHECK:   %[[DX:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "parallel"]} ins(%[[DY]], %[[X]], %[[R]], %[[G]], %[[GX]] : {{.*}}) outs(%[[DX0]] : tensor<4x8xbf16>)
//       CHECK:     arith.mulf %{{.+}}, %[[INVN]] : f32
//       CHECK:     arith.truncf %{{.+}} : f32 to bf16
//   CHECK-DAG:   %[[FG:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[DG0]] : tensor<8xf32>)
//   CHECK-DAG:   %[[FB:.+]] = linalg.fill ins(%{{.+}} : f32) outs(%[[DB0]] : tensor<8xf32>)
//       CHECK:   %[[DGB:.+]]:2 = linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]} {{.*}} outs(%[[FG]], %[[FB]] : tensor<8xf32>, tensor<8xf32>)
//       CHECK:   return %[[DX]], %[[DGB]]#0, %[[DGB]]#1
func.func @rms_grad(%dy: tensor<4x8xbf16>, %x: tensor<4x8xbf16>, %r: tensor<4xf32>, %g: tensor<8xbf16>, %dx0: tensor<4x8xbf16>, %dg0: tensor<8xf32>, %db0: tensor<8xf32>) -> (tensor<4x8xbf16>, tensor<8xf32>, tensor<8xf32>) {
  %dx, %dg, %db = norm.rms_norm_grad ins(%dy : tensor<4x8xbf16>, %x : tensor<4x8xbf16>, %r : tensor<4xf32>) gamma(%g : tensor<8xbf16>) outs dx(%dx0 : tensor<4x8xbf16>) dgamma(%dg0 : tensor<8xf32>) dbeta(%db0 : tensor<8xf32>) -> tensor<4x8xbf16>, tensor<8xf32>, tensor<8xf32>
  return %dx, %dg, %db : tensor<4x8xbf16>, tensor<8xf32>, tensor<8xf32>
}

// -----

// Selective gradient: only dbeta is asked for, so no row reduction and no dx.
// CHECK-LABEL: func.func @layer_grad_dbeta_only
//   CHECK-NOT:   "parallel", "reduction"
//       CHECK:   linalg.generic {{.*}}iterator_types = ["reduction", "parallel"]}
//   CHECK-NOT:   linalg.generic
func.func @layer_grad_dbeta_only(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %m: tensor<4xf32>, %r: tensor<4xf32>, %db0: tensor<8xf32>) -> tensor<8xf32> {
  %db = norm.layer_norm_grad ins(%dy : tensor<4x8xf32>, %x : tensor<4x8xf32>, %m : tensor<4xf32>, %r : tensor<4xf32>) outs dbeta(%db0 : tensor<8xf32>) -> tensor<8xf32>
  return %db : tensor<8xf32>
}

// -----

// Pre-all-gather: Σ h² per row, then [n_p, Σh²] packed by the entry index.
// CHECK-LABEL: func.func @rms_pre
//   CHECK-DAG:   %[[N:.+]] = arith.constant 8.000000e+00 : f32
//       CHECK:   %[[SS:.+]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]}
//       CHECK:   linalg.generic {{.*}} ins(%[[SS]] : tensor<4xf32>) outs(%{{.+}} : tensor<4x2xf32>)
//       CHECK:     %[[J:.+]] = linalg.index 1 : index
//       CHECK:     %[[IS0:.+]] = arith.cmpi eq, %[[J]], %c0
//       CHECK:     arith.select %[[IS0]], %[[N]], %{{.+}} : f32
func.func @rms_pre(%x: tensor<4x8xf16>, %s0: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %0 = norm.rms_norm_pre_all_gather ins(%x : tensor<4x8xf16>) outs(%s0 : tensor<4x2xf32>) {stats_layout = #norm.stats<count_sumsq>} -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

// Post-all-gather over a dynamic number of shards: the stats are viewed as
// [rows, P, 3]; totals in one pass, then the between-shard term
// Σ n_p (sum_p/n_p − mean)², which an empty shard (n_p = 0) does not enter.
// CHECK-LABEL: func.func @layer_post
//       CHECK:   %[[P:.+]] = arith.divui %{{.+}}, %c3 : index
//       CHECK:   %[[E:.+]] = tensor.expand_shape %{{.+}} {{\[}}[0], [1, 2]] output_shape [%{{.+}}, %[[P]], 3] : tensor<?x?xf32> into tensor<?x?x3xf32>
//       CHECK:   linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[E]], %[[E]], %[[E]] : {{.*}}) outs({{.*}}) {
//       CHECK:   arith.cmpf ole
//       CHECK:   arith.select
//       CHECK:   math.sqrt
func.func @layer_post(%x: tensor<?x96xf32>, %s: tensor<?x?xf32>, %y0: tensor<?x96xf32>) -> tensor<?x96xf32> {
  %0 = norm.layer_norm_post_all_gather ins(%x : tensor<?x96xf32>) stats(%s : tensor<?x?xf32>) outs(%y0 : tensor<?x96xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<?x96xf32>
  return %0 : tensor<?x96xf32>
}
