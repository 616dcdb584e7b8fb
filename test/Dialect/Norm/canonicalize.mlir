// RUN: norm-opt %s -canonicalize -split-input-file | FileCheck %s

// An unused optional result is not computed: its init is dropped.
// CHECK-LABEL: func.func @rms_norm_unused_rstd
//  CHECK-SAME:   (%[[X:.+]]: tensor<4x8xf32>, %[[Y0:.+]]: tensor<4x8xf32>, %[[R0:.+]]: tensor<4xf32>)
//       CHECK:   %[[Y:.+]] = norm.rms_norm ins(%[[X]] : tensor<4x8xf32>) outs(%[[Y0]] : tensor<4x8xf32>) -> tensor<4x8xf32>
//       CHECK:   return %[[Y]]
func.func @rms_norm_unused_rstd(%x: tensor<4x8xf32>, %y0: tensor<4x8xf32>, %r0: tensor<4xf32>) -> tensor<4x8xf32> {
  %y, %r = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y0 : tensor<4x8xf32>) rstd(%r0 : tensor<4xf32>) -> tensor<4x8xf32>, tensor<4xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Used results stay, unused ones go; attributes are kept.
// CHECK-LABEL: func.func @layer_norm_keep_used
//  CHECK-SAME:   (%[[X:.+]]: tensor<?x8xbf16>, %[[RES:.+]]: tensor<?x8xbf16>, %[[Y0:.+]]: tensor<?x8xbf16>, %[[M0:.+]]: tensor<?xf32>, %[[S0:.+]]: tensor<?xf32>, %[[H0:.+]]: tensor<?x8xbf16>)
//       CHECK:   %[[R:.+]]:2 = norm.layer_norm ins(%[[X]] : tensor<?x8xbf16>) residual(%[[RES]] : tensor<?x8xbf16>) outs(%[[Y0]] : tensor<?x8xbf16>) rstd(%[[S0]] : tensor<?xf32>) {epsilon = 1.000000e-03 : f64} -> tensor<?x8xbf16>, tensor<?xf32>
//       CHECK:   return %[[R]]#0, %[[R]]#1
func.func @layer_norm_keep_used(%x: tensor<?x8xbf16>, %res: tensor<?x8xbf16>, %y0: tensor<?x8xbf16>, %m0: tensor<?xf32>, %s0: tensor<?xf32>, %h0: tensor<?x8xbf16>) -> (tensor<?x8xbf16>, tensor<?xf32>) {
  %y, %m, %s, %h = norm.layer_norm ins(%x : tensor<?x8xbf16>) residual(%res : tensor<?x8xbf16>)
      outs(%y0 : tensor<?x8xbf16>) mean(%m0 : tensor<?xf32>) rstd(%s0 : tensor<?xf32>) residual_out(%h0 : tensor<?x8xbf16>)
      {epsilon = 1.0e-3 : f64}
      -> tensor<?x8xbf16>, tensor<?xf32>, tensor<?xf32>, tensor<?x8xbf16>
  return %y, %s : tensor<?x8xbf16>, tensor<?xf32>
}

// -----

