// RUN: norm-opt %s --linalg-fold-unit-extent-dims --norm-fuse=report -split-input-file -verify-diagnostics | FileCheck %s
// RUN: norm-opt %s --norm-fuse -split-input-file | FileCheck %s --check-prefix=ASIS
// Issue 16 class 11: raising IR as linalg-fold-unit-extent-dims leaves it,
// with mean and rstd returned. The fold turns each keep-dim statistic into
// a reduced one plus a tensor.expand_shape placed before the root; the norm
// op goes where it dominates those reads, the statistics are read from its
// results and nothing computes them twice. Every function also runs
// differentially (test/Integration/CPU/norm-fuse-differential.mlir), as
// written and after the fold.

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#kd = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#col = affine_map<(d0, d1, d2) -> (d2)>
// torch-mlir's native_layer_norm: keep-dim mean and rstd returned.
// CHECK-LABEL: func.func @layer_stats
// CHECK: %[[N:.+]]:3 = norm.layer_norm
// CHECK-NOT: linalg.generic
// CHECK: %[[M:.+]] = tensor.expand_shape %[[N]]#1
// CHECK: %[[R:.+]] = tensor.expand_shape %[[N]]#2
// CHECK: return %[[N]]#0, %[[M]], %[[R]]
// ASIS-LABEL: func.func @layer_stats
// ASIS: %[[N:.+]]:3 = norm.layer_norm
// ASIS-NOT: linalg.generic
// ASIS: return %[[N]]#0, %{{.+}}, %{{.+}}
func.func @layer_stats(%x: tensor<2x3x64xf32>, %w: tensor<64xf32>, %b: tensor<64xf32>) -> (tensor<2x3x64xf32>, tensor<2x3x1xf32>, tensor<2x3x1xf32>) {
  %z = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<2x3x1xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<2x3x1xf32>) -> tensor<2x3x1xf32>
  %s = linalg.generic {indexing_maps = [#id, #kd], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<2x3x64xf32>) outs(%f1 : tensor<2x3x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.addf %a, %o : f32
    linalg.yield %t : f32
  } -> tensor<2x3x1xf32>
  %mean = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<2x3x1xf32>) outs(%e1 : tensor<2x3x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.constant 64.0 : f32
    %t = arith.divf %a, %n : f32
    linalg.yield %t : f32
  } -> tensor<2x3x1xf32>
  %e3 = tensor.empty() : tensor<2x3x64xf32>
  %d = linalg.generic {indexing_maps = [#id, #kd, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %mean : tensor<2x3x64xf32>, tensor<2x3x1xf32>) outs(%e3 : tensor<2x3x64xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %t = arith.subf %a, %m : f32
    linalg.yield %t : f32
  } -> tensor<2x3x64xf32>
  %vs = linalg.generic {indexing_maps = [#id, #kd], iterator_types = ["parallel", "parallel", "reduction"]} ins(%d : tensor<2x3x64xf32>) outs(%f1 : tensor<2x3x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %t = arith.addf %q, %o : f32
    linalg.yield %t : f32
  } -> tensor<2x3x1xf32>
  %rstd = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%vs : tensor<2x3x1xf32>) outs(%e1 : tensor<2x3x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.constant 64.0 : f32
    %eps = arith.constant 1.0e-5 : f32
    %v = arith.divf %a, %n : f32
    %v2 = arith.addf %v, %eps : f32
    %t = math.rsqrt %v2 : f32
    linalg.yield %t : f32
  } -> tensor<2x3x1xf32>
  // expected-remark-re @+1 {{raised {{[0-9]+}} ops into norm.layer_norm}}
  %y = linalg.generic {indexing_maps = [#id, #kd, #col, #col, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%d, %rstd, %w, %b : tensor<2x3x64xf32>, tensor<2x3x1xf32>, tensor<64xf32>, tensor<64xf32>) outs(%e3 : tensor<2x3x64xf32>) {
  ^bb0(%a: f32, %r: f32, %g: f32, %bb: f32, %o: f32):
    %t = arith.mulf %a, %r : f32
    %t2 = arith.mulf %t, %g : f32
    %t3 = arith.addf %t2, %bb : f32
    linalg.yield %t3 : f32
  } -> tensor<2x3x64xf32>
  return %y, %mean, %rstd : tensor<2x3x64xf32>, tensor<2x3x1xf32>, tensor<2x3x1xf32>
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#kd = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#col = affine_map<(d0, d1, d2) -> (d2)>

// Decode-shaped RMSNorm (1x1xN) with its keep-dim rstd returned.
// CHECK-LABEL: func.func @rms_decode_rstd
// CHECK: %[[N:.+]]:2 = norm.rms_norm
// CHECK-NOT: linalg.generic
// CHECK: return
// ASIS-LABEL: func.func @rms_decode_rstd
// ASIS: norm.rms_norm
// ASIS-NOT: linalg.generic
func.func @rms_decode_rstd(%x: tensor<1x1x64xf32>, %w: tensor<64xf32>) -> (tensor<1x1x64xf32>, tensor<1x1x1xf32>) {
  %z = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<1x1x1xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<1x1x1xf32>) -> tensor<1x1x1xf32>
  %s = linalg.generic {indexing_maps = [#id, #kd], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<1x1x64xf32>) outs(%f1 : tensor<1x1x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %t = arith.addf %q, %o : f32
    linalg.yield %t : f32
  } -> tensor<1x1x1xf32>
  %rstd = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<1x1x1xf32>) outs(%e1 : tensor<1x1x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.constant 64.0 : f32
    %eps = arith.constant 1.0e-6 : f32
    %v = arith.divf %a, %n : f32
    %v2 = arith.addf %v, %eps : f32
    %t = math.rsqrt %v2 : f32
    linalg.yield %t : f32
  } -> tensor<1x1x1xf32>
  %e3 = tensor.empty() : tensor<1x1x64xf32>
  // expected-remark-re @+1 {{raised {{[0-9]+}} ops into norm.rms_norm}}
  %y = linalg.generic {indexing_maps = [#id, #kd, #col, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %rstd, %w : tensor<1x1x64xf32>, tensor<1x1x1xf32>, tensor<64xf32>) outs(%e3 : tensor<1x1x64xf32>) {
  ^bb0(%a: f32, %r: f32, %g: f32, %o: f32):
    %t = arith.mulf %a, %r : f32
    %t2 = arith.mulf %t, %g : f32
    linalg.yield %t2 : f32
  } -> tensor<1x1x64xf32>
  return %y, %rstd : tensor<1x1x64xf32>, tensor<1x1x1xf32>
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#kd = affine_map<(d0, d1, d2) -> (d0, d1, 0)>
#col = affine_map<(d0, d1, d2) -> (d2)>

// γ is computed (1 + w) after rstd is read: the norm op cannot go before
// that read, so the read keeps the value as written (computed twice) and
// the IR stays valid.
// CHECK-LABEL: func.func @rms_gamma_after_read
// CHECK: norm.rms_norm
// CHECK: return
func.func @rms_gamma_after_read(%x: tensor<2x3x64xf32>, %w: tensor<64xf32>) -> (tensor<2x3x64xf32>, tensor<2x3x1xf32>) {
  %z = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<2x3x1xf32>
  %f1 = linalg.fill ins(%z : f32) outs(%e1 : tensor<2x3x1xf32>) -> tensor<2x3x1xf32>
  %s = linalg.generic {indexing_maps = [#id, #kd], iterator_types = ["parallel", "parallel", "reduction"]} ins(%x : tensor<2x3x64xf32>) outs(%f1 : tensor<2x3x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %q = arith.mulf %a, %a : f32
    %t = arith.addf %q, %o : f32
    linalg.yield %t : f32
  } -> tensor<2x3x1xf32>
  %rstd = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%s : tensor<2x3x1xf32>) outs(%e1 : tensor<2x3x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.constant 64.0 : f32
    %eps = arith.constant 1.0e-6 : f32
    %v = arith.divf %a, %n : f32
    %v2 = arith.addf %v, %eps : f32
    %t = math.rsqrt %v2 : f32
    linalg.yield %t : f32
  } -> tensor<2x3x1xf32>
  %rd = arith.mulf %rstd, %rstd : tensor<2x3x1xf32>
  %one = arith.constant dense<1.0> : tensor<64xf32>
  %g = arith.addf %w, %one : tensor<64xf32>
  %e3 = tensor.empty() : tensor<2x3x64xf32>
  // expected-remark-re @+1 {{raised {{[0-9]+}} ops into norm.rms_norm}}
  %y = linalg.generic {indexing_maps = [#id, #kd, #col, #id], iterator_types = ["parallel", "parallel", "parallel"]} ins(%x, %rstd, %g : tensor<2x3x64xf32>, tensor<2x3x1xf32>, tensor<64xf32>) outs(%e3 : tensor<2x3x64xf32>) {
  ^bb0(%a: f32, %r: f32, %gg: f32, %o: f32):
    %t = arith.mulf %a, %r : f32
    %t2 = arith.mulf %t, %gg : f32
    linalg.yield %t2 : f32
  } -> tensor<2x3x64xf32>
  return %y, %rd : tensor<2x3x64xf32>, tensor<2x3x1xf32>
}
