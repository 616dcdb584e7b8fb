// Every verifier message of the norm ops, one case per split.
// RUN: norm-opt %s -split-input-file -verify-diagnostics

//===----------------------------------------------------------------------===//
// x, axis, acc_type and attributes (shared by every op)
//===----------------------------------------------------------------------===//

func.func @x_unranked(%x: tensor<*xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{'norm.rms_norm' op expects x to be a ranked tensor or memref, got 'tensor<*xf32>'}}
  %0 = norm.rms_norm ins(%x : tensor<*xf32>) outs(%y : tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @x_vector(%x: vector<4x8xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{'norm.layer_norm' op expects x to be a ranked tensor or memref, got 'vector<4x8xf32>'}}
  %0 = norm.layer_norm ins(%x : vector<4x8xf32>) outs(%y : tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @x_rank0(%x: tensor<f32>, %y: tensor<f32>) {
  // expected-error @+1 {{expects x to have rank at least 1, got 'tensor<f32>'}}
  %0 = norm.rms_norm ins(%x : tensor<f32>) outs(%y : tensor<f32>) -> tensor<f32>
  return
}

// -----

func.func @axis_too_large(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{expects axis in [-2, 2) for x of rank 2, got 2}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) {axis = 2 : i64} -> tensor<4x8xf32>
  return
}

// -----

func.func @axis_too_small(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %r: tensor<4xf32>, %dx: tensor<4x8xf32>) {
  // expected-error @+1 {{'norm.rms_norm_grad' op expects axis in [-2, 2) for x of rank 2, got -3}}
  %0 = norm.rms_norm_grad ins(%dy : tensor<4x8xf32>, %x : tensor<4x8xf32>, %r : tensor<4xf32>) outs dx(%dx : tensor<4x8xf32>) {axis = -3 : i64} -> tensor<4x8xf32>
  return
}

// -----

func.func @empty_normalized(%x: tensor<4x0xf32>, %y: tensor<4x0xf32>) {
  // expected-error @+1 {{expects the normalized dimensions of x (from axis 1) to be non-empty, got shape 4x0}}
  %0 = norm.layer_norm ins(%x : tensor<4x0xf32>) outs(%y : tensor<4x0xf32>) -> tensor<4x0xf32>
  return
}

// -----

func.func @x_integer(%x: tensor<4x8xi32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{expects x element type to be f32, f16 or bf16, got 'i32'}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xi32>) outs(%y : tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @x_f64(%x: tensor<4x8xf64>, %s: tensor<4x2xf32>) {
  // expected-error @+1 {{'norm.rms_norm_pre_all_gather' op expects x element type to be f32, f16 or bf16, got 'f64'}}
  %0 = norm.rms_norm_pre_all_gather ins(%x : tensor<4x8xf64>) outs(%s : tensor<4x2xf32>) {stats_layout = #norm.stats<count_sumsq>} -> tensor<4x2xf32>
  return
}

// -----

func.func @acc_type_f16(%x: tensor<4x8xf16>, %y: tensor<4x8xf16>) {
  // expected-error @+1 {{expects acc_type to be f32 or f64, got 'f16'}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf16>) outs(%y : tensor<4x8xf16>) {acc_type = f16} -> tensor<4x8xf16>
  return
}

// -----

func.func @unknown_attribute(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{'norm.rms_norm' op has unknown attribute 'epsilonn' (a discardable attribute needs a dialect prefix)}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) {epsilonn = 1.0e-5 : f64} -> tensor<4x8xf32>
  return
}

// -----

func.func @epsilon_negative(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{expects epsilon to be finite and non-negative, got -1.000000e+00}}
  %0 = norm.layer_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) {epsilon = -1.0 : f64} -> tensor<4x8xf32>
  return
}

// -----

func.func @epsilon_nan(%x: tensor<4x8xf32>, %s: tensor<4x4xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{'norm.rms_norm_post_all_gather' op expects epsilon to be finite and non-negative}}
  %0 = norm.rms_norm_post_all_gather ins(%x : tensor<4x8xf32>) stats(%s : tensor<4x4xf32>) outs(%y : tensor<4x8xf32>) {epsilon = 0x7FF8000000000000 : f64, stats_layout = #norm.stats<count_sumsq>} -> tensor<4x8xf32>
  return
}