// A gradient nobody asks for is not computed.
// CHECK-LABEL: func.func @rms_norm_grad_unused_dgamma
//  CHECK-SAME:   (%[[DY:.+]]: tensor<4x8xf32>, %[[X:.+]]: tensor<4x8xf32>, %[[R:.+]]: tensor<4xf32>, %[[G:.+]]: tensor<8xf32>, %[[DX0:.+]]: tensor<4x8xf32>, %[[DG0:.+]]: tensor<8xf32>)
//       CHECK:   %[[DX:.+]] = norm.rms_norm_grad ins(%[[DY]] : tensor<4x8xf32>, %[[X]] : tensor<4x8xf32>, %[[R]] : tensor<4xf32>) gamma(%[[G]] : tensor<8xf32>) outs dx(%[[DX0]] : tensor<4x8xf32>) -> tensor<4x8xf32>
//       CHECK:   return %[[DX]]
func.func @rms_norm_grad_unused_dgamma(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %r: tensor<4xf32>, %g: tensor<8xf32>, %dx0: tensor<4x8xf32>, %dg0: tensor<8xf32>) -> tensor<4x8xf32> {
  %dx, %dg = norm.rms_norm_grad ins(%dy : tensor<4x8xf32>, %x : tensor<4x8xf32>, %r : tensor<4xf32>) gamma(%g : tensor<8xf32>)
      outs dx(%dx0 : tensor<4x8xf32>) dgamma(%dg0 : tensor<8xf32>) -> tensor<4x8xf32>, tensor<8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @layer_norm_grad_all_unused
//   CHECK-NOT:   norm.layer_norm_grad
//       CHECK:   return
func.func @layer_norm_grad_all_unused(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %m: tensor<4xf32>, %r: tensor<4xf32>, %dg0: tensor<8xf32>, %db0: tensor<8xf32>) {
  %dg, %db = norm.layer_norm_grad ins(%dy : tensor<4x8xf32>, %x : tensor<4x8xf32>, %m : tensor<4xf32>, %r : tensor<4xf32>)
      outs dgamma(%dg0 : tensor<8xf32>) dbeta(%db0 : tensor<8xf32>) -> tensor<8xf32>, tensor<8xf32>
  return
}

// -----

// CHECK-LABEL: func.func @pre_all_gather_unused_residual_out
//  CHECK-SAME:   (%[[X:.+]]: tensor<4x8xf32>, %[[RES:.+]]: tensor<4x8xf32>, %[[S0:.+]]: tensor<4x2xf32>, %[[H0:.+]]: tensor<4x8xf32>)
//       CHECK:   %[[S:.+]] = norm.rms_norm_pre_all_gather ins(%[[X]] : tensor<4x8xf32>) residual(%[[RES]] : tensor<4x8xf32>) outs(%[[S0]] : tensor<4x2xf32>) {stats_layout = #norm.stats<count_sumsq>} -> tensor<4x2xf32>
//       CHECK:   return %[[S]]
func.func @pre_all_gather_unused_residual_out(%x: tensor<4x8xf32>, %res: tensor<4x8xf32>, %s0: tensor<4x2xf32>, %h0: tensor<4x8xf32>) -> tensor<4x2xf32> {
  %s, %h = norm.rms_norm_pre_all_gather ins(%x : tensor<4x8xf32>) residual(%res : tensor<4x8xf32>)
      outs(%s0 : tensor<4x2xf32>) residual_out(%h0 : tensor<4x8xf32>)
      {stats_layout = #norm.stats<count_sumsq>} -> tensor<4x2xf32>, tensor<4x8xf32>
  return %s : tensor<4x2xf32>
}

// -----

// CHECK-LABEL: func.func @post_all_gather_unused_stats
//       CHECK:   %[[Y:.+]] = norm.layer_norm_post_all_gather ins(%{{.+}} : tensor<4x8xf32>) stats(%{{.+}} : tensor<4x6xf32>) outs(%{{.+}} : tensor<4x8xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<4x8xf32>
//       CHECK:   return %[[Y]]
func.func @post_all_gather_unused_stats(%x: tensor<4x8xf32>, %s: tensor<4x6xf32>, %y0: tensor<4x8xf32>, %m0: tensor<4xf32>, %r0: tensor<4xf32>) -> tensor<4x8xf32> {
  %y, %m, %r = norm.layer_norm_post_all_gather ins(%x : tensor<4x8xf32>) stats(%s : tensor<4x6xf32>)
      outs(%y0 : tensor<4x8xf32>) mean(%m0 : tensor<4xf32>) rstd(%r0 : tensor<4xf32>)
      {stats_layout = #norm.stats<count_sum_m2>} -> tensor<4x8xf32>, tensor<4xf32>, tensor<4xf32>
  return %y : tensor<4x8xf32>
}

// -----

// An all-ones gamma with no offset multiplies by one: dropped.
// CHECK-LABEL: func.func @rms_norm_ones_gamma
//  CHECK-SAME:   (%[[X:.+]]: tensor<4x8xbf16>, %[[Y0:.+]]: tensor<4x8xbf16>)
//       CHECK:   norm.rms_norm ins(%[[X]] : tensor<4x8xbf16>) outs(%[[Y0]] : tensor<4x8xbf16>) {rounding = #norm.rounding<before_gamma>} -> tensor<4x8xbf16>
func.func @rms_norm_ones_gamma(%x: tensor<4x8xbf16>, %y0: tensor<4x8xbf16>) -> tensor<4x8xbf16> {
  %g = arith.constant dense<1.0> : tensor<8xbf16>
  %y = norm.rms_norm ins(%x : tensor<4x8xbf16>) gamma(%g : tensor<8xbf16>) outs(%y0 : tensor<4x8xbf16>)
      {rounding = #norm.rounding<before_gamma>} -> tensor<4x8xbf16>
  return %y : tensor<4x8xbf16>
}

// -----

// Gemma's (1 + gamma) with gamma all zeros is also the identity.
// CHECK-LABEL: func.func @rms_norm_zero_gamma_offset_one
//       CHECK:   norm.rms_norm ins(%{{.+}} : tensor<4x8xf32>) outs(%{{.+}} : tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @rms_norm_zero_gamma_offset_one(%x: tensor<4x8xf32>, %y0: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %g = arith.constant dense<0.0> : tensor<8xf32>
  %y = norm.rms_norm ins(%x : tensor<4x8xf32>) gamma(%g : tensor<8xf32>) outs(%y0 : tensor<4x8xf32>) {gamma_offset = 1.0 : f64} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// Ones with an offset of one multiply by two: kept.
// CHECK-LABEL: func.func @rms_norm_ones_gamma_offset_one
//       CHECK:   %[[G:.+]] = arith.constant dense<1.000000e+00> : tensor<8xf32>
//       CHECK:   norm.rms_norm ins(%{{.+}} : tensor<4x8xf32>) gamma(%[[G]] : tensor<8xf32>) outs(%{{.+}} : tensor<4x8xf32>) {gamma_offset = 1.000000e+00 : f64}
func.func @rms_norm_ones_gamma_offset_one(%x: tensor<4x8xf32>, %y0: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %g = arith.constant dense<1.0> : tensor<8xf32>
  %y = norm.rms_norm ins(%x : tensor<4x8xf32>) gamma(%g : tensor<8xf32>) outs(%y0 : tensor<4x8xf32>) {gamma_offset = 1.0 : f64} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A non-splat gamma is kept.
// CHECK-LABEL: func.func @layer_norm_nonsplat_gamma
//       CHECK:   norm.layer_norm ins(%{{.+}} : tensor<4x2xf32>) gamma(%{{.+}} : tensor<2xf32>)
func.func @layer_norm_nonsplat_gamma(%x: tensor<4x2xf32>, %y0: tensor<4x2xf32>) -> tensor<4x2xf32> {
  %g = arith.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %y = norm.layer_norm ins(%x : tensor<4x2xf32>) gamma(%g : tensor<2xf32>) outs(%y0 : tensor<4x2xf32>) -> tensor<4x2xf32>
  return %y : tensor<4x2xf32>
}

// -----

// An all-zeros beta adds nothing: dropped; a real gamma stays.
// CHECK-LABEL: func.func @layer_norm_zero_beta
//  CHECK-SAME:   (%[[X:.+]]: tensor<4x8xf16>, %[[G:.+]]: tensor<8xf16>, %[[Y0:.+]]: tensor<4x8xf16>)
//       CHECK:   norm.layer_norm ins(%[[X]] : tensor<4x8xf16>) gamma(%[[G]] : tensor<8xf16>) outs(%[[Y0]] : tensor<4x8xf16>) -> tensor<4x8xf16>
func.func @layer_norm_zero_beta(%x: tensor<4x8xf16>, %g: tensor<8xf16>, %y0: tensor<4x8xf16>) -> tensor<4x8xf16> {
  %b = arith.constant dense<0.0> : tensor<8xf16>
  %y = norm.layer_norm ins(%x : tensor<4x8xf16>) gamma(%g : tensor<8xf16>) beta(%b : tensor<8xf16>) outs(%y0 : tensor<4x8xf16>) -> tensor<4x8xf16>
  return %y : tensor<4x8xf16>
}

// -----

// A nonzero beta is kept.
// CHECK-LABEL: func.func @rms_norm_nonzero_beta
//       CHECK:   norm.rms_norm ins(%{{.+}} : tensor<4x8xf32>) beta(%{{.+}} : tensor<8xf32>)
func.func @rms_norm_nonzero_beta(%x: tensor<4x8xf32>, %y0: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %b = arith.constant dense<0.5> : tensor<8xf32>
  %y = norm.rms_norm ins(%x : tensor<4x8xf32>) beta(%b : tensor<8xf32>) outs(%y0 : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @post_all_gather_identity_gamma_zero_beta
//       CHECK:   norm.rms_norm_post_all_gather ins(%{{.+}} : tensor<4x8xf32>) stats(%{{.+}} : tensor<4x4xf32>) outs(%{{.+}} : tensor<4x8xf32>) {stats_layout = #norm.stats<count_sumsq>} -> tensor<4x8xf32>
func.func @post_all_gather_identity_gamma_zero_beta(%x: tensor<4x8xf32>, %s: tensor<4x4xf32>, %y0: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %g = arith.constant dense<1.0> : tensor<8xf32>
  %b = arith.constant dense<0.0> : tensor<8xf32>
  %y = norm.rms_norm_post_all_gather ins(%x : tensor<4x8xf32>) stats(%s : tensor<4x4xf32>) gamma(%g : tensor<8xf32>) beta(%b : tensor<8xf32>)
      outs(%y0 : tensor<4x8xf32>) {stats_layout = #norm.stats<count_sumsq>} -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// CHECK-LABEL: func.func @layer_norm_grad_ones_gamma
//       CHECK:   norm.layer_norm_grad ins(%{{.+}} : tensor<4x8xf32>, %{{.+}} : tensor<4x8xf32>, %{{.+}} : tensor<4xf32>, %{{.+}} : tensor<4xf32>) outs dx(%{{.+}} : tensor<4x8xf32>) -> tensor<4x8xf32>
func.func @layer_norm_grad_ones_gamma(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %m: tensor<4xf32>, %r: tensor<4xf32>, %dx0: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %g = arith.constant dense<1.0> : tensor<8xf32>
  %dx = norm.layer_norm_grad ins(%dy : tensor<4x8xf32>, %x : tensor<4x8xf32>, %m : tensor<4xf32>, %r : tensor<4xf32>) gamma(%g : tensor<8xf32>)
      outs dx(%dx0 : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

// A norm whose results are all unused is dead on tensors...
// CHECK-LABEL: func.func @dead_rms_norm
//   CHECK-NOT:   norm.rms_norm
func.func @dead_rms_norm(%x: tensor<4x8xf32>, %y0: tensor<4x8xf32>) {
  %y = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y0 : tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

// ...but writes memory on memrefs: kept, with every operand.
// CHECK-LABEL: func.func @memref_kept
//       CHECK:   norm.rms_norm ins(%{{.+}} : memref<4x8xf32>) outs(%{{.+}} : memref<4x8xf32>) rstd(%{{.+}} : memref<4xf32>)
func.func @memref_kept(%x: memref<4x8xf32>, %y: memref<4x8xf32>, %r: memref<4xf32>) {
  norm.rms_norm ins(%x : memref<4x8xf32>) outs(%y : memref<4x8xf32>) rstd(%r : memref<4xf32>)
  return
}

// -----

// A constant runtime eps is the epsilon attribute (its f32 value, exactly);
// a negative one stays an operand (the attribute must be non-negative).
// CHECK-LABEL: func.func @constant_eps
//       CHECK:   %[[NEG:.+]] = arith.constant -1.000000e+00 : f32
//       CHECK:   norm.rms_norm ins(%{{.+}} : tensor<4x8xf32>) outs(%{{.+}} : tensor<4x8xf32>) {epsilon = 9.9999997473787516E-6 : f64}
//       CHECK:   norm.layer_norm_post_all_gather ins(%{{.+}}) stats(%{{.+}}) outs(%{{.+}}) {epsilon = 9.765625E-4 : f64,
//       CHECK:   norm.layer_norm ins(%{{.+}} : tensor<4x8xf32>) eps(%[[NEG]] : f32)
func.func @constant_eps(%x: tensor<4x8xf32>, %y0: tensor<4x8xf32>, %s: tensor<4x6xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
  %e = arith.constant 1.0e-5 : f32
  %e3 = arith.constant 0.0009765625 : f32
  %neg = arith.constant -1.0 : f32
  %a = norm.rms_norm ins(%x : tensor<4x8xf32>) eps(%e : f32) outs(%y0 : tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = norm.layer_norm_post_all_gather ins(%x : tensor<4x8xf32>) stats(%s : tensor<4x6xf32>) eps(%e3 : f32) outs(%y0 : tensor<4x8xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<4x8xf32>
  %c = norm.layer_norm ins(%x : tensor<4x8xf32>) eps(%neg : f32) outs(%y0 : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %a, %b, %c : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
}
