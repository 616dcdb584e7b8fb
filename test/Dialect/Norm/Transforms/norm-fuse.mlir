// RUN: norm-opt %s --norm-fuse -split-input-file | FileCheck %s
// Every function here is also run before and after raising through the CPU
// pipeline by test/Integration/CPU/norm-fuse-differential.mlir.

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// torch-mlir's spelling of Hugging Face LlamaRMSNorm: widen, pow 2, mean as
// sum / N, rsqrt, narrow x̂ before the bf16 weight multiply.
// CHECK-LABEL: func.func @rms_generic_llama
// CHECK-SAME: (%[[X:.+]]: tensor<4x64xbf16>, %[[W:.+]]: tensor<64xbf16>)
// CHECK: %[[Y:.+]] = norm.rms_norm ins(%[[X]] : tensor<4x64xbf16>) gamma(%[[W]] : tensor<64xbf16>)
// CHECK-SAME: rounding = #norm.rounding<before_gamma>
// CHECK-NOT: linalg.generic
// CHECK: return %[[Y]]
func.func @rms_generic_llama(%x: tensor<4x64xbf16>, %w: tensor<64xbf16>) -> tensor<4x64xbf16> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x64xf32>
  %xf = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x64xbf16>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: bf16, %o: f32):
    %0 = arith.extf %a : bf16 to f32
    linalg.yield %0 : f32
  } -> tensor<4x64xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%xf : tensor<4x64xf32>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %two = arith.constant 2.0 : f32
    %0 = math.powf %a, %two : f32
    linalg.yield %0 : f32
  } -> tensor<4x64xf32>
  %er = tensor.empty() : tensor<4xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%sq : tensor<4x64xf32>) outs(%z : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %0 = arith.addf %a, %o : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  %s1 = tensor.expand_shape %s [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %e1 = tensor.empty() : tensor<4x1xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%s1 : tensor<4x1xf32>) outs(%e1 : tensor<4x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.constant 64.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %m = arith.divf %a, %n : f32
    %v = arith.addf %m, %eps : f32
    %q = math.rsqrt %v : f32
    linalg.yield %q : f32
  } -> tensor<4x1xf32>
  %eb = tensor.empty() : tensor<4x64xbf16>
  %y = linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d0, 0)>, #id], iterator_types = ["parallel", "parallel"]} ins(%xf, %r : tensor<4x64xf32>, tensor<4x1xf32>) outs(%eb : tensor<4x64xbf16>) {
  ^bb0(%a: f32, %b: f32, %o: bf16):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.truncf %0 : f32 to bf16
    linalg.yield %1 : bf16
  } -> tensor<4x64xbf16>
  %y2 = linalg.generic {indexing_maps = [#col, #id, #id], iterator_types = ["parallel", "parallel"]} ins(%w, %y : tensor<64xbf16>, tensor<4x64xbf16>) outs(%eb : tensor<4x64xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %o: bf16):
    %0 = arith.mulf %a, %b : bf16
    linalg.yield %0 : bf16
  } -> tensor<4x64xbf16>
  return %y2 : tensor<4x64xbf16>
}

// -----

