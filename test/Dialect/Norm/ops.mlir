// Round trip of every norm op with and without each optional operand and
// result: custom form twice through the tool, generic form back to custom,
// and bytecode back to custom.
// RUN: norm-opt %s | norm-opt | FileCheck %s
// RUN: norm-opt %s --mlir-print-op-generic | norm-opt | FileCheck %s
// RUN: norm-opt %s --emit-bytecode | norm-opt | FileCheck %s
// RUN: norm-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

//===----------------------------------------------------------------------===//
// rms_norm
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @rms_norm_minimal
//  CHECK-SAME: (%[[X:.+]]: tensor<8x64xf32>, %[[Y0:.+]]: tensor<8x64xf32>)
//       CHECK:   %[[Y:.+]] = norm.rms_norm ins(%[[X]] : tensor<8x64xf32>) outs(%[[Y0]] : tensor<8x64xf32>) -> tensor<8x64xf32>
//       CHECK:   return %[[Y]]
// GENERIC-LABEL: sym_name = "rms_norm_minimal"
//       GENERIC:   "norm.rms_norm"(%{{.*}}, %{{.*}}) <{axis = -1 : i64, epsilon = 9.9999999999999995E-7 : f64, gamma_offset = 0.000000e+00 : f64, operandSegmentSizes = array<i32: 1, 0, 0, 0, 0, 1, 0, 0>, rounding = #norm.rounding<once>}>
func.func @rms_norm_minimal(%x: tensor<8x64xf32>, %y0: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %y = norm.rms_norm ins(%x : tensor<8x64xf32>) outs(%y0 : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %y : tensor<8x64xf32>
}

// CHECK-LABEL: func.func @rms_norm_all
//       CHECK:   norm.rms_norm ins(%{{.+}} : tensor<?x4096xbf16>) gamma(%{{.+}} : tensor<4096xbf16>) beta(%{{.+}} : tensor<4096xf32>) residual(%{{.+}} : tensor<?x4096xbf16>) outs(%{{.+}} : tensor<?x4096xbf16>) rstd(%{{.+}} : tensor<?xf32>) residual_out(%{{.+}} : tensor<?x4096xbf16>)
//  CHECK-SAME:     {epsilon = 1.000000e-05 : f64, gamma_offset = 1.000000e+00 : f64, rounding = #norm.rounding<before_gamma>}
//  CHECK-SAME:     -> tensor<?x4096xbf16>, tensor<?xf32>, tensor<?x4096xbf16>
func.func @rms_norm_all(%x: tensor<?x4096xbf16>, %g: tensor<4096xbf16>, %b: tensor<4096xf32>,
                        %r: tensor<?x4096xbf16>, %y0: tensor<?x4096xbf16>, %s0: tensor<?xf32>,
                        %h0: tensor<?x4096xbf16>) -> (tensor<?x4096xbf16>, tensor<?xf32>, tensor<?x4096xbf16>) {
  %y, %rstd, %h = norm.rms_norm ins(%x : tensor<?x4096xbf16>) gamma(%g : tensor<4096xbf16>)
      beta(%b : tensor<4096xf32>) residual(%r : tensor<?x4096xbf16>)
      outs(%y0 : tensor<?x4096xbf16>) rstd(%s0 : tensor<?xf32>) residual_out(%h0 : tensor<?x4096xbf16>)
      {epsilon = 1.0e-5 : f64, gamma_offset = 1.0 : f64, rounding = #norm.rounding<before_gamma>}
      -> tensor<?x4096xbf16>, tensor<?xf32>, tensor<?x4096xbf16>
  return %y, %rstd, %h : tensor<?x4096xbf16>, tensor<?xf32>, tensor<?x4096xbf16>
}

// CHECK-LABEL: func.func @rms_norm_gamma_only
//       CHECK:   norm.rms_norm ins(%{{.+}} : tensor<2x3x16xf16>) gamma(%{{.+}} : tensor<16xf16>) outs(%{{.+}} : tensor<2x3x16xf16>) -> tensor<2x3x16xf16>
func.func @rms_norm_gamma_only(%x: tensor<2x3x16xf16>, %g: tensor<16xf16>, %y0: tensor<2x3x16xf16>) -> tensor<2x3x16xf16> {
  %y = norm.rms_norm ins(%x : tensor<2x3x16xf16>) gamma(%g : tensor<16xf16>) outs(%y0 : tensor<2x3x16xf16>) -> tensor<2x3x16xf16>
  return %y : tensor<2x3x16xf16>
}

// Two normalized dims (axis = 1 of a rank-3 tensor), f64 accumulation,
// an f32 output from bf16 input (Hugging Face with f32 weights).
// CHECK-LABEL: func.func @rms_norm_two_dims_f64
//       CHECK:   norm.rms_norm ins(%{{.+}} : tensor<4x8x32xbf16>) gamma(%{{.+}} : tensor<8x32xf32>) outs(%{{.+}} : tensor<4x8x32xf32>) rstd(%{{.+}} : tensor<4xf64>) {acc_type = f64, axis = 1 : i64} -> tensor<4x8x32xf32>, tensor<4xf64>
func.func @rms_norm_two_dims_f64(%x: tensor<4x8x32xbf16>, %g: tensor<8x32xf32>, %y0: tensor<4x8x32xf32>, %s0: tensor<4xf64>) -> (tensor<4x8x32xf32>, tensor<4xf64>) {
  %y, %s = norm.rms_norm ins(%x : tensor<4x8x32xbf16>) gamma(%g : tensor<8x32xf32>)
      outs(%y0 : tensor<4x8x32xf32>) rstd(%s0 : tensor<4xf64>) {axis = 1 : i64, acc_type = f64}
      -> tensor<4x8x32xf32>, tensor<4xf64>
  return %y, %s : tensor<4x8x32xf32>, tensor<4xf64>
}

// Rank 1: a single row, per-row results are rank-0 tensors.
// CHECK-LABEL: func.func @rms_norm_rank1
//       CHECK:   norm.rms_norm ins(%{{.+}} : tensor<?xf32>) outs(%{{.+}} : tensor<?xf32>) rstd(%{{.+}} : tensor<f32>) -> tensor<?xf32>, tensor<f32>
func.func @rms_norm_rank1(%x: tensor<?xf32>, %y0: tensor<?xf32>, %s0: tensor<f32>) -> (tensor<?xf32>, tensor<f32>) {
  %y, %s = norm.rms_norm ins(%x : tensor<?xf32>) outs(%y0 : tensor<?xf32>) rstd(%s0 : tensor<f32>) -> tensor<?xf32>, tensor<f32>
  return %y, %s : tensor<?xf32>, tensor<f32>
}

// Memref form: no results.
// CHECK-LABEL: func.func @rms_norm_memref
//       CHECK:   norm.rms_norm ins(%{{.+}} : memref<?x?xf32>) gamma(%{{.+}} : memref<?xf32>) residual(%{{.+}} : memref<?x?xf32>) outs(%{{.+}} : memref<?x?xf32>) rstd(%{{.+}} : memref<?xf32>) residual_out(%{{.+}} : memref<?x?xf32>){{$}}
func.func @rms_norm_memref(%x: memref<?x?xf32>, %g: memref<?xf32>, %r: memref<?x?xf32>, %y: memref<?x?xf32>, %s: memref<?xf32>, %h: memref<?x?xf32>) {
  norm.rms_norm ins(%x : memref<?x?xf32>) gamma(%g : memref<?xf32>) residual(%r : memref<?x?xf32>)
      outs(%y : memref<?x?xf32>) rstd(%s : memref<?xf32>) residual_out(%h : memref<?x?xf32>)
  return
}

//===----------------------------------------------------------------------===//
// layer_norm
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @layer_norm_minimal
//       CHECK:   norm.layer_norm ins(%{{.+}} : tensor<8x64xf32>) outs(%{{.+}} : tensor<8x64xf32>) -> tensor<8x64xf32>
// GENERIC-LABEL: sym_name = "layer_norm_minimal"
//       GENERIC:   "norm.layer_norm"(%{{.*}}, %{{.*}}) <{axis = -1 : i64, epsilon = 1.000000e-05 : f64, gamma_offset = 0.000000e+00 : f64, operandSegmentSizes = array<i32: 1, 0, 0, 0, 0, 1, 0, 0, 0>, rounding = #norm.rounding<once>}>
func.func @layer_norm_minimal(%x: tensor<8x64xf32>, %y0: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %y = norm.layer_norm ins(%x : tensor<8x64xf32>) outs(%y0 : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %y : tensor<8x64xf32>
}

// CHECK-LABEL: func.func @layer_norm_all
//       CHECK:   norm.layer_norm ins(%{{.+}} : tensor<?x?x768xf16>) gamma(%{{.+}} : tensor<768xf16>) beta(%{{.+}} : tensor<768xf16>) residual(%{{.+}} : tensor<?x?x768xf16>) outs(%{{.+}} : tensor<?x?x768xf16>) mean(%{{.+}} : tensor<?x?xf32>) rstd(%{{.+}} : tensor<?x?xf32>) residual_out(%{{.+}} : tensor<?x?x768xf16>) -> tensor<?x?x768xf16>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?x768xf16>
func.func @layer_norm_all(%x: tensor<?x?x768xf16>, %g: tensor<768xf16>, %b: tensor<768xf16>, %r: tensor<?x?x768xf16>,
                          %y0: tensor<?x?x768xf16>, %m0: tensor<?x?xf32>, %s0: tensor<?x?xf32>, %h0: tensor<?x?x768xf16>)
    -> (tensor<?x?x768xf16>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?x768xf16>) {
  %y, %m, %s, %h = norm.layer_norm ins(%x : tensor<?x?x768xf16>) gamma(%g : tensor<768xf16>) beta(%b : tensor<768xf16>)
      residual(%r : tensor<?x?x768xf16>)
      outs(%y0 : tensor<?x?x768xf16>) mean(%m0 : tensor<?x?xf32>) rstd(%s0 : tensor<?x?xf32>) residual_out(%h0 : tensor<?x?x768xf16>)
      -> tensor<?x?x768xf16>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?x768xf16>
  return %y, %m, %s, %h : tensor<?x?x768xf16>, tensor<?x?xf32>, tensor<?x?xf32>, tensor<?x?x768xf16>
}

// CHECK-LABEL: func.func @layer_norm_beta_mean
//       CHECK:   norm.layer_norm ins(%{{.+}} : tensor<16x128xbf16>) beta(%{{.+}} : tensor<128xbf16>) outs(%{{.+}} : tensor<16x128xbf16>) mean(%{{.+}} : tensor<16xf32>) {epsilon = 9.9999999999999995E-7 : f64} -> tensor<16x128xbf16>, tensor<16xf32>
func.func @layer_norm_beta_mean(%x: tensor<16x128xbf16>, %b: tensor<128xbf16>, %y0: tensor<16x128xbf16>, %m0: tensor<16xf32>) -> (tensor<16x128xbf16>, tensor<16xf32>) {
  %y, %m = norm.layer_norm ins(%x : tensor<16x128xbf16>) beta(%b : tensor<128xbf16>)
      outs(%y0 : tensor<16x128xbf16>) mean(%m0 : tensor<16xf32>) {epsilon = 1.0e-6 : f64}
      -> tensor<16x128xbf16>, tensor<16xf32>
  return %y, %m : tensor<16x128xbf16>, tensor<16xf32>
}

// CHECK-LABEL: func.func @layer_norm_memref
//       CHECK:   norm.layer_norm ins(%{{.+}} : memref<4x32xf32>) gamma(%{{.+}} : memref<32xf32>) beta(%{{.+}} : memref<32xf32>) outs(%{{.+}} : memref<4x32xf32>) mean(%{{.+}} : memref<4xf32>) rstd(%{{.+}} : memref<4xf32>){{$}}
func.func @layer_norm_memref(%x: memref<4x32xf32>, %g: memref<32xf32>, %b: memref<32xf32>, %y: memref<4x32xf32>, %m: memref<4xf32>, %s: memref<4xf32>) {
  norm.layer_norm ins(%x : memref<4x32xf32>) gamma(%g : memref<32xf32>) beta(%b : memref<32xf32>)
      outs(%y : memref<4x32xf32>) mean(%m : memref<4xf32>) rstd(%s : memref<4xf32>)
  return
}

//===----------------------------------------------------------------------===//
// rms_norm_grad
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @rms_norm_grad_all
//       CHECK:   norm.rms_norm_grad ins(%{{.+}} : tensor<?x4096xbf16>, %{{.+}} : tensor<?x4096xbf16>, %{{.+}} : tensor<?xf32>) gamma(%{{.+}} : tensor<4096xbf16>) outs dx(%{{.+}} : tensor<?x4096xbf16>) dgamma(%{{.+}} : tensor<4096xf32>) dbeta(%{{.+}} : tensor<4096xf32>) {gamma_offset = 1.000000e+00 : f64} -> tensor<?x4096xbf16>, tensor<4096xf32>, tensor<4096xf32>
func.func @rms_norm_grad_all(%dy: tensor<?x4096xbf16>, %x: tensor<?x4096xbf16>, %rstd: tensor<?xf32>, %g: tensor<4096xbf16>,
                             %dx0: tensor<?x4096xbf16>, %dg0: tensor<4096xf32>, %db0: tensor<4096xf32>)
    -> (tensor<?x4096xbf16>, tensor<4096xf32>, tensor<4096xf32>) {
  %dx, %dg, %db = norm.rms_norm_grad ins(%dy : tensor<?x4096xbf16>, %x : tensor<?x4096xbf16>, %rstd : tensor<?xf32>)
      gamma(%g : tensor<4096xbf16>)
      outs dx(%dx0 : tensor<?x4096xbf16>) dgamma(%dg0 : tensor<4096xf32>) dbeta(%db0 : tensor<4096xf32>)
      {gamma_offset = 1.0 : f64}
      -> tensor<?x4096xbf16>, tensor<4096xf32>, tensor<4096xf32>
  return %dx, %dg, %db : tensor<?x4096xbf16>, tensor<4096xf32>, tensor<4096xf32>
}

// CHECK-LABEL: func.func @rms_norm_grad_dx_only
//       CHECK:   norm.rms_norm_grad ins(%{{.+}} : tensor<8x64xf32>, %{{.+}} : tensor<8x64xf32>, %{{.+}} : tensor<8xf32>) outs dx(%{{.+}} : tensor<8x64xf32>) -> tensor<8x64xf32>
func.func @rms_norm_grad_dx_only(%dy: tensor<8x64xf32>, %x: tensor<8x64xf32>, %rstd: tensor<8xf32>, %dx0: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %dx = norm.rms_norm_grad ins(%dy : tensor<8x64xf32>, %x : tensor<8x64xf32>, %rstd : tensor<8xf32>)
      outs dx(%dx0 : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %dx : tensor<8x64xf32>
}

// CHECK-LABEL: func.func @rms_norm_grad_dgamma_only
//       CHECK:   norm.rms_norm_grad ins(%{{.+}} : tensor<2x8x64xf16>, %{{.+}} : tensor<2x8x64xf16>, %{{.+}} : tensor<2x8xf32>) gamma(%{{.+}} : tensor<64xf16>) outs dgamma(%{{.+}} : tensor<64xf32>) -> tensor<64xf32>
func.func @rms_norm_grad_dgamma_only(%dy: tensor<2x8x64xf16>, %x: tensor<2x8x64xf16>, %rstd: tensor<2x8xf32>, %g: tensor<64xf16>, %dg0: tensor<64xf32>) -> tensor<64xf32> {
  %dg = norm.rms_norm_grad ins(%dy : tensor<2x8x64xf16>, %x : tensor<2x8x64xf16>, %rstd : tensor<2x8xf32>) gamma(%g : tensor<64xf16>)
      outs dgamma(%dg0 : tensor<64xf32>) -> tensor<64xf32>
  return %dg : tensor<64xf32>
}

// CHECK-LABEL: func.func @rms_norm_grad_dbeta_memref
//       CHECK:   norm.rms_norm_grad ins(%{{.+}} : memref<?x?xf32>, %{{.+}} : memref<?x?xf32>, %{{.+}} : memref<?xf32>) outs dbeta(%{{.+}} : memref<?xf32>){{$}}
func.func @rms_norm_grad_dbeta_memref(%dy: memref<?x?xf32>, %x: memref<?x?xf32>, %rstd: memref<?xf32>, %db: memref<?xf32>) {
  norm.rms_norm_grad ins(%dy : memref<?x?xf32>, %x : memref<?x?xf32>, %rstd : memref<?xf32>) outs dbeta(%db : memref<?xf32>)
  return
}

//===----------------------------------------------------------------------===//
// layer_norm_grad
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @layer_norm_grad_all
//       CHECK:   norm.layer_norm_grad ins(%{{.+}} : tensor<16x768xf32>, %{{.+}} : tensor<16x768xf32>, %{{.+}} : tensor<16xf32>, %{{.+}} : tensor<16xf32>) gamma(%{{.+}} : tensor<768xf32>) outs dx(%{{.+}} : tensor<16x768xf32>) dgamma(%{{.+}} : tensor<768xf32>) dbeta(%{{.+}} : tensor<768xf32>) -> tensor<16x768xf32>, tensor<768xf32>, tensor<768xf32>
func.func @layer_norm_grad_all(%dy: tensor<16x768xf32>, %x: tensor<16x768xf32>, %mean: tensor<16xf32>, %rstd: tensor<16xf32>,
                               %g: tensor<768xf32>, %dx0: tensor<16x768xf32>, %dg0: tensor<768xf32>, %db0: tensor<768xf32>)
    -> (tensor<16x768xf32>, tensor<768xf32>, tensor<768xf32>) {
  %dx, %dg, %db = norm.layer_norm_grad ins(%dy : tensor<16x768xf32>, %x : tensor<16x768xf32>, %mean : tensor<16xf32>, %rstd : tensor<16xf32>)
      gamma(%g : tensor<768xf32>)
      outs dx(%dx0 : tensor<16x768xf32>) dgamma(%dg0 : tensor<768xf32>) dbeta(%db0 : tensor<768xf32>)
      -> tensor<16x768xf32>, tensor<768xf32>, tensor<768xf32>
  return %dx, %dg, %db : tensor<16x768xf32>, tensor<768xf32>, tensor<768xf32>
}

// CHECK-LABEL: func.func @layer_norm_grad_dx_dbeta
//       CHECK:   norm.layer_norm_grad ins(%{{.+}} : tensor<?x?xbf16>, %{{.+}} : tensor<?x?xbf16>, %{{.+}} : tensor<?xf64>, %{{.+}} : tensor<?xf64>) outs dx(%{{.+}} : tensor<?x?xbf16>) dbeta(%{{.+}} : tensor<?xf64>) {acc_type = f64} -> tensor<?x?xbf16>, tensor<?xf64>
func.func @layer_norm_grad_dx_dbeta(%dy: tensor<?x?xbf16>, %x: tensor<?x?xbf16>, %mean: tensor<?xf64>, %rstd: tensor<?xf64>,
                                    %dx0: tensor<?x?xbf16>, %db0: tensor<?xf64>) -> (tensor<?x?xbf16>, tensor<?xf64>) {
  %dx, %db = norm.layer_norm_grad ins(%dy : tensor<?x?xbf16>, %x : tensor<?x?xbf16>, %mean : tensor<?xf64>, %rstd : tensor<?xf64>)
      outs dx(%dx0 : tensor<?x?xbf16>) dbeta(%db0 : tensor<?xf64>) {acc_type = f64}
      -> tensor<?x?xbf16>, tensor<?xf64>
  return %dx, %db : tensor<?x?xbf16>, tensor<?xf64>
}

// CHECK-LABEL: func.func @layer_norm_grad_dgamma_memref
//       CHECK:   norm.layer_norm_grad ins(%{{.+}} : memref<4x32xf16>, %{{.+}} : memref<4x32xf16>, %{{.+}} : memref<4xf32>, %{{.+}} : memref<4xf32>) gamma(%{{.+}} : memref<32xf16>) outs dgamma(%{{.+}} : memref<32xf32>){{$}}
func.func @layer_norm_grad_dgamma_memref(%dy: memref<4x32xf16>, %x: memref<4x32xf16>, %mean: memref<4xf32>, %rstd: memref<4xf32>,
                                         %g: memref<32xf16>, %dg: memref<32xf32>) {
  norm.layer_norm_grad ins(%dy : memref<4x32xf16>, %x : memref<4x32xf16>, %mean : memref<4xf32>, %rstd : memref<4xf32>)
      gamma(%g : memref<32xf16>) outs dgamma(%dg : memref<32xf32>)
  return
}

//===----------------------------------------------------------------------===//
// Distributed split
//===----------------------------------------------------------------------===//

// CHECK-LABEL: func.func @rms_norm_pre_all_gather
//       CHECK:   norm.rms_norm_pre_all_gather ins(%{{.+}} : tensor<?x1024xbf16>) outs(%{{.+}} : tensor<?x2xf32>) {stats_layout = #norm.stats<count_sumsq>} -> tensor<?x2xf32>
//       CHECK:   norm.rms_norm_pre_all_gather ins(%{{.+}} : tensor<?x1024xbf16>) residual(%{{.+}} : tensor<?x1024xbf16>) outs(%{{.+}} : tensor<?x2xf32>) residual_out(%{{.+}} : tensor<?x1024xbf16>) {stats_layout = #norm.stats<count_sumsq>} -> tensor<?x2xf32>, tensor<?x1024xbf16>
func.func @rms_norm_pre_all_gather(%x: tensor<?x1024xbf16>, %r: tensor<?x1024xbf16>, %s0: tensor<?x2xf32>, %h0: tensor<?x1024xbf16>)
    -> (tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x1024xbf16>) {
  %s = norm.rms_norm_pre_all_gather ins(%x : tensor<?x1024xbf16>) outs(%s0 : tensor<?x2xf32>)
      {stats_layout = #norm.stats<count_sumsq>} -> tensor<?x2xf32>
  %s2, %h = norm.rms_norm_pre_all_gather ins(%x : tensor<?x1024xbf16>) residual(%r : tensor<?x1024xbf16>)
      outs(%s0 : tensor<?x2xf32>) residual_out(%h0 : tensor<?x1024xbf16>)
      {stats_layout = #norm.stats<count_sumsq>} -> tensor<?x2xf32>, tensor<?x1024xbf16>
  return %s, %s2, %h : tensor<?x2xf32>, tensor<?x2xf32>, tensor<?x1024xbf16>
}

// CHECK-LABEL: func.func @rms_norm_post_all_gather
//       CHECK:   norm.rms_norm_post_all_gather ins(%{{.+}} : tensor<?x1024xbf16>) stats(%{{.+}} : tensor<?x8xf32>) outs(%{{.+}} : tensor<?x1024xbf16>) {stats_layout = #norm.stats<count_sumsq>} -> tensor<?x1024xbf16>
//       CHECK:   norm.rms_norm_post_all_gather ins(%{{.+}} : tensor<?x1024xbf16>) stats(%{{.+}} : tensor<?x?xf32>) gamma(%{{.+}} : tensor<1024xbf16>) beta(%{{.+}} : tensor<1024xbf16>) outs(%{{.+}} : tensor<?x1024xbf16>) rstd(%{{.+}} : tensor<?xf32>) {epsilon = 1.000000e-05 : f64, gamma_offset = 1.000000e+00 : f64, rounding = #norm.rounding<before_gamma>, stats_layout = #norm.stats<count_sumsq>} -> tensor<?x1024xbf16>, tensor<?xf32>
func.func @rms_norm_post_all_gather(%x: tensor<?x1024xbf16>, %s: tensor<?x8xf32>, %sd: tensor<?x?xf32>, %g: tensor<1024xbf16>, %b: tensor<1024xbf16>,
                                    %y0: tensor<?x1024xbf16>, %r0: tensor<?xf32>) -> (tensor<?x1024xbf16>, tensor<?x1024xbf16>, tensor<?xf32>) {
  %y = norm.rms_norm_post_all_gather ins(%x : tensor<?x1024xbf16>) stats(%s : tensor<?x8xf32>)
      outs(%y0 : tensor<?x1024xbf16>) {stats_layout = #norm.stats<count_sumsq>} -> tensor<?x1024xbf16>
  %y2, %r = norm.rms_norm_post_all_gather ins(%x : tensor<?x1024xbf16>) stats(%sd : tensor<?x?xf32>)
      gamma(%g : tensor<1024xbf16>) beta(%b : tensor<1024xbf16>)
      outs(%y0 : tensor<?x1024xbf16>) rstd(%r0 : tensor<?xf32>)
      {epsilon = 1.0e-5 : f64, gamma_offset = 1.0 : f64, rounding = #norm.rounding<before_gamma>, stats_layout = #norm.stats<count_sumsq>}
      -> tensor<?x1024xbf16>, tensor<?xf32>
  return %y, %y2, %r : tensor<?x1024xbf16>, tensor<?x1024xbf16>, tensor<?xf32>
}

// CHECK-LABEL: func.func @layer_norm_pre_all_gather
//       CHECK:   norm.layer_norm_pre_all_gather ins(%{{.+}} : tensor<16x384xf32>) outs(%{{.+}} : tensor<16x3xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<16x3xf32>
//       CHECK:   norm.layer_norm_pre_all_gather ins(%{{.+}} : tensor<16x384xf32>) residual(%{{.+}} : tensor<16x384xf32>) outs(%{{.+}} : tensor<16x3xf32>) residual_out(%{{.+}} : tensor<16x384xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<16x3xf32>, tensor<16x384xf32>
func.func @layer_norm_pre_all_gather(%x: tensor<16x384xf32>, %r: tensor<16x384xf32>, %s0: tensor<16x3xf32>, %h0: tensor<16x384xf32>)
    -> (tensor<16x3xf32>, tensor<16x3xf32>, tensor<16x384xf32>) {
  %s = norm.layer_norm_pre_all_gather ins(%x : tensor<16x384xf32>) outs(%s0 : tensor<16x3xf32>)
      {stats_layout = #norm.stats<count_sum_m2>} -> tensor<16x3xf32>
  %s2, %h = norm.layer_norm_pre_all_gather ins(%x : tensor<16x384xf32>) residual(%r : tensor<16x384xf32>)
      outs(%s0 : tensor<16x3xf32>) residual_out(%h0 : tensor<16x384xf32>)
      {stats_layout = #norm.stats<count_sum_m2>} -> tensor<16x3xf32>, tensor<16x384xf32>
  return %s, %s2, %h : tensor<16x3xf32>, tensor<16x3xf32>, tensor<16x384xf32>
}

// CHECK-LABEL: func.func @layer_norm_post_all_gather
//       CHECK:   norm.layer_norm_post_all_gather ins(%{{.+}} : tensor<16x384xf32>) stats(%{{.+}} : tensor<16x6xf32>) outs(%{{.+}} : tensor<16x384xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<16x384xf32>
//       CHECK:   norm.layer_norm_post_all_gather ins(%{{.+}} : tensor<16x384xf32>) stats(%{{.+}} : tensor<16x6xf32>) gamma(%{{.+}} : tensor<384xf32>) beta(%{{.+}} : tensor<384xf32>) outs(%{{.+}} : tensor<16x384xf32>) mean(%{{.+}} : tensor<16xf32>) rstd(%{{.+}} : tensor<16xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<16x384xf32>, tensor<16xf32>, tensor<16xf32>
func.func @layer_norm_post_all_gather(%x: tensor<16x384xf32>, %s: tensor<16x6xf32>, %g: tensor<384xf32>, %b: tensor<384xf32>,
                                      %y0: tensor<16x384xf32>, %m0: tensor<16xf32>, %r0: tensor<16xf32>)
    -> (tensor<16x384xf32>, tensor<16x384xf32>, tensor<16xf32>, tensor<16xf32>) {
  %y = norm.layer_norm_post_all_gather ins(%x : tensor<16x384xf32>) stats(%s : tensor<16x6xf32>)
      outs(%y0 : tensor<16x384xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<16x384xf32>
  %y2, %m, %r = norm.layer_norm_post_all_gather ins(%x : tensor<16x384xf32>) stats(%s : tensor<16x6xf32>)
      gamma(%g : tensor<384xf32>) beta(%b : tensor<384xf32>)
      outs(%y0 : tensor<16x384xf32>) mean(%m0 : tensor<16xf32>) rstd(%r0 : tensor<16xf32>)
      {stats_layout = #norm.stats<count_sum_m2>} -> tensor<16x384xf32>, tensor<16xf32>, tensor<16xf32>
  return %y, %y2, %m, %r : tensor<16x384xf32>, tensor<16x384xf32>, tensor<16xf32>, tensor<16xf32>
}

// CHECK-LABEL: func.func @split_memref
//       CHECK:   norm.layer_norm_pre_all_gather ins(%{{.+}} : memref<4x32xbf16>) outs(%{{.+}} : memref<4x3xf32>) {stats_layout = #norm.stats<count_sum_m2>}{{$}}
//       CHECK:   norm.layer_norm_post_all_gather ins(%{{.+}} : memref<4x32xbf16>) stats(%{{.+}} : memref<4x12xf32>) outs(%{{.+}} : memref<4x32xbf16>) {stats_layout = #norm.stats<count_sum_m2>}{{$}}
func.func @split_memref(%x: memref<4x32xbf16>, %s: memref<4x3xf32>, %sg: memref<4x12xf32>, %y: memref<4x32xbf16>) {
  norm.layer_norm_pre_all_gather ins(%x : memref<4x32xbf16>) outs(%s : memref<4x3xf32>) {stats_layout = #norm.stats<count_sum_m2>}
  norm.layer_norm_post_all_gather ins(%x : memref<4x32xbf16>) stats(%sg : memref<4x12xf32>) outs(%y : memref<4x32xbf16>) {stats_layout = #norm.stats<count_sum_m2>}
  return
}

// A runtime eps (issue 16 class 7): an f32 scalar, on memrefs too.
// CHECK-LABEL: func.func @runtime_eps
//       CHECK:   norm.rms_norm ins(%{{.+}} : tensor<?x64xbf16>) gamma(%{{.+}} : tensor<64xbf16>) eps(%[[E:.+]] : f32) outs(%{{.+}} : tensor<?x64xbf16>) -> tensor<?x64xbf16>
//       CHECK:   norm.layer_norm ins(%{{.+}} : tensor<?x64xbf16>) residual(%{{.+}} : tensor<?x64xbf16>) eps(%[[E]] : f32) outs(%{{.+}} : tensor<?x64xbf16>) residual_out
//       CHECK:   norm.rms_norm_post_all_gather ins(%{{.+}} : tensor<?x64xbf16>) stats(%{{.+}} : tensor<?x4xf32>) eps(%[[E]] : f32) outs
//       CHECK:   norm.layer_norm_post_all_gather ins(%{{.+}} : tensor<?x64xbf16>) stats(%{{.+}} : tensor<?x6xf32>) gamma(%{{.+}} : tensor<64xbf16>) eps(%[[E]] : f32) outs
//       CHECK:   norm.rms_norm ins(%{{.+}} : memref<4x64xf32>) eps(%[[E]] : f32) outs(%{{.+}} : memref<4x64xf32>){{$}}
func.func @runtime_eps(%x: tensor<?x64xbf16>, %g: tensor<64xbf16>, %eps: f32, %y0: tensor<?x64xbf16>, %s2: tensor<?x4xf32>, %s3: tensor<?x6xf32>,
                       %mx: memref<4x64xf32>, %my: memref<4x64xf32>) -> (tensor<?x64xbf16>, tensor<?x64xbf16>, tensor<?x64xbf16>, tensor<?x64xbf16>, tensor<?x64xbf16>) {
  %a = norm.rms_norm ins(%x : tensor<?x64xbf16>) gamma(%g : tensor<64xbf16>) eps(%eps : f32) outs(%y0 : tensor<?x64xbf16>) -> tensor<?x64xbf16>
  %b, %h = norm.layer_norm ins(%x : tensor<?x64xbf16>) residual(%x : tensor<?x64xbf16>) eps(%eps : f32) outs(%y0 : tensor<?x64xbf16>) residual_out(%y0 : tensor<?x64xbf16>) -> tensor<?x64xbf16>, tensor<?x64xbf16>
  %c = norm.rms_norm_post_all_gather ins(%x : tensor<?x64xbf16>) stats(%s2 : tensor<?x4xf32>) eps(%eps : f32) outs(%y0 : tensor<?x64xbf16>) {stats_layout = #norm.stats<count_sumsq>} -> tensor<?x64xbf16>
  %d = norm.layer_norm_post_all_gather ins(%x : tensor<?x64xbf16>) stats(%s3 : tensor<?x6xf32>) gamma(%g : tensor<64xbf16>) eps(%eps : f32) outs(%y0 : tensor<?x64xbf16>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<?x64xbf16>
  norm.rms_norm ins(%mx : memref<4x64xf32>) eps(%eps : f32) outs(%my : memref<4x64xf32>)
  return %a, %b, %h, %c, %d : tensor<?x64xbf16>, tensor<?x64xbf16>, tensor<?x64xbf16>, tensor<?x64xbf16>, tensor<?x64xbf16>
}
