// RUN: norm-opt %s --norm-fuse=report -split-input-file -verify-diagnostics | FileCheck %s
// Spellings of real frontends (issue 16), each with a near miss beside it.

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#kd = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#col = affine_map<(d0, d1, d2) -> (d2)>

// torch-mlir: a decode-shaped row (1x1x64), x an embedding gather written
// as a linalg.generic (linalg.index + tensor.extract), keep-dim reduction
// into 1x1x1 through a constant-0 output map, the mean as sum / N, eps an
// f64 constant truncated to f32 (the raised eps is the f32 value, printed
// as its shortest decimal: the op's default 1e-6).
// CHECK-LABEL: func.func @torch_decode_gather
//       CHECK:   %[[X:.+]] = linalg.generic
//       CHECK:     tensor.extract
//       CHECK:   norm.rms_norm ins(%[[X]] : tensor<1x1x64xf32>) gamma(%{{.+}} : tensor<64xf32>)
//  CHECK-SAME:     {axis = 2 : i64}
//   CHECK-NOT:   math.rsqrt
func.func @torch_decode_gather(%ids: tensor<1x1xi64>, %table: tensor<50x64xf32>, %w: tensor<64xf32>) -> tensor<1x1x64xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x1x64xf32>
  %e1 = tensor.empty() : tensor<1x1x1xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e1 : tensor<1x1x1xf32>) -> tensor<1x1x1xf32>
  %x = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%ids : tensor<1x1xi64>) outs(%e : tensor<1x1x64xf32>) {
  ^bb0(%i: i64, %o: f32):
    %k = linalg.index 2 : index
    %r = arith.index_cast %i : i64 to index
    %v = tensor.extract %table[%r, %k] : tensor<50x64xf32>
    linalg.yield %v : f32
  } -> tensor<1x1x64xf32>
  %sq = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x : tensor<1x1x64xf32>) outs(%e : tensor<1x1x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %two = arith.constant 2.0 : f32
    %0 = math.powf %a, %two : f32
    linalg.yield %0 : f32
  } -> tensor<1x1x64xf32>
  %s = linalg.generic {indexing_maps = [#id, #kd], iterator_types = ["parallel", "parallel", "reduction"]} ins(%sq : tensor<1x1x64xf32>) outs(%z : tensor<1x1x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %0 = arith.addf %a, %o : f32
    linalg.yield %0 : f32
  } -> tensor<1x1x1xf32>
  %rs = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<1x1x1xf32>) outs(%e1 : tensor<1x1x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.constant 64.0 : f32
    %eps = arith.constant 1.0e-6 : f64
    %ef = arith.truncf %eps : f64 to f32
    %0 = arith.divf %a, %n : f32
    %1 = arith.addf %0, %ef : f32
    %2 = math.rsqrt %1 : f32
    linalg.yield %2 : f32
  } -> tensor<1x1x1xf32>
  %xn = linalg.generic {indexing_maps = [#id, #kd, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %rs : tensor<1x1x64xf32>, tensor<1x1x1xf32>) outs(%e : tensor<1x1x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %0 = arith.mulf %a, %b : f32
    linalg.yield %0 : f32
  } -> tensor<1x1x64xf32>
  // expected-remark @+1 {{raised 5 ops into norm.rms_norm}}
  %y = linalg.generic {indexing_maps = [#col, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%w, %xn : tensor<64xf32>, tensor<1x1x64xf32>) outs(%e : tensor<1x1x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %0 = arith.mulf %a, %b : f32
    linalg.yield %0 : f32
  } -> tensor<1x1x64xf32>
  return %y : tensor<1x1x64xf32>
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#kd = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#col = affine_map<(d0, d1, d2) -> (d2)>

// Near miss: the same with a Bessel-corrected mean square (sum / (N − 1)).
// CHECK-LABEL: func.func @torch_bessel
//   CHECK-NOT:   norm.
func.func @torch_bessel(%x: tensor<1x4x64xf32>) -> tensor<1x4x64xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x64xf32>
  %e1 = tensor.empty() : tensor<1x4x1xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e1 : tensor<1x4x1xf32>) -> tensor<1x4x1xf32>
  %s = linalg.generic {indexing_maps = [#id, #kd], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<1x4x64xf32>) outs(%z : tensor<1x4x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %sq = arith.mulf %a, %a : f32
    %0 = arith.addf %sq, %o : f32
    linalg.yield %0 : f32
  } -> tensor<1x4x1xf32>
  %rs = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<1x4x1xf32>) outs(%e1 : tensor<1x4x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.constant 63.0 : f32
    %eps = arith.constant 1.0e-6 : f32
    %0 = arith.divf %a, %n : f32
    %1 = arith.addf %0, %eps : f32
    %2 = math.rsqrt %1 : f32
    linalg.yield %2 : f32
  } -> tensor<1x4x1xf32>
  // expected-remark @+1 {{not raised: the statistic under the sqrt is not the mean square of x}}
  %y = linalg.generic {indexing_maps = [#id, #kd, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %rs : tensor<1x4x64xf32>, tensor<1x4x1xf32>) outs(%e : tensor<1x4x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %0 = arith.mulf %a, %b : f32
    linalg.yield %0 : f32
  } -> tensor<1x4x64xf32>
  return %y : tensor<1x4x64xf32>
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#kd = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#col = affine_map<(d0, d1, d2) -> (d2)>

// A residual add as torch-mlir writes aten.add.Tensor (a linalg.generic)
// feeding the norm becomes residual(...), with residual_out for its other use.
// CHECK-LABEL: func.func @torch_residual_generic
//       CHECK:   norm.rms_norm ins(%{{.+}} : tensor<1x4x64xf32>) residual(%{{.+}} : tensor<1x4x64xf32>) outs(%{{.+}}) residual_out(%{{.+}})
func.func @torch_residual_generic(%a: tensor<1x4x64xf32>, %b: tensor<1x4x64xf32>) -> (tensor<1x4x64xf32>, tensor<1x4x64xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x64xf32>
  %e1 = tensor.empty() : tensor<1x4x1xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e1 : tensor<1x4x1xf32>) -> tensor<1x4x1xf32>
  %h = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%a, %b : tensor<1x4x64xf32>, tensor<1x4x64xf32>) outs(%e : tensor<1x4x64xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %0 = arith.addf %p, %q : f32
    linalg.yield %0 : f32
  } -> tensor<1x4x64xf32>
  %s = linalg.generic {indexing_maps = [#id, #kd], iterator_types = ["parallel", "parallel", "reduction"]} ins(%h : tensor<1x4x64xf32>) outs(%z : tensor<1x4x1xf32>) {
  ^bb0(%p: f32, %o: f32):
    %sq = arith.mulf %p, %p : f32
    %0 = arith.addf %sq, %o : f32
    linalg.yield %0 : f32
  } -> tensor<1x4x1xf32>
  %rs = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<1x4x1xf32>) outs(%e1 : tensor<1x4x1xf32>) {
  ^bb0(%p: f32, %o: f32):
    %n = arith.constant 64.0 : f32
    %eps = arith.constant 1.0e-6 : f32
    %0 = arith.divf %p, %n : f32
    %1 = arith.addf %0, %eps : f32
    %2 = math.rsqrt %1 : f32
    linalg.yield %2 : f32
  } -> tensor<1x4x1xf32>
  // expected-remark @+1 {{raised 3 ops into norm.rms_norm}}
  %y = linalg.generic {indexing_maps = [#id, #kd, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%h, %rs : tensor<1x4x64xf32>, tensor<1x4x1xf32>) outs(%e : tensor<1x4x64xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %0 = arith.mulf %p, %q : f32
    linalg.yield %0 : f32
  } -> tensor<1x4x64xf32>
  return %y, %h : tensor<1x4x64xf32>, tensor<1x4x64xf32>
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#kd = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#col = affine_map<(d0, d1, d2) -> (d2)>

// Every anchor gets an answer: a sum of squares that no norm uses (an L2
// norm of the rows, ‖x‖ = sqrt(Σx²), with no division of x by it).
func.func @l2_only(%x: tensor<4x64xf32>) -> tensor<4xf32> {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  // expected-remark @+1 {{not raised: this sum of squares is not the statistic of a norm}}
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<4x64xf32>) outs(%z : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %sq = arith.mulf %a, %a : f32
    %0 = arith.addf %sq, %o : f32
    linalg.yield %0 : f32
  } -> tensor<4xf32>
  %r = math.sqrt %s : tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// linalg.powf with a splat constant exponent tensor: 2.0 for the square,
// -0.5 for the rsqrt (issue 16, class 6).
// CHECK-LABEL: func.func @named_powf
//       CHECK:   norm.rms_norm ins(%{{.+}} : tensor<4x64xf32>) outs
//   CHECK-NOT:   linalg.powf
func.func @named_powf(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %c0 = arith.constant 0.0 : f32
  %two = arith.constant dense<2.0> : tensor<4x64xf32>
  %mhalf = arith.constant dense<-0.5> : tensor<4xf32>
  %inv = arith.constant dense<1.5625e-02> : tensor<4xf32>
  %eps = arith.constant dense<1.0e-6> : tensor<4xf32>
  %e = tensor.empty() : tensor<4x64xf32>
  %er = tensor.empty() : tensor<4xf32>
  %sq = linalg.powf ins(%x, %two : tensor<4x64xf32>, tensor<4x64xf32>) outs(%e : tensor<4x64xf32>) -> tensor<4x64xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%sq : tensor<4x64xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %m = linalg.mul ins(%s, %inv : tensor<4xf32>, tensor<4xf32>) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %v = linalg.add ins(%m, %eps : tensor<4xf32>, tensor<4xf32>) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.powf ins(%v, %mhalf : tensor<4xf32>, tensor<4xf32>) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %rb = linalg.broadcast ins(%r : tensor<4xf32>) outs(%e : tensor<4x64xf32>) dimensions = [1]
  // expected-remark @+1 {{raised}}
  %y = linalg.mul ins(%x, %rb : tensor<4x64xf32>, tensor<4x64xf32>) outs(%e : tensor<4x64xf32>) -> tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