// Named linalg ops; the mean as Σ times a reciprocal constant defined far
// from its use; rstd returned as well (the op's rstd result, reshaped).
// CHECK-LABEL: func.func @rms_named_rstd
// CHECK: %[[Y:.+]]:2 = norm.rms_norm ins(%{{.+}} : tensor<8x32xf32>) gamma(%{{.+}} : tensor<32xf32>) outs(%{{.+}} : tensor<8x32xf32>) rstd(%{{.+}} : tensor<8xf32>)
// CHECK-SAME: epsilon = 1.000000e-05
// CHECK: %[[R:.+]] = tensor.expand_shape %[[Y]]#1 {{\[}}[0, 1]] output_shape [8, 1]
// CHECK: return %[[Y]]#0, %[[R]]
func.func @rms_named_rstd(%x: tensor<8x32xf32>, %w: tensor<32xf32>) -> (tensor<8x32xf32>, tensor<8x1xf32>) {
  %inv = arith.constant 3.125e-02 : f32
  %c0 = arith.constant 0.0 : f32
  %eps = arith.constant dense<1.0e-5> : tensor<8xf32>
  %e = tensor.empty() : tensor<8x32xf32>
  %er = tensor.empty() : tensor<8xf32>
  %sq = linalg.mul ins(%x, %x : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<8xf32>) -> tensor<8xf32>
  %s = linalg.reduce ins(%sq : tensor<8x32xf32>) outs(%z : tensor<8xf32>) dimensions = [1]
    (%a: f32, %b: f32) {
      %0 = arith.addf %a, %b : f32
      linalg.yield %0 : f32
    }
  %m = linalg.map ins(%s : tensor<8xf32>) outs(%er : tensor<8xf32>)
    (%a: f32, %unused: f32) {
      %0 = arith.mulf %a, %inv : f32
      linalg.yield %0 : f32
    }
  %v = linalg.add ins(%m, %eps : tensor<8xf32>, tensor<8xf32>) outs(%er : tensor<8xf32>) -> tensor<8xf32>
  %r = linalg.rsqrt ins(%v : tensor<8xf32>) outs(%er : tensor<8xf32>) -> tensor<8xf32>
  %rb = linalg.broadcast ins(%r : tensor<8xf32>) outs(%e : tensor<8x32xf32>) dimensions = [1]
  %wb = linalg.broadcast ins(%w : tensor<32xf32>) outs(%e : tensor<8x32xf32>) dimensions = [0]
  %xn = linalg.mul ins(%x, %rb : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %y = linalg.mul ins(%wb, %xn : tensor<8x32xf32>, tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %r1 = tensor.expand_shape %r [[0, 1]] output_shape [8, 1] : tensor<8xf32> into tensor<8x1xf32>
  return %y, %r1 : tensor<8x32xf32>, tensor<8x1xf32>
}

// -----

// arith and math on tensors, f16 widened and narrowed once at the end,
// x / sqrt(mean + eps), Gemma's (1 + w), x² as fpowi.
// CHECK-LABEL: func.func @rms_arith_gemma
// CHECK: norm.rms_norm ins(%{{.+}} : tensor<6x48xf16>) gamma(%{{.+}} : tensor<48xf16>)
// CHECK-SAME: gamma_offset = 1.000000e+00
// CHECK-NOT: rounding
// CHECK-NOT: math.sqrt
func.func @rms_arith_gemma(%x: tensor<6x48xf16>, %w: tensor<48xf16>) -> tensor<6x48xf16> {
  %c0 = arith.constant 0.0 : f32
  %two = arith.constant dense<2> : tensor<6x48xi32>
  %n = arith.constant dense<48.0> : tensor<6xf32>
  %eps = arith.constant dense<1.0e-6> : tensor<6xf32>
  %one = arith.constant dense<1.0> : tensor<48xf32>
  %e = tensor.empty() : tensor<6x48xf32>
  %er = tensor.empty() : tensor<6xf32>
  %xf = arith.extf %x : tensor<6x48xf16> to tensor<6x48xf32>
  %sq = math.fpowi %xf, %two : tensor<6x48xf32>, tensor<6x48xi32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<6xf32>) -> tensor<6xf32>
  %s = linalg.reduce ins(%sq : tensor<6x48xf32>) outs(%z : tensor<6xf32>) dimensions = [1]
    (%a: f32, %b: f32) {
      %0 = arith.addf %b, %a : f32
      linalg.yield %0 : f32
    }
  %m = arith.divf %s, %n : tensor<6xf32>
  %v = arith.addf %m, %eps : tensor<6xf32>
  %q = math.sqrt %v : tensor<6xf32>
  %qb = linalg.broadcast ins(%q : tensor<6xf32>) outs(%e : tensor<6x48xf32>) dimensions = [1]
  %xn = arith.divf %xf, %qb : tensor<6x48xf32>
  %wf = arith.extf %w : tensor<48xf16> to tensor<48xf32>
  %g = arith.addf %one, %wf : tensor<48xf32>
  %gb = linalg.broadcast ins(%g : tensor<48xf32>) outs(%e : tensor<6x48xf32>) dimensions = [0]
  %yf = arith.mulf %xn, %gb : tensor<6x48xf32>
  %y = arith.truncf %yf : tensor<6x48xf32> to tensor<6x48xf16>
  return %y : tensor<6x48xf16>
}

// -----

// tosa with implicit broadcasts and keep-dim reduce_sum, the weight
// reshaped to 1x64, the mean as Σ times 1/N.
// CHECK-LABEL: func.func @rms_tosa
// CHECK-SAME: (%[[X:.+]]: tensor<5x64xf32>, %[[W:.+]]: tensor<64xf32>)
// CHECK: norm.rms_norm ins(%[[X]] : tensor<5x64xf32>) gamma(%[[W]] : tensor<64xf32>)
// CHECK-NOT: tosa.
func.func @rms_tosa(%x: tensor<5x64xf32>, %w: tensor<64xf32>) -> tensor<5x64xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %inv = "tosa.const"() <{values = dense<1.5625e-02> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %eps = "tosa.const"() <{values = dense<1.0e-6> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %shape = tosa.const_shape {values = dense<[1, 64]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %sq = tosa.mul %x, %x, %shift : (tensor<5x64xf32>, tensor<5x64xf32>, tensor<1xi8>) -> tensor<5x64xf32>
  %s = tosa.reduce_sum %sq {axis = 1 : i32} : (tensor<5x64xf32>) -> tensor<5x1xf32>
  %m = tosa.mul %s, %inv, %shift : (tensor<5x1xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<5x1xf32>
  %v = tosa.add %m, %eps : (tensor<5x1xf32>, tensor<1x1xf32>) -> tensor<5x1xf32>
  %r = tosa.rsqrt %v : (tensor<5x1xf32>) -> tensor<5x1xf32>
  %xn = tosa.mul %x, %r, %shift : (tensor<5x64xf32>, tensor<5x1xf32>, tensor<1xi8>) -> tensor<5x64xf32>
  %w2 = tosa.reshape %w, %shape : (tensor<64xf32>, !tosa.shape<2>) -> tensor<1x64xf32>
  %y = tosa.mul %xn, %w2, %shift : (tensor<5x64xf32>, tensor<1x64xf32>, tensor<1xi8>) -> tensor<5x64xf32>
  return %y : tensor<5x64xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// torch-mlir's LayerNorm: mean, x − mean, (x − mean)², var, rsqrt, weight
// and bias, one linalg.generic per step.
// CHECK-LABEL: func.func @layer_generic
// CHECK: norm.layer_norm ins(%{{.+}} : tensor<4x40xf32>) gamma(%{{.+}} : tensor<40xf32>) beta(%{{.+}} : tensor<40xf32>)
// CHECK-NOT: linalg.generic
func.func @layer_generic(%x: tensor<4x40xf32>, %w: tensor<40xf32>, %b: tensor<40xf32>) -> tensor<4x40xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x40xf32>
  %er = tensor.empty() : tensor<4xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x40xf32>) outs(%z : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %0 = arith.addf %a, %o : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  %mean = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%s : tensor<4xf32>) outs(%er : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.constant 40.0 : f32
    %0 = arith.divf %a, %n : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  %d = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %mean : tensor<4x40xf32>, tensor<4xf32>) outs(%e : tensor<4x40xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %0 = arith.subf %a, %m : f32
    linalg.yield %0 : f32
  } -> tensor<4x40xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%d : tensor<4x40xf32>) outs(%e : tensor<4x40xf32>) {
  ^bb0(%a: f32, %o: f32):
    %0 = arith.mulf %a, %a : f32
    linalg.yield %0 : f32
  } -> tensor<4x40xf32>
  %vs = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]} ins(%sq : tensor<4x40xf32>) outs(%z : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %0 = arith.addf %a, %o : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%vs : tensor<4xf32>) outs(%er : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.constant 40.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %0 = arith.divf %a, %n : f32
    %1 = arith.addf %0, %eps : f32
    %2 = math.rsqrt %1 : f32
    linalg.yield %2 : f32
  } -> tensor<4xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #col, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%d, %r, %w, %b : tensor<4x40xf32>, tensor<4xf32>, tensor<40xf32>, tensor<40xf32>) outs(%e : tensor<4x40xf32>) {
  ^bb0(%a: f32, %q: f32, %g: f32, %c: f32, %o: f32):
    %0 = arith.mulf %a, %q : f32
    %1 = arith.mulf %0, %g : f32
    %2 = arith.addf %1, %c : f32
    linalg.yield %2 : f32
  } -> tensor<4x40xf32>
  return %y : tensor<4x40xf32>
}

// -----