// -----

func.func @epsilon_f32(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{attribute 'epsilon' failed to satisfy constraint: 64-bit float attribute}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) {epsilon = 1.0e-5 : f32} -> tensor<4x8xf32>
  return
}

// -----

func.func @gamma_offset_inf(%x: tensor<4x8xf32>, %g: tensor<8xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{expects gamma_offset to be finite, got INF}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) gamma(%g : tensor<8xf32>) outs(%y : tensor<4x8xf32>) {gamma_offset = 0x7FF0000000000000 : f64} -> tensor<4x8xf32>
  return
}

// -----

func.func @gamma_offset_without_gamma(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %m: tensor<4xf32>, %r: tensor<4xf32>, %dx: tensor<4x8xf32>) {
  // expected-error @+1 {{'norm.layer_norm_grad' op expects a gamma operand when gamma_offset is nonzero, got gamma_offset = 1.000000e+00 and no gamma}}
  %0 = norm.layer_norm_grad ins(%dy : tensor<4x8xf32>, %x : tensor<4x8xf32>, %m : tensor<4xf32>, %r : tensor<4xf32>) outs dx(%dx : tensor<4x8xf32>) {gamma_offset = 1.0 : f64} -> tensor<4x8xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Tensor / memref consistency and results
//===----------------------------------------------------------------------===//

func.func @mixed_tensor_memref(%x: tensor<4x8xf32>, %g: memref<8xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{expects gamma to be a ranked tensor like x, got 'memref<8xf32>'}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) gamma(%g : memref<8xf32>) outs(%y : tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @mixed_memref_tensor(%x: memref<4x8xf32>, %y: memref<4x8xf32>, %r: tensor<4xf32>) {
  // expected-error @+1 {{expects rstd to be a memref like x, got 'tensor<4xf32>'}}
  norm.rms_norm ins(%x : memref<4x8xf32>) outs(%y : memref<4x8xf32>) rstd(%r : tensor<4xf32>)
  return
}

// -----

func.func @missing_result(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>, %r: tensor<4xf32>) {
  // expected-error @+1 {{expected the number of tensor results (1) to be equal to the number of output tensors (2)}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) rstd(%r : tensor<4xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @result_type_mismatch(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{expected type of operand #1 ('tensor<4x8xf32>') to match type of corresponding result ('tensor<4x?xf32>')}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) -> tensor<4x?xf32>
  return
}

// -----

func.func @memref_with_result(%x: memref<4x8xf32>, %y: memref<4x8xf32>) {
  // expected-error @+1 {{expected the number of tensor results (1) to be equal to the number of output tensors (0)}}
  %0 = norm.rms_norm ins(%x : memref<4x8xf32>) outs(%y : memref<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// x-shaped operands
//===----------------------------------------------------------------------===//

func.func @y_shape(%x: tensor<4x8xf32>, %y: tensor<4x9xf32>) {
  // expected-error @+1 {{expects y to have the shape of x (4x8), got 4x9}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x9xf32>) -> tensor<4x9xf32>
  return
}

// -----

func.func @y_rank(%x: tensor<4x8xf32>, %y: tensor<32xf32>) {
  // expected-error @+1 {{expects y to have the shape of x (4x8), got 32}}
  %0 = norm.layer_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<32xf32>) -> tensor<32xf32>
  return
}

// -----

func.func @y_element(%x: tensor<4x8xf32>, %y: tensor<4x8xi8>) {
  // expected-error @+1 {{expects y element type to be f32, f16 or bf16, got 'i8'}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xi8>) -> tensor<4x8xi8>
  return
}

// -----

func.func @residual_element(%x: tensor<4x8xbf16>, %r: tensor<4x8xf32>, %y: tensor<4x8xbf16>) {
  // expected-error @+1 {{expects residual element type to match x ('bf16'), got 'f32'}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xbf16>) residual(%r : tensor<4x8xf32>) outs(%y : tensor<4x8xbf16>) -> tensor<4x8xbf16>
  return
}

// -----

func.func @residual_shape(%x: tensor<?x8xf32>, %r: tensor<?x16xf32>, %y: tensor<?x8xf32>) {
  // expected-error @+1 {{expects residual to have the shape of x (?x8), got ?x16}}
  %0 = norm.layer_norm ins(%x : tensor<?x8xf32>) residual(%r : tensor<?x16xf32>) outs(%y : tensor<?x8xf32>) -> tensor<?x8xf32>
  return
}

// -----

func.func @residual_out_element(%x: tensor<4x8xf16>, %r: tensor<4x8xf16>, %y: tensor<4x8xf16>, %h: tensor<4x8xf32>) {
  // expected-error @+1 {{expects residual_out element type to match x ('f16'), got 'f32'}}
  %0:2 = norm.rms_norm ins(%x : tensor<4x8xf16>) residual(%r : tensor<4x8xf16>) outs(%y : tensor<4x8xf16>) residual_out(%h : tensor<4x8xf32>) -> tensor<4x8xf16>, tensor<4x8xf32>
  return
}

// -----

func.func @residual_out_without_residual(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>, %h: tensor<4x8xf32>) {
  // expected-error @+1 {{'norm.layer_norm' op expects a residual operand when residual_out is requested}}
  %0:2 = norm.layer_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) residual_out(%h : tensor<4x8xf32>) -> tensor<4x8xf32>, tensor<4x8xf32>
  return
}

// -----

func.func @pre_residual_out_without_residual(%x: tensor<4x8xf32>, %s: tensor<4x3xf32>, %h: tensor<4x8xf32>) {
  // expected-error @+1 {{'norm.layer_norm_pre_all_gather' op expects a residual operand when residual_out is requested}}
  %0:2 = norm.layer_norm_pre_all_gather ins(%x : tensor<4x8xf32>) outs(%s : tensor<4x3xf32>) residual_out(%h : tensor<4x8xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<4x3xf32>, tensor<4x8xf32>
  return
}

// -----

func.func @dy_shape(%dy: tensor<4x16xf32>, %x: tensor<4x8xf32>, %r: tensor<4xf32>, %dx: tensor<4x8xf32>) {
  // expected-error @+1 {{expects dy to have the shape of x (4x8), got 4x16}}
  %0 = norm.rms_norm_grad ins(%dy : tensor<4x16xf32>, %x : tensor<4x8xf32>, %r : tensor<4xf32>) outs dx(%dx : tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @dy_element(%dy: tensor<4x8xf64>, %x: tensor<4x8xf32>, %r: tensor<4xf32>, %dx: tensor<4x8xf32>) {
  // expected-error @+1 {{expects dy element type to be f32, f16 or bf16, got 'f64'}}
  %0 = norm.rms_norm_grad ins(%dy : tensor<4x8xf64>, %x : tensor<4x8xf32>, %r : tensor<4xf32>) outs dx(%dx : tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @dx_element(%dy: tensor<4x8xbf16>, %x: tensor<4x8xbf16>, %m: tensor<4xf32>, %r: tensor<4xf32>, %dx: tensor<4x8xf32>) {
  // expected-error @+1 {{expects dx element type to match x ('bf16'), got 'f32'}}
  %0 = norm.layer_norm_grad ins(%dy : tensor<4x8xbf16>, %x : tensor<4x8xbf16>, %m : tensor<4xf32>, %r : tensor<4xf32>) outs dx(%dx : tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @grad_no_outputs(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %r: tensor<4xf32>) {
  // expected-error @+1 {{'norm.rms_norm_grad' op expects at least one of dx, dgamma, dbeta to be computed}}
  norm.rms_norm_grad ins(%dy : tensor<4x8xf32>, %x : tensor<4x8xf32>, %r : tensor<4xf32>) outs
  return
}

// -----

//===----------------------------------------------------------------------===//
// Per-column operands (gamma, beta, dgamma, dbeta)
//===----------------------------------------------------------------------===//

func.func @gamma_rank(%x: tensor<4x8xf32>, %g: tensor<4x8xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{expects gamma to have the normalized shape of x (8, the dims from axis 1), got 4x8}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) gamma(%g : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @gamma_size(%x: tensor<2x4x8xf32>, %g: tensor<4x9xf32>, %y: tensor<2x4x8xf32>) {
  // expected-error @+1 {{expects gamma to have the normalized shape of x (4x8, the dims from axis 1), got 4x9}}
  %0 = norm.layer_norm ins(%x : tensor<2x4x8xf32>) gamma(%g : tensor<4x9xf32>) outs(%y : tensor<2x4x8xf32>) {axis = 1 : i64} -> tensor<2x4x8xf32>
  return
}

// -----

func.func @gamma_element(%x: tensor<4x8xf32>, %g: tensor<8xi1>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{expects gamma element type to be f32, f16 or bf16, got 'i1'}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) gamma(%g : tensor<8xi1>) outs(%y : tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @beta_shape(%x: tensor<4x8xf32>, %s: tensor<4x6xf32>, %b: tensor<4xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{'norm.layer_norm_post_all_gather' op expects beta to have the normalized shape of x (8, the dims from axis 1), got 4}}
  %0 = norm.layer_norm_post_all_gather ins(%x : tensor<4x8xf32>) stats(%s : tensor<4x6xf32>) beta(%b : tensor<4xf32>) outs(%y : tensor<4x8xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<4x8xf32>
  return
}

// -----

func.func @grad_gamma_shape(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %r: tensor<4xf32>, %g: tensor<4xf32>, %dx: tensor<4x8xf32>) {
  // expected-error @+1 {{'norm.rms_norm_grad' op expects gamma to have the normalized shape of x (8, the dims from axis 1), got 4}}
  %0 = norm.rms_norm_grad ins(%dy : tensor<4x8xf32>, %x : tensor<4x8xf32>, %r : tensor<4xf32>) gamma(%g : tensor<4xf32>) outs dx(%dx : tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @dgamma_element(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %r: tensor<4xf32>, %dg: tensor<8xbf16>) {
  // expected-error @+1 {{expects dgamma element type to be the accumulation type ('f32'), got 'bf16'}}
  %0 = norm.rms_norm_grad ins(%dy : tensor<4x8xf32>, %x : tensor<4x8xf32>, %r : tensor<4xf32>) outs dgamma(%dg : tensor<8xbf16>) -> tensor<8xbf16>
  return
}

// -----

func.func @dbeta_shape(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %m: tensor<4xf32>, %r: tensor<4xf32>, %db: tensor<4xf32>) {
  // expected-error @+1 {{expects dbeta to have the normalized shape of x (8, the dims from axis 1), got 4}}
  %0 = norm.layer_norm_grad ins(%dy : tensor<4x8xf32>, %x : tensor<4x8xf32>, %m : tensor<4xf32>, %r : tensor<4xf32>) outs dbeta(%db : tensor<4xf32>) -> tensor<4xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Per-row operands (mean, rstd)
//===----------------------------------------------------------------------===//

func.func @rstd_shape(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>, %r: tensor<8xf32>) {
  // expected-error @+1 {{expects rstd to have the leading shape of x (4, the dims before axis 1), got 8}}
  %0:2 = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) rstd(%r : tensor<8xf32>) -> tensor<4x8xf32>, tensor<8xf32>
  return
}

// -----

func.func @rstd_element(%x: tensor<4x8xbf16>, %y: tensor<4x8xbf16>, %r: tensor<4xbf16>) {
  // expected-error @+1 {{expects rstd element type to be the accumulation type ('f32'), got 'bf16'}}
  %0:2 = norm.rms_norm ins(%x : tensor<4x8xbf16>) outs(%y : tensor<4x8xbf16>) rstd(%r : tensor<4xbf16>) -> tensor<4x8xbf16>, tensor<4xbf16>
  return
}

// -----

func.func @rstd_f64_acc(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>, %r: tensor<4xf32>) {
  // expected-error @+1 {{expects rstd element type to be the accumulation type ('f64'), got 'f32'}}
  %0:2 = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) rstd(%r : tensor<4xf32>) {acc_type = f64} -> tensor<4x8xf32>, tensor<4xf32>
  return
}

// -----

func.func @mean_shape(%x: tensor<2x4x8xf32>, %y: tensor<2x4x8xf32>, %m: tensor<2x4xf32>) {
  // expected-error @+1 {{expects mean to have the leading shape of x (2, the dims before axis 1), got 2x4}}
  %0:2 = norm.layer_norm ins(%x : tensor<2x4x8xf32>) outs(%y : tensor<2x4x8xf32>) mean(%m : tensor<2x4xf32>) {axis = 1 : i64} -> tensor<2x4x8xf32>, tensor<2x4xf32>
  return
}

// -----

func.func @grad_mean_element(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %m: tensor<4xf16>, %r: tensor<4xf32>, %dx: tensor<4x8xf32>) {
  // expected-error @+1 {{'norm.layer_norm_grad' op expects mean element type to be the accumulation type ('f32'), got 'f16'}}
  %0 = norm.layer_norm_grad ins(%dy : tensor<4x8xf32>, %x : tensor<4x8xf32>, %m : tensor<4xf16>, %r : tensor<4xf32>) outs dx(%dx : tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @grad_rstd_shape(%dy: tensor<4x8xf32>, %x: tensor<4x8xf32>, %r: tensor<4x1xf32>, %dx: tensor<4x8xf32>) {
  // expected-error @+1 {{'norm.rms_norm_grad' op expects rstd to have the leading shape of x (4, the dims before axis 1), got 4x1}}
  %0 = norm.rms_norm_grad ins(%dy : tensor<4x8xf32>, %x : tensor<4x8xf32>, %r : tensor<4x1xf32>) outs dx(%dx : tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

func.func @post_mean_shape(%x: tensor<4x8xf32>, %s: tensor<4x6xf32>, %y: tensor<4x8xf32>, %m: tensor<5xf32>) {
  // expected-error @+1 {{'norm.layer_norm_post_all_gather' op expects mean to have the leading shape of x (4, the dims before axis 1), got 5}}
  %0:2 = norm.layer_norm_post_all_gather ins(%x : tensor<4x8xf32>) stats(%s : tensor<4x6xf32>) outs(%y : tensor<4x8xf32>) mean(%m : tensor<5xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<4x8xf32>, tensor<5xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Stats of the distributed split
//===----------------------------------------------------------------------===//

func.func @pre_stats_last_dim(%x: tensor<4x8xf32>, %s: tensor<4x3xf32>) {
  // expected-error @+1 {{expects the last dimension of stats to be 2 (one shard of count_sumsq), got 3}}
  %0 = norm.rms_norm_pre_all_gather ins(%x : tensor<4x8xf32>) outs(%s : tensor<4x3xf32>) {stats_layout = #norm.stats<count_sumsq>} -> tensor<4x3xf32>
  return
}

// -----

func.func @pre_stats_rank(%x: tensor<4x8xf32>, %s: tensor<4xf32>) {
  // expected-error @+1 {{expects stats to have the leading shape of x (4) plus one trailing dimension, got 4}}
  %0 = norm.layer_norm_pre_all_gather ins(%x : tensor<4x8xf32>) outs(%s : tensor<4xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<4xf32>
  return
}

// -----

func.func @pre_stats_element(%x: tensor<4x8xbf16>, %s: tensor<4x3xbf16>) {
  // expected-error @+1 {{expects stats element type to be the accumulation type ('f32'), got 'bf16'}}
  %0 = norm.layer_norm_pre_all_gather ins(%x : tensor<4x8xbf16>) outs(%s : tensor<4x3xbf16>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<4x3xbf16>
  return
}

// -----

func.func @post_stats_multiple(%x: tensor<4x8xf32>, %s: tensor<4x7xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{expects the last dimension of stats to be a positive multiple of 3 (count_sum_m2 entries per shard), got 7}}
  %0 = norm.layer_norm_post_all_gather ins(%x : tensor<4x8xf32>) stats(%s : tensor<4x7xf32>) outs(%y : tensor<4x8xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<4x8xf32>
  return
}

// -----

func.func @post_stats_leading(%x: tensor<4x8xf32>, %s: tensor<5x4xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{'norm.rms_norm_post_all_gather' op expects stats to have the leading shape of x (4) plus one trailing dimension, got 5x4}}
  %0 = norm.rms_norm_post_all_gather ins(%x : tensor<4x8xf32>) stats(%s : tensor<5x4xf32>) outs(%y : tensor<4x8xf32>) {stats_layout = #norm.stats<count_sumsq>} -> tensor<4x8xf32>
  return
}

// -----

func.func @stats_layout_mismatch(%x: tensor<4x8xf32>, %s: tensor<4x3xf32>) {
  // expected-error @+1 {{'norm.rms_norm_pre_all_gather' op expects stats_layout #norm.stats<count_sumsq>, got #norm.stats<count_sum_m2>}}
  %0 = norm.rms_norm_pre_all_gather ins(%x : tensor<4x8xf32>) outs(%s : tensor<4x3xf32>) {stats_layout = #norm.stats<count_sum_m2>} -> tensor<4x3xf32>
  return
}

// -----

func.func @stats_layout_missing(%x: tensor<4x8xf32>, %s: tensor<4x2xf32>) {
  // expected-error @+1 {{'norm.rms_norm_pre_all_gather' op requires attribute 'stats_layout'}}
  %0 = norm.rms_norm_pre_all_gather ins(%x : tensor<4x8xf32>) outs(%s : tensor<4x2xf32>) -> tensor<4x2xf32>
  return
}

// -----

func.func @post_layer_stats_layout(%x: tensor<4x8xf32>, %s: tensor<4x4xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{'norm.layer_norm_post_all_gather' op expects stats_layout #norm.stats<count_sum_m2>, got #norm.stats<count_sumsq>}}
  %0 = norm.layer_norm_post_all_gather ins(%x : tensor<4x8xf32>) stats(%s : tensor<4x4xf32>) outs(%y : tensor<4x8xf32>) {stats_layout = #norm.stats<count_sumsq>} -> tensor<4x8xf32>
  return
}

// -----

//===----------------------------------------------------------------------===//
// Parser errors
//===----------------------------------------------------------------------===//

func.func @bad_rounding(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+2 {{expected ::mlir::norm::RoundingMode to be one of: once, before_gamma}}
  // expected-error @+1 {{failed to parse Norm_RoundingModeAttr parameter 'value'}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) {rounding = #norm.rounding<sometimes>} -> tensor<4x8xf32>
  return
}

// -----

func.func @unknown_norm_attr(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{unknown attribute `bogus` in dialect `norm`}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) outs(%y : tensor<4x8xf32>) {rounding = #norm.bogus<1>} -> tensor<4x8xf32>
  return
}

// -----

func.func @unknown_keyword(%x: tensor<4x8xf32>, %g: tensor<8xf32>, %y: tensor<4x8xf32>) {
  // expected-error @+1 {{expected 'outs'}}
  %0 = norm.rms_norm ins(%x : tensor<4x8xf32>) weight(%g : tensor<8xf32>) outs(%y : tensor<4x8xf32>) -> tensor<4x8xf32>
  return
}

// -----

// Generic form whose segment sizes leave a required group empty (issue 23,
// item 9: the verifier used to dereference the missing y).
func.func @segments_required_empty(%a: tensor<8x64xf32>, %b: tensor<8x64xf32>) -> tensor<8x64xf32> {
  // expected-error @+1 {{expects exactly one operand in operand group 0 (a required operand), got 2}}
  %0 = "norm.rms_norm"(%a, %b) <{axis = -1 : i64, epsilon = 1.0e-6 : f64, gamma_offset = 0.0 : f64, operandSegmentSizes = array<i32: 2, 0, 0, 0, 0, 0, 0, 0>, rounding = #norm.rounding<once>}> : (tensor<8x64xf32>, tensor<8x64xf32>) -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

func.func @segments_layer_norm(%a: tensor<8x64xf32>, %b: tensor<8x64xf32>) -> tensor<8x64xf32> {
  // expected-error @+1 {{expects exactly one operand in operand group 5 (a required operand), got 0}}
  %0 = "norm.layer_norm"(%a, %b) <{axis = -1 : i64, epsilon = 1.0e-5 : f64, gamma_offset = 0.0 : f64, operandSegmentSizes = array<i32: 1, 0, 0, 1, 0, 0, 0, 0, 0>, rounding = #norm.rounding<once>}> : (tensor<8x64xf32>, tensor<8x64xf32>) -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

func.func @segments_pre_all_gather(%a: tensor<8x64xf32>, %b: tensor<8x2xf32>) -> tensor<8x2xf32> {
  // expected-error @+1 {{expects exactly one operand in operand group 2 (a required operand), got 0}}
  %0 = "norm.rms_norm_pre_all_gather"(%a, %b) <{axis = -1 : i64, operandSegmentSizes = array<i32: 1, 1, 0, 0>, stats_layout = #norm.stats<count_sumsq>}> : (tensor<8x64xf32>, tensor<8x2xf32>) -> tensor<8x2xf32>
  return %0 : tensor<8x2xf32>
}

// -----

func.func @segments_optional_two(%a: tensor<8x64xf32>, %g: tensor<64xf32>, %b: tensor<8x64xf32>) -> tensor<8x64xf32> {
  // expected-error @+1 {{operand group starting at #1 requires 0 or 1 element, but found 2}}
  %0 = "norm.rms_norm"(%a, %g, %g, %b) <{axis = -1 : i64, epsilon = 1.0e-6 : f64, gamma_offset = 0.0 : f64, operandSegmentSizes = array<i32: 1, 2, 0, 0, 0, 1, 0, 0>, rounding = #norm.rounding<once>}> : (tensor<8x64xf32>, tensor<64xf32>, tensor<64xf32>, tensor<8x64xf32>) -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

// An element count that overflows int64 (issue 23, item 13: N wrapped into
// a division by 0.0).
func.func @count_overflow(%x: tensor<1x4294967296x4294967296xf32>, %y: tensor<1x4294967296x4294967296xf32>) -> tensor<1x4294967296x4294967296xf32> {
  // expected-error @+1 {{expects the element count of x to fit in 64 bits, got shape 1x4294967296x4294967296}}
  %0 = norm.rms_norm ins(%x : tensor<1x4294967296x4294967296xf32>) outs(%y : tensor<1x4294967296x4294967296xf32>) {axis = 1 : i64} -> tensor<1x4294967296x4294967296xf32>
  return %0 : tensor<1x4294967296x4294967296xf32>
}

// -----

func.func @eps_not_acc_type(%x: tensor<8x64xf16>, %y: tensor<8x64xf16>, %e: f16) -> tensor<8x64xf16> {
  // expected-error @+1 {{'norm.rms_norm' op expects eps to be a scalar of the accumulation type 'f32', got 'f16'}}
  %0 = norm.rms_norm ins(%x : tensor<8x64xf16>) eps(%e : f16) outs(%y : tensor<8x64xf16>) -> tensor<8x64xf16>
  return %0 : tensor<8x64xf16>
}

// -----

func.func @eps_tensor(%x: tensor<8x64xf32>, %y: tensor<8x64xf32>, %e: tensor<1xf32>) -> tensor<8x64xf32> {
  // expected-error @+1 {{'norm.layer_norm' op expects eps to be a scalar of the accumulation type 'f32', got 'tensor<1xf32>'}}
  %0 = norm.layer_norm ins(%x : tensor<8x64xf32>) eps(%e : tensor<1xf32>) outs(%y : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

func.func @eps_and_epsilon(%x: tensor<8x64xf32>, %y: tensor<8x64xf32>, %e: f32) -> tensor<8x64xf32> {
  // expected-error @+1 {{has both a runtime eps and an epsilon attribute: leave epsilon unset}}
  %0 = norm.rms_norm ins(%x : tensor<8x64xf32>) eps(%e : f32) outs(%y : tensor<8x64xf32>) {epsilon = 1.0e-5 : f64} -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

func.func @eps_post_acc_type(%x: tensor<8x64xf32>, %s: tensor<8x4xf32>, %y: tensor<8x64xf32>, %e: f64) -> tensor<8x64xf32> {
  // expected-error @+1 {{expects eps to be a scalar of the accumulation type 'f32', got 'f64'}}
  %0 = norm.rms_norm_post_all_gather ins(%x : tensor<8x64xf32>) stats(%s : tensor<8x4xf32>) eps(%e : f64) outs(%y : tensor<8x64xf32>) {stats_layout = #norm.stats<count_sumsq>} -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

// Parser messages (issue 23.21): say what was expected.
func.func @mean_on_rms(%x: tensor<8x64xf32>, %y: tensor<8x64xf32>, %m: tensor<8xf32>) -> tensor<8x64xf32> {
  // expected-error @+1 {{'mean' is not an operand group this op takes here}}
  %0 = norm.rms_norm ins(%x : tensor<8x64xf32>) outs(%y : tensor<8x64xf32>) mean(%m : tensor<8xf32>) -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

func.func @grad_outs_without_keyword(%x: tensor<8x64xf32>, %r: tensor<8xf32>, %d: tensor<8x64xf32>) -> tensor<8x64xf32> {
  // expected-error @+1 {{expected the init's keyword before '(' (gradients name each init: outs dx(...) dgamma(...) dbeta(...))}}
  %0 = norm.rms_norm_grad ins(%x : tensor<8x64xf32>, %x : tensor<8x64xf32>, %r : tensor<8xf32>) outs(%d : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

func.func @missing_result_types(%x: tensor<8x64xf32>, %y: tensor<8x64xf32>) -> tensor<8x64xf32> {
  %0 = norm.rms_norm ins(%x : tensor<8x64xf32>) outs(%y : tensor<8x64xf32>)
  // expected-error @+1 {{expected '->' and the 1 result type(s) of an op on tensors}}
  return %0 : tensor<8x64xf32>
}

// -----

func.func @layer_grad_without_mean(%x: tensor<8x64xf32>, %r: tensor<8xf32>, %d: tensor<8x64xf32>) -> tensor<8x64xf32> {
  // expected-error @+1 {{expected 4 inputs in ins(dy, x, mean, rstd), got 3}}
  %0 = norm.layer_norm_grad ins(%x : tensor<8x64xf32>, %x : tensor<8x64xf32>, %r : tensor<8xf32>) outs dx(%d : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

func.func @rms_grad_with_mean(%x: tensor<8x64xf32>, %r: tensor<8xf32>, %d: tensor<8x64xf32>) -> tensor<8x64xf32> {
  // expected-error @+1 {{expected 3 inputs in ins(dy, x, rstd), got 4}}
  %0 = norm.rms_norm_grad ins(%x : tensor<8x64xf32>, %x : tensor<8x64xf32>, %r : tensor<8xf32>, %r : tensor<8xf32>) outs dx(%d : tensor<8x64xf32>) -> tensor<8x64xf32>
  return %0 : tensor<8x64xf32>
}

// -----

func.func @missing_stats_layout(%x: tensor<8x64xf32>, %s: tensor<8x3xf32>) -> tensor<8x3xf32> {
  // expected-error @+1 {{requires attribute 'stats_layout': this op takes #norm.stats<count_sum_m2> (rms_norm split ops count_sumsq, layer_norm split ops count_sum_m2)}}
  %0 = norm.layer_norm_pre_all_gather ins(%x : tensor<8x64xf32>) outs(%s : tensor<8x3xf32>) -> tensor<8x3xf32>
  return %0 : tensor<8x3xf32>
}