// tosa LayerNorm in bf16: cast to f32, two reductions, pow(var + eps, −0.5),
// cast x̂ back to bf16, then weight and bias applied in f32 to the rounded x̂
// and rounded once (weight and bias in bf16 arithmetic would round twice:
// norm-fuse-negative.mlir @layer_tosa_bf16_double_rounding).
// CHECK-LABEL: func.func @layer_tosa_bf16
// CHECK: norm.layer_norm ins(%{{.+}} : tensor<3x32xbf16>) gamma(%{{.+}} : tensor<32xbf16>) beta(%{{.+}} : tensor<32xbf16>)
// CHECK-SAME: rounding = #norm.rounding<before_gamma>
func.func @layer_tosa_bf16(%x: tensor<3x32xbf16>, %w: tensor<1x32xbf16>, %b: tensor<1x32xbf16>) -> tensor<3x32xbf16> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %inv = "tosa.const"() <{values = dense<3.125e-02> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %eps = "tosa.const"() <{values = dense<1.0e-5> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %mhalf = "tosa.const"() <{values = dense<-0.5> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %xf = tosa.cast %x : (tensor<3x32xbf16>) -> tensor<3x32xf32>
  %s = tosa.reduce_sum %xf {axis = 1 : i32} : (tensor<3x32xf32>) -> tensor<3x1xf32>
  %mean = tosa.mul %s, %inv, %shift : (tensor<3x1xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<3x1xf32>
  %d = tosa.sub %xf, %mean : (tensor<3x32xf32>, tensor<3x1xf32>) -> tensor<3x32xf32>
  %sq = tosa.mul %d, %d, %shift : (tensor<3x32xf32>, tensor<3x32xf32>, tensor<1xi8>) -> tensor<3x32xf32>
  %vs = tosa.reduce_sum %sq {axis = 1 : i32} : (tensor<3x32xf32>) -> tensor<3x1xf32>
  %var = tosa.mul %vs, %inv, %shift : (tensor<3x1xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<3x1xf32>
  %v = tosa.add %var, %eps : (tensor<3x1xf32>, tensor<1x1xf32>) -> tensor<3x1xf32>
  %r = tosa.pow %v, %mhalf : (tensor<3x1xf32>, tensor<1x1xf32>) -> tensor<3x1xf32>
  %xn = tosa.mul %d, %r, %shift : (tensor<3x32xf32>, tensor<3x1xf32>, tensor<1xi8>) -> tensor<3x32xf32>
  %xb = tosa.cast %xn : (tensor<3x32xf32>) -> tensor<3x32xbf16>
  %xbf = tosa.cast %xb : (tensor<3x32xbf16>) -> tensor<3x32xf32>
  %wf = tosa.cast %w : (tensor<1x32xbf16>) -> tensor<1x32xf32>
  %bf = tosa.cast %b : (tensor<1x32xbf16>) -> tensor<1x32xf32>
  %yw = tosa.mul %xbf, %wf, %shift : (tensor<3x32xf32>, tensor<1x32xf32>, tensor<1xi8>) -> tensor<3x32xf32>
  %yf = tosa.add %yw, %bf : (tensor<3x32xf32>, tensor<1x32xf32>) -> tensor<3x32xf32>
  %y = tosa.cast %yf : (tensor<3x32xf32>) -> tensor<3x32xbf16>
  return %y : tensor<3x32xbf16>
}

// -----

// A pre-norm residual add whose sum is also returned: residual and
// residual_out. The add is in the input type (bf16), as frameworks round h.
// CHECK-LABEL: func.func @rms_residual
// CHECK-SAME: (%[[A:.+]]: tensor<4x64xbf16>, %[[B:.+]]: tensor<4x64xbf16>, %[[W:.+]]: tensor<64xbf16>)
// CHECK: %[[N:.+]]:2 = norm.rms_norm ins(%[[A]] : tensor<4x64xbf16>) gamma(%[[W]] : tensor<64xbf16>) residual(%[[B]] : tensor<4x64xbf16>)
// CHECK-SAME: residual_out(
// CHECK: return %[[N]]#0, %[[N]]#1
func.func @rms_residual(%a: tensor<4x64xbf16>, %b: tensor<4x64xbf16>, %w: tensor<64xbf16>) -> (tensor<4x64xbf16>, tensor<4x64xbf16>) {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant dense<1.5625e-02> : tensor<4xf32>
  %eps = arith.constant dense<1.0e-6> : tensor<4xf32>
  %e = tensor.empty() : tensor<4x64xf32>
  %er = tensor.empty() : tensor<4xf32>
  %h = arith.addf %a, %b : tensor<4x64xbf16>
  %x = arith.extf %h : tensor<4x64xbf16> to tensor<4x64xf32>
  %sq = arith.mulf %x, %x : tensor<4x64xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%sq : tensor<4x64xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %m = arith.mulf %s, %inv : tensor<4xf32>
  %v = arith.addf %m, %eps : tensor<4xf32>
  %r = math.rsqrt %v : tensor<4xf32>
  %rb = linalg.broadcast ins(%r : tensor<4xf32>) outs(%e : tensor<4x64xf32>) dimensions = [1]
  %xn = arith.mulf %x, %rb : tensor<4x64xf32>
  %wf = arith.extf %w : tensor<64xbf16> to tensor<64xf32>
  %wb = linalg.broadcast ins(%wf : tensor<64xf32>) outs(%e : tensor<4x64xf32>) dimensions = [0]
  %yf = arith.mulf %xn, %wb : tensor<4x64xf32>
  %y = arith.truncf %yf : tensor<4x64xf32> to tensor<4x64xbf16>
  return %y, %h : tensor<4x64xbf16>, tensor<4x64xbf16>
}

// -----

// Per-head QK-norm: rank 4, normalized over head_dim only.
// CHECK-LABEL: func.func @rms_qk_norm
// CHECK: norm.rms_norm ins(%{{.+}} : tensor<2x3x4x16xf32>) gamma(%{{.+}} : tensor<16xf32>)
// CHECK-SAME: axis = 3
func.func @rms_qk_norm(%x: tensor<2x3x4x16xf32>, %w: tensor<16xf32>) -> tensor<2x3x4x16xf32> {
  %c0 = arith.constant 0.0 : f32
  %n = arith.constant dense<16.0> : tensor<2x3x4xf32>
  %eps = arith.constant dense<1.0e-6> : tensor<2x3x4xf32>
  %e = tensor.empty() : tensor<2x3x4x16xf32>
  %er = tensor.empty() : tensor<2x3x4xf32>
  %sq = arith.mulf %x, %x : tensor<2x3x4x16xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  %s = linalg.reduce ins(%sq : tensor<2x3x4x16xf32>) outs(%z : tensor<2x3x4xf32>) dimensions = [3]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %m = arith.divf %s, %n : tensor<2x3x4xf32>
  %v = arith.addf %m, %eps : tensor<2x3x4xf32>
  %r = math.rsqrt %v : tensor<2x3x4xf32>
  %rb = linalg.broadcast ins(%r : tensor<2x3x4xf32>) outs(%e : tensor<2x3x4x16xf32>) dimensions = [3]
  %wb = linalg.broadcast ins(%w : tensor<16xf32>) outs(%e : tensor<2x3x4x16xf32>) dimensions = [0, 1, 2]
  %xn = arith.mulf %x, %rb : tensor<2x3x4x16xf32>
  %y = arith.mulf %wb, %xn : tensor<2x3x4x16xf32>
  return %y : tensor<2x3x4x16xf32>
}

// -----

// LayerNorm over the last two dims of a rank-3 tensor, no weight, mean and
// rstd returned in keep-dim shape.
// CHECK-LABEL: func.func @layer_two_dims_stats
// CHECK: %[[N:.+]]:3 = norm.layer_norm ins(%{{.+}} : tensor<3x4x8xf32>) outs(%{{.+}} : tensor<3x4x8xf32>) mean(%{{.+}} : tensor<3xf32>) rstd(%{{.+}} : tensor<3xf32>)
// CHECK-SAME: axis = 1
// CHECK-DAG: tensor.expand_shape %[[N]]#1 {{\[}}[0, 1, 2]] output_shape [3, 1, 1]
// CHECK-DAG: tensor.expand_shape %[[N]]#2 {{\[}}[0, 1, 2]] output_shape [3, 1, 1]
func.func @layer_two_dims_stats(%x: tensor<3x4x8xf32>) -> (tensor<3x4x8xf32>, tensor<3x1x1xf32>, tensor<3x1x1xf32>) {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant dense<3.125e-02> : tensor<3xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<3xf32>
  %e = tensor.empty() : tensor<3x4x8xf32>
  %er = tensor.empty() : tensor<3xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<3xf32>) -> tensor<3xf32>
  %s = linalg.reduce ins(%x : tensor<3x4x8xf32>) outs(%z : tensor<3xf32>) dimensions = [1, 2]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %mean = arith.mulf %s, %inv : tensor<3xf32>
  %mb = linalg.broadcast ins(%mean : tensor<3xf32>) outs(%e : tensor<3x4x8xf32>) dimensions = [1, 2]
  %d = arith.subf %x, %mb : tensor<3x4x8xf32>
  %sq = arith.mulf %d, %d : tensor<3x4x8xf32>
  %vs = linalg.reduce ins(%sq : tensor<3x4x8xf32>) outs(%z : tensor<3xf32>) dimensions = [1, 2]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %var = arith.mulf %vs, %inv : tensor<3xf32>
  %v = arith.addf %var, %eps : tensor<3xf32>
  %r = math.rsqrt %v : tensor<3xf32>
  %rb = linalg.broadcast ins(%r : tensor<3xf32>) outs(%e : tensor<3x4x8xf32>) dimensions = [1, 2]
  %y = arith.mulf %d, %rb : tensor<3x4x8xf32>
  %m1 = tensor.expand_shape %mean [[0, 1, 2]] output_shape [3, 1, 1] : tensor<3xf32> into tensor<3x1x1xf32>
  %r1 = tensor.expand_shape %r [[0, 1, 2]] output_shape [3, 1, 1] : tensor<3xf32> into tensor<3x1x1xf32>
  return %y, %m1, %r1 : tensor<3x4x8xf32>, tensor<3x1x1xf32>, tensor<3x1x1xf32>
}

// -----

// Dynamic rows and a dynamic normalized size: the mean divides by the size
// read with tensor.dim.
// CHECK-LABEL: func.func @rms_dynamic
// CHECK: norm.rms_norm ins(%{{.+}} : tensor<?x?xf32>) gamma(%{{.+}} : tensor<?xf32>)
func.func @rms_dynamic(%x: tensor<?x?xf32>, %w: tensor<?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0.0 : f32
  %i0 = arith.constant 0 : index
  %i1 = arith.constant 1 : index
  %eps = arith.constant 1.0e-6 : f32
  %rows = tensor.dim %x, %i0 : tensor<?x?xf32>
  %cols = tensor.dim %x, %i1 : tensor<?x?xf32>
  %ci = arith.index_cast %cols : index to i64
  %n = arith.sitofp %ci : i64 to f32
  %e = tensor.empty(%rows, %cols) : tensor<?x?xf32>
  %er = tensor.empty(%rows) : tensor<?xf32>
  %sq = arith.mulf %x, %x : tensor<?x?xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.reduce ins(%sq : tensor<?x?xf32>) outs(%z : tensor<?xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %r = linalg.map ins(%s : tensor<?xf32>) outs(%er : tensor<?xf32>)
    (%a: f32, %unused: f32) {
      %0 = arith.divf %a, %n : f32
      %1 = arith.addf %0, %eps : f32
      %2 = math.rsqrt %1 : f32
      linalg.yield %2 : f32
    }
  %rb = linalg.broadcast ins(%r : tensor<?xf32>) outs(%e : tensor<?x?xf32>) dimensions = [1]
  %wb = linalg.broadcast ins(%w : tensor<?xf32>) outs(%e : tensor<?x?xf32>) dimensions = [0]
  %xn = arith.mulf %x, %rb : tensor<?x?xf32>
  %y = arith.mulf %xn, %wb : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// Regression (found by examples/embed): with dynamic rows, residual_out's
// init is sized from the add's operand; sizing it from the sum made a
// tensor.dim of the sum, which the fusion then pointed at residual_out
// itself (a use before its definition).
// CHECK-LABEL: func.func @rms_residual_dynamic
// CHECK-SAME: (%[[A:.+]]: tensor<?x32xf32>, %[[B:.+]]: tensor<?x32xf32>, %[[W:.+]]: tensor<32xf32>)
// CHECK-NOT: arith.addf
// CHECK: %[[Y:.+]] = tensor.empty
// CHECK-NOT: arith.addf
// CHECK: %[[ROWS:.+]] = tensor.dim %[[A]]
// CHECK-NEXT: %[[OUT:.+]] = tensor.empty(%[[ROWS]]) : tensor<?x32xf32>
// CHECK-NEXT: %[[N:.+]]:2 = norm.rms_norm ins(%[[A]] : tensor<?x32xf32>) gamma(%[[W]] : tensor<32xf32>) residual(%[[B]] : tensor<?x32xf32>)
// CHECK-SAME: outs(%[[Y]] : tensor<?x32xf32>) residual_out(%[[OUT]] : tensor<?x32xf32>)
// CHECK: return %[[N]]#0, %[[N]]#1
func.func @rms_residual_dynamic(%x: tensor<?x32xf32>, %attn: tensor<?x32xf32>,
                                %w: tensor<32xf32>) -> (tensor<?x32xf32>, tensor<?x32xf32>) {
  %c0 = arith.constant 0.0 : f32
  %i0 = arith.constant 0 : index
  %n = arith.constant 32.0 : f32
  %eps = arith.constant 1.0e-6 : f32
  %rows = tensor.dim %x, %i0 : tensor<?x32xf32>
  %e = tensor.empty(%rows) : tensor<?x32xf32>
  %er = tensor.empty(%rows) : tensor<?xf32>
  %h = arith.addf %x, %attn : tensor<?x32xf32>
  %sq = arith.mulf %h, %h : tensor<?x32xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.reduce ins(%sq : tensor<?x32xf32>) outs(%z : tensor<?xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %r = linalg.map ins(%s : tensor<?xf32>) outs(%er : tensor<?xf32>)
    (%a: f32, %unused: f32) {
      %0 = arith.divf %a, %n : f32
      %1 = arith.addf %0, %eps : f32
      %2 = math.rsqrt %1 : f32
      linalg.yield %2 : f32
    }
  %rb = linalg.broadcast ins(%r : tensor<?xf32>) outs(%e : tensor<?x32xf32>) dimensions = [1]
  %wb = linalg.broadcast ins(%w : tensor<32xf32>) outs(%e : tensor<?x32xf32>) dimensions = [0]
  %hn = arith.mulf %h, %rb : tensor<?x32xf32>
  %y = arith.mulf %hn, %wb : tensor<?x32xf32>
  return %y, %h : tensor<?x32xf32>, tensor<?x32xf32>
}

// -----

// The one allowance to exact coefficients (docs/Fuse.md, "Soundness"): a
// pre-folded 1/N is 1/N rounded to nearest in the constant's type. f32
// 6.51041686e-4 is 1/1536 so rounded; 6.51041686e-4 · (1 + 5e-6) would not
// be (norm-fuse-soundness.mlir).
// CHECK-LABEL: func.func @rms_rounded_reciprocal
// CHECK: norm.rms_norm ins(%{{.+}} : tensor<2x1536xf32>) gamma(%{{.+}} : tensor<1536xf32>)
// CHECK-NOT: linalg.reduce
func.func @rms_rounded_reciprocal(%x: tensor<2x1536xf32>, %w: tensor<1536xf32>) -> tensor<2x1536xf32> {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant dense<6.51041686e-4> : tensor<2xf32>
  %eps = arith.constant dense<1.0e-6> : tensor<2xf32>
  %e = tensor.empty() : tensor<2x1536xf32>
  %er = tensor.empty() : tensor<2xf32>
  %sq = arith.mulf %x, %x : tensor<2x1536xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<2xf32>) -> tensor<2xf32>
  %s = linalg.reduce ins(%sq : tensor<2x1536xf32>) outs(%z : tensor<2xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %m = arith.mulf %s, %inv : tensor<2xf32>
  %v = arith.addf %m, %eps : tensor<2xf32>
  %r = math.rsqrt %v : tensor<2xf32>
  %rb = linalg.broadcast ins(%r : tensor<2xf32>) outs(%e : tensor<2x1536xf32>) dimensions = [1]
  %wb = linalg.broadcast ins(%w : tensor<1536xf32>) outs(%e : tensor<2x1536xf32>) dimensions = [0]
  %xn = arith.mulf %x, %rb : tensor<2x1536xf32>
  %y = arith.mulf %xn, %wb : tensor<2x1536xf32>
  return %y : tensor<2x1536xf32>
}

// -----

// LayerNorm over 24 with the pre-folded f32 1/24 (4.16666679e-2) for both
// the mean and the variance: squared in mean², still the same allowance.
// CHECK-LABEL: func.func @layer_rounded_reciprocal
// CHECK: norm.layer_norm ins(%{{.+}} : tensor<3x24xf32>) outs(
func.func @layer_rounded_reciprocal(%x: tensor<3x24xf32>) -> tensor<3x24xf32> {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant dense<4.16666679e-2> : tensor<3xf32>
  %eps = arith.constant dense<1.0e-5> : tensor<3xf32>
  %e = tensor.empty() : tensor<3x24xf32>
  %er = tensor.empty() : tensor<3xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<3xf32>) -> tensor<3xf32>
  %s = linalg.reduce ins(%x : tensor<3x24xf32>) outs(%z : tensor<3xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %mean = arith.mulf %s, %inv : tensor<3xf32>
  %mb = linalg.broadcast ins(%mean : tensor<3xf32>) outs(%e : tensor<3x24xf32>) dimensions = [1]
  %d = arith.subf %x, %mb : tensor<3x24xf32>
  %sq = arith.mulf %d, %d : tensor<3x24xf32>
  %vs = linalg.reduce ins(%sq : tensor<3x24xf32>) outs(%z : tensor<3xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %var = arith.mulf %vs, %inv : tensor<3xf32>
  %v = arith.addf %var, %eps : tensor<3xf32>
  %r = math.rsqrt %v : tensor<3xf32>
  %rb = linalg.broadcast ins(%r : tensor<3xf32>) outs(%e : tensor<3x24xf32>) dimensions = [1]
  %y = arith.mulf %d, %rb : tensor<3x24xf32>
  return %y : tensor<3x24xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// bf16(f32(bf16(x̂)) · f32(γ)): x̂ rounded, widened, scaled in f32 and
// rounded once; the same as bf16(bf16(x̂) · γ) (a bf16 product is exact in
// f32), so before_gamma (issue 16 class 10).
// CHECK-LABEL: func.func @rms_round_widen_scale
// CHECK: norm.rms_norm
// CHECK-SAME: rounding = #norm.rounding<before_gamma>
func.func @rms_round_widen_scale(%x: tensor<4x64xbf16>, %w: tensor<64xbf16>) -> tensor<4x64xbf16> {
  %xf = arith.extf %x : tensor<4x64xbf16> to tensor<4x64xf32>
  %sq = arith.mulf %xf, %xf : tensor<4x64xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%sq : tensor<4x64xf32>) outs(%f : tensor<4xf32>) dimensions = [1]
    (%a: f32, %b: f32) {
      %t = arith.addf %a, %b : f32
      linalg.yield %t : f32
    }
  %eb = tensor.empty() : tensor<4x64xbf16>
  %y = linalg.generic {indexing_maps = [#id, #row, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%xf, %s, %w : tensor<4x64xf32>, tensor<4xf32>, tensor<64xbf16>) outs(%eb : tensor<4x64xbf16>) {
  ^bb0(%a: f32, %ss: f32, %g: bf16, %o: bf16):
    %n = arith.constant 64.0 : f32
    %eps = arith.constant 1.0e-6 : f32
    %m = arith.divf %ss, %n : f32
    %v = arith.addf %m, %eps : f32
    %r = math.rsqrt %v : f32
    %xh = arith.mulf %a, %r : f32
    %t = arith.truncf %xh : f32 to bf16
    %t2 = arith.extf %t : bf16 to f32
    %g2 = arith.extf %g : bf16 to f32
    %p = arith.mulf %t2, %g2 : f32
    %q = arith.truncf %p : f32 to bf16
    linalg.yield %q : bf16
  } -> tensor<4x64xbf16>
  return %y : tensor<4x64xbf16>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// The narrowing and the bf16 weight multiply in one body: bf16 arithmetic
// rounds the product, the root's own rounding.
// CHECK-LABEL: func.func @rms_round_then_bf16_scale
// CHECK: norm.rms_norm
// CHECK-SAME: rounding = #norm.rounding<before_gamma>
func.func @rms_round_then_bf16_scale(%x: tensor<4x64xbf16>, %w: tensor<64xbf16>) -> tensor<4x64xbf16> {
  %xf = arith.extf %x : tensor<4x64xbf16> to tensor<4x64xf32>
  %sq = arith.mulf %xf, %xf : tensor<4x64xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%sq : tensor<4x64xf32>) outs(%f : tensor<4xf32>) dimensions = [1]
    (%a: f32, %b: f32) {
      %t = arith.addf %a, %b : f32
      linalg.yield %t : f32
    }
  %eb = tensor.empty() : tensor<4x64xbf16>
  %y = linalg.generic {indexing_maps = [#id, #row, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%xf, %s, %w : tensor<4x64xf32>, tensor<4xf32>, tensor<64xbf16>) outs(%eb : tensor<4x64xbf16>) {
  ^bb0(%a: f32, %ss: f32, %g: bf16, %o: bf16):
    %n = arith.constant 64.0 : f32
    %eps = arith.constant 1.0e-6 : f32
    %m = arith.divf %ss, %n : f32
    %v = arith.addf %m, %eps : f32
    %r = math.rsqrt %v : f32
    %xh = arith.mulf %a, %r : f32
    %t = arith.truncf %xh : f32 to bf16
    %q = arith.mulf %t, %g : bf16
    linalg.yield %q : bf16
  } -> tensor<4x64xbf16>
  return %y : tensor<4x64xbf16>
}

// -----

// TOSA with a rank-equal weight 1x1xN multiplied by implicit broadcast
// (issue 16 class 8): γ is absorbed, collapsed to N.
// CHECK-LABEL: func.func @rms_tosa_rank3_weight
// CHECK: %[[G:.+]] = tensor.collapse_shape %{{.+}} {{\[\[}}0, 1, 2]] : tensor<1x1x64xf32> into tensor<64xf32>
// CHECK: norm.rms_norm ins(%{{.+}} : tensor<2x5x64xf32>) gamma(%[[G]] : tensor<64xf32>)
// CHECK-NOT: tosa.mul
func.func @rms_tosa_rank3_weight(%x: tensor<2x5x64xf32>, %w: tensor<1x1x64xf32>) -> tensor<2x5x64xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %inv = "tosa.const"() <{values = dense<1.5625e-02> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %eps = "tosa.const"() <{values = dense<1.0e-6> : tensor<1x1x1xf32>}> : () -> tensor<1x1x1xf32>
  %sq = tosa.mul %x, %x, %shift : (tensor<2x5x64xf32>, tensor<2x5x64xf32>, tensor<1xi8>) -> tensor<2x5x64xf32>
  %s = tosa.reduce_sum %sq {axis = 2 : i32} : (tensor<2x5x64xf32>) -> tensor<2x5x1xf32>
  %m = tosa.mul %s, %inv, %shift : (tensor<2x5x1xf32>, tensor<1x1x1xf32>, tensor<1xi8>) -> tensor<2x5x1xf32>
  %v = tosa.add %m, %eps : (tensor<2x5x1xf32>, tensor<1x1x1xf32>) -> tensor<2x5x1xf32>
  %r = tosa.rsqrt %v : (tensor<2x5x1xf32>) -> tensor<2x5x1xf32>
  %xn = tosa.mul %x, %r, %shift : (tensor<2x5x64xf32>, tensor<2x5x1xf32>, tensor<1xi8>) -> tensor<2x5x64xf32>
  %y = tosa.mul %xn, %w, %shift : (tensor<2x5x64xf32>, tensor<1x1x64xf32>, tensor<1xi8>) -> tensor<2x5x64xf32>
  return %y : tensor<2x5x64xf32>
}

// -----

// The decode-shaped head norm: 1x16x1x128 with a 1x1x1x128 weight on the
// left of the multiply.
// CHECK-LABEL: func.func @rms_tosa_decode_head_weight
// CHECK: %[[G:.+]] = tensor.collapse_shape %{{.+}} {{\[\[}}0, 1, 2, 3]] : tensor<1x1x1x128xf32> into tensor<128xf32>
// CHECK: norm.rms_norm ins(%{{.+}} : tensor<1x16x1x128xf32>) gamma(%[[G]] : tensor<128xf32>)
// CHECK-NOT: tosa.mul
func.func @rms_tosa_decode_head_weight(%x: tensor<1x16x1x128xf32>, %w: tensor<1x1x1x128xf32>) -> tensor<1x16x1x128xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %inv = "tosa.const"() <{values = dense<7.8125e-03> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %eps = "tosa.const"() <{values = dense<1.0e-6> : tensor<1x1x1x1xf32>}> : () -> tensor<1x1x1x1xf32>
  %sq = tosa.mul %x, %x, %shift : (tensor<1x16x1x128xf32>, tensor<1x16x1x128xf32>, tensor<1xi8>) -> tensor<1x16x1x128xf32>
  %s = tosa.reduce_sum %sq {axis = 3 : i32} : (tensor<1x16x1x128xf32>) -> tensor<1x16x1x1xf32>
  %m = tosa.mul %s, %inv, %shift : (tensor<1x16x1x1xf32>, tensor<1x1x1x1xf32>, tensor<1xi8>) -> tensor<1x16x1x1xf32>
  %v = tosa.add %m, %eps : (tensor<1x16x1x1xf32>, tensor<1x1x1x1xf32>) -> tensor<1x16x1x1xf32>
  %r = tosa.rsqrt %v : (tensor<1x16x1x1xf32>) -> tensor<1x16x1x1xf32>
  %xn = tosa.mul %x, %r, %shift : (tensor<1x16x1x128xf32>, tensor<1x16x1x1xf32>, tensor<1xi8>) -> tensor<1x16x1x128xf32>
  %y = tosa.mul %w, %xn, %shift : (tensor<1x1x1x128xf32>, tensor<1x16x1x128xf32>, tensor<1xi8>) -> tensor<1x16x1x128xf32>
  return %y : tensor<1x16x1x128xf32>
}

// -----

// Issue 16 class 10: arithmetic in bf16 rounds. LayerNorm whose weight and
// bias are applied in bf16 rounds twice, bf16(bf16(bf16(x̂)·γ) + β); the op
// rounds once after the bias. The norm with γ is raised (before_gamma: it
// is bf16(bf16(x̂)·γ)); the bias add stays a bf16 add after it.
// CHECK-LABEL: func.func @layer_tosa_bf16_double_rounding
// CHECK: %[[N:.+]] = norm.layer_norm
// CHECK-NOT: beta(
// CHECK-SAME: rounding = #norm.rounding<before_gamma>
// CHECK: tosa.add %[[N]]
func.func @layer_tosa_bf16_double_rounding(%x: tensor<3x32xbf16>, %w: tensor<1x32xbf16>, %b: tensor<1x32xbf16>) -> tensor<3x32xbf16> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %inv = "tosa.const"() <{values = dense<3.125e-02> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %eps = "tosa.const"() <{values = dense<1.0e-5> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %mhalf = "tosa.const"() <{values = dense<-0.5> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %xf = tosa.cast %x : (tensor<3x32xbf16>) -> tensor<3x32xf32>
  %s = tosa.reduce_sum %xf {axis = 1 : i32} : (tensor<3x32xf32>) -> tensor<3x1xf32>
  %mean = tosa.mul %s, %inv, %shift : (tensor<3x1xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<3x1xf32>
  %d = tosa.sub %xf, %mean : (tensor<3x32xf32>, tensor<3x1xf32>) -> tensor<3x32xf32>
  %sq = tosa.mul %d, %d, %shift : (tensor<3x32xf32>, tensor<3x32xf32>, tensor<1xi8>) -> tensor<3x32xf32>
  %vs = tosa.reduce_sum %sq {axis = 1 : i32} : (tensor<3x32xf32>) -> tensor<3x1xf32>
  %var = tosa.mul %vs, %inv, %shift : (tensor<3x1xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<3x1xf32>
  %v = tosa.add %var, %eps : (tensor<3x1xf32>, tensor<1x1xf32>) -> tensor<3x1xf32>
  %r = tosa.pow %v, %mhalf : (tensor<3x1xf32>, tensor<1x1xf32>) -> tensor<3x1xf32>
  %xn = tosa.mul %d, %r, %shift : (tensor<3x32xf32>, tensor<3x1xf32>, tensor<1xi8>) -> tensor<3x32xf32>
  %xb = tosa.cast %xn : (tensor<3x32xf32>) -> tensor<3x32xbf16>
  %yw = tosa.mul %xb, %w, %shift : (tensor<3x32xbf16>, tensor<1x32xbf16>, tensor<1xi8>) -> tensor<3x32xbf16>
  %y = tosa.add %yw, %b : (tensor<3x32xbf16>, tensor<1x32xbf16>) -> tensor<3x32xbf16>
  return %y : tensor<3x32xbf16>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#one = affine_map<(d0, d1) -> (0)>

// A runtime eps (issue 16 class 7): a tensor<1xf32> the body reads at 0
// (here |e|, so that the differential run's random inputs give eps ≥ 0).
// CHECK-LABEL: func.func @rms_runtime_eps
// CHECK: %[[A:.+]] = math.absf
// CHECK: %[[E:.+]] = tensor.extract %[[A]][%{{.+}}] : tensor<1xf32>
// CHECK: norm.rms_norm ins(%{{.+}} : tensor<?x64xbf16>) gamma(%{{.+}} : tensor<64xbf16>) eps(%[[E]] : f32)
// CHECK-SAME: rounding = #norm.rounding<before_gamma>
func.func @rms_runtime_eps(%x: tensor<?x64xbf16>, %w: tensor<64xbf16>, %e: tensor<1xf32>) -> tensor<?x64xbf16> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x64xbf16>
  %ea = math.absf %e : tensor<1xf32>
  %xf0 = tensor.empty(%n) : tensor<?x64xf32>
  %xf = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x64xbf16>) outs(%xf0 : tensor<?x64xf32>) {
  ^bb0(%a: bf16, %o: f32):
    %t = arith.extf %a : bf16 to f32
    linalg.yield %t : f32
  } -> tensor<?x64xf32>
  %z = arith.constant 0.0 : f32
  %s0 = tensor.empty(%n) : tensor<?xf32>
  %sf = linalg.fill ins(%z : f32) outs(%s0 : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%xf : tensor<?x64xf32>) outs(%sf : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %t = arith.addf %q, %o : f32
    linalg.yield %t : f32
  } -> tensor<?xf32>
  %y0 = tensor.empty(%n) : tensor<?x64xbf16>
  %y = linalg.generic {indexing_maps = [#id, #row, #one, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%xf, %s, %ea, %w : tensor<?x64xf32>, tensor<?xf32>, tensor<1xf32>, tensor<64xbf16>) outs(%y0 : tensor<?x64xbf16>) {
  ^bb0(%a: f32, %ss: f32, %eps: f32, %g: bf16, %o: bf16):
    %inv = arith.constant 1.5625e-02 : f32
    %m = arith.mulf %ss, %inv : f32
    %v = arith.addf %m, %eps : f32
    %r = math.rsqrt %v : f32
    %xh = arith.mulf %a, %r : f32
    %t = arith.truncf %xh : f32 to bf16
    %q = arith.mulf %t, %g : bf16
    linalg.yield %q : bf16
  } -> tensor<?x64xbf16>
  return %y : tensor<?x64xbf16>
}

// -----

// TOSA LayerNorm whose eps is an f16 tensor<1xf16> input, widened by the
// graph: the op's eps is the widened scalar.
// CHECK-LABEL: func.func @layer_tosa_runtime_eps_f16
// CHECK: %[[E:.+]] = tensor.extract
// CHECK: %[[W:.+]] = arith.extf %[[E]] : f16 to f32
// CHECK: norm.layer_norm ins(%{{.+}} : tensor<6x48xf32>) gamma(%{{.+}} : tensor<48xf32>) beta(%{{.+}} : tensor<48xf32>) eps(%[[W]] : f32)
func.func @layer_tosa_runtime_eps_f16(%x: tensor<6x48xf32>, %w: tensor<48xf32>, %b: tensor<48xf32>, %e: tensor<1xf16>) -> tensor<6x48xf32> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %inv = "tosa.const"() <{values = dense<2.08333339e-02> : tensor<1x1xf32>}> : () -> tensor<1x1xf32>
  %s2 = tosa.const_shape {values = dense<[1, 1]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %s48 = tosa.const_shape {values = dense<[1, 48]> : tensor<2xindex>} : () -> !tosa.shape<2>
  %ea = tosa.abs %e : (tensor<1xf16>) -> tensor<1xf16>
  %e2 = tosa.reshape %ea, %s2 : (tensor<1xf16>, !tosa.shape<2>) -> tensor<1x1xf16>
  %ef = tosa.cast %e2 : (tensor<1x1xf16>) -> tensor<1x1xf32>
  %s = tosa.reduce_sum %x {axis = 1 : i32} : (tensor<6x48xf32>) -> tensor<6x1xf32>
  %mean = tosa.mul %s, %inv, %shift : (tensor<6x1xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<6x1xf32>
  %d = tosa.sub %x, %mean : (tensor<6x48xf32>, tensor<6x1xf32>) -> tensor<6x48xf32>
  %sq = tosa.mul %d, %d, %shift : (tensor<6x48xf32>, tensor<6x48xf32>, tensor<1xi8>) -> tensor<6x48xf32>
  %vs = tosa.reduce_sum %sq {axis = 1 : i32} : (tensor<6x48xf32>) -> tensor<6x1xf32>
  %var = tosa.mul %vs, %inv, %shift : (tensor<6x1xf32>, tensor<1x1xf32>, tensor<1xi8>) -> tensor<6x1xf32>
  %v = tosa.add %var, %ef : (tensor<6x1xf32>, tensor<1x1xf32>) -> tensor<6x1xf32>
  %r = tosa.rsqrt %v : (tensor<6x1xf32>) -> tensor<6x1xf32>
  %xn = tosa.mul %d, %r, %shift : (tensor<6x48xf32>, tensor<6x1xf32>, tensor<1xi8>) -> tensor<6x48xf32>
  %w2 = tosa.reshape %w, %s48 : (tensor<48xf32>, !tosa.shape<2>) -> tensor<1x48xf32>
  %b2 = tosa.reshape %b, %s48 : (tensor<48xf32>, !tosa.shape<2>) -> tensor<1x48xf32>
  %yw = tosa.mul %xn, %w2, %shift : (tensor<6x48xf32>, tensor<1x48xf32>, tensor<1xi8>) -> tensor<6x48xf32>
  %y = tosa.add %yw, %b2 : (tensor<6x48xf32>, tensor<1x48xf32>) -> tensor<6x48xf32>
  return %y : tensor<6x48xf32>
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#kd = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#col = affine_map<(d0, d1, d2) -> (d2)>

// torch-mlir's native_layer_norm with dynamic rows and N: x − mean is a
// generic reading x by the identity and the keep-dim mean by (d0, d1, 0),
// so its result has x's shape (linalg's loops agree); N is tensor.dim →
// index_cast → uitofp. Mean and rstd are returned keep-dim.
// CHECK-LABEL: func.func @layer_torch_dynamic_n
// CHECK: %[[N:.+]]:3 = norm.layer_norm ins(%{{.+}} : tensor<?x3x?xf32>) gamma(%{{.+}} : tensor<?xf32>) beta(%{{.+}} : tensor<?xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[N]]#0
func.func @layer_torch_dynamic_n(%x: tensor<?x3x?xf32>, %w: tensor<?xf32>, %b: tensor<?xf32>) -> (tensor<?x3x?xf32>, tensor<?x3x1xf32>, tensor<?x3x1xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %z = arith.constant 0.0 : f32
  %n0 = tensor.dim %x, %c0 : tensor<?x3x?xf32>
  %n2 = tensor.dim %x, %c2 : tensor<?x3x?xf32>
  %n2i = arith.index_cast %n2 : index to i64
  %nf = arith.uitofp %n2i : i64 to f32
  %e1 = tensor.empty(%n0) : tensor<?x3x1xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<?x3x1xf32>) -> tensor<?x3x1xf32>
  %s = linalg.generic {indexing_maps = [#id, #kd], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<?x3x?xf32>) outs(%f1 : tensor<?x3x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.addf %a, %o : f32
    linalg.yield %t : f32
  } -> tensor<?x3x1xf32>
  %mean = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<?x3x1xf32>) outs(%e1 : tensor<?x3x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.divf %a, %nf : f32
    linalg.yield %t : f32
  } -> tensor<?x3x1xf32>
  %e3 = tensor.empty(%n0, %n2) : tensor<?x3x?xf32>
  %d = linalg.generic {indexing_maps = [#id, #kd, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %mean : tensor<?x3x?xf32>, tensor<?x3x1xf32>) outs(%e3 : tensor<?x3x?xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %t = arith.subf %a, %m : f32
    linalg.yield %t : f32
  } -> tensor<?x3x?xf32>
  %vs = linalg.generic {indexing_maps = [#id, #kd], iterator_types = ["parallel", "parallel", "reduction"]} ins(%d : tensor<?x3x?xf32>) outs(%f1 : tensor<?x3x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %t = arith.addf %q, %o : f32
    linalg.yield %t : f32
  } -> tensor<?x3x1xf32>
  %rstd = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%vs : tensor<?x3x1xf32>) outs(%e1 : tensor<?x3x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %eps = arith.constant 1.0e-5 : f32
    %v = arith.divf %a, %nf : f32
    %v2 = arith.addf %v, %eps : f32
    %t = math.rsqrt %v2 : f32
    linalg.yield %t : f32
  } -> tensor<?x3x1xf32>
  %y = linalg.generic {indexing_maps = [#id, #kd, #col, #col, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%d, %rstd, %w, %b : tensor<?x3x?xf32>, tensor<?x3x1xf32>, tensor<?xf32>, tensor<?xf32>) outs(%e3 : tensor<?x3x?xf32>) {
  ^bb0(%a: f32, %r: f32, %g: f32, %bb: f32, %o: f32):
    %t = arith.mulf %a, %r : f32
    %t2 = arith.mulf %t, %g : f32
    %t3 = arith.addf %t2, %bb : f32
    linalg.yield %t3 : f32
  } -> tensor<?x3x?xf32>
  return %y, %mean, %rstd : tensor<?x3x?xf32>, tensor<?x3x1xf32>, tensor<?x3x1xf32>
}
