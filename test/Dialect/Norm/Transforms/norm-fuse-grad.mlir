// RUN: norm-opt %s --norm-fuse -split-input-file | FileCheck %s
// Every function here is also run before and after raising through the CPU
// pipeline by test/Integration/CPU/norm-fuse-differential.mlir.

// RMSNorm backward as PyTorch's decomposition writes it (rstd saved by the
// forward in keep-dim shape): dx and dgamma become one rms_norm_grad.
// CHECK-LABEL: func.func @rms_grad_decomposed
// CHECK-SAME: (%[[DY:.+]]: tensor<4x32xf32>, %[[X:.+]]: tensor<4x32xf32>, %[[R:.+]]: tensor<4x1xf32>, %[[W:.+]]: tensor<32xf32>)
// CHECK: %[[RS:.+]] = tensor.collapse_shape %[[R]]
// CHECK: %[[G:.+]]:2 = norm.rms_norm_grad ins(%[[DY]] : tensor<4x32xf32>, %[[X]] : tensor<4x32xf32>, %[[RS]] : tensor<4xf32>) gamma(%[[W]] : tensor<32xf32>) outs dx(%{{.+}} : tensor<4x32xf32>) dgamma(%{{.+}} : tensor<32xf32>)
// CHECK-NOT: linalg.reduce
// CHECK: return %[[G]]#0, %[[G]]#1
func.func @rms_grad_decomposed(%dy: tensor<4x32xf32>, %x: tensor<4x32xf32>, %r: tensor<4x1xf32>, %w: tensor<32xf32>) -> (tensor<4x32xf32>, tensor<32xf32>) {
  %c0 = arith.constant 0.0 : f32
  %inv = arith.constant dense<3.125e-02> : tensor<4xf32>
  %e = tensor.empty() : tensor<4x32xf32>
  %er = tensor.empty() : tensor<4xf32>
  %ec = tensor.empty() : tensor<32xf32>
  %r1 = tensor.collapse_shape %r [[0, 1]] : tensor<4x1xf32> into tensor<4xf32>
  %rb = linalg.broadcast ins(%r1 : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  %wb = linalg.broadcast ins(%w : tensor<32xf32>) outs(%e : tensor<4x32xf32>) dimensions = [0]
  %xhat = arith.mulf %x, %rb : tensor<4x32xf32>
  %g = arith.mulf %dy, %wb : tensor<4x32xf32>
  %gx = arith.mulf %g, %xhat : tensor<4x32xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.reduce ins(%gx : tensor<4x32xf32>) outs(%z : tensor<4xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %m = arith.mulf %s, %inv : tensor<4xf32>
  %mb = linalg.broadcast ins(%m : tensor<4xf32>) outs(%e : tensor<4x32xf32>) dimensions = [1]
  %t = arith.mulf %xhat, %mb : tensor<4x32xf32>
  %u = arith.subf %g, %t : tensor<4x32xf32>
  %dx = arith.mulf %rb, %u : tensor<4x32xf32>
  %dyx = arith.mulf %dy, %xhat : tensor<4x32xf32>
  %zc = linalg.fill ins(%c0 : f32) outs(%ec : tensor<32xf32>) -> tensor<32xf32>
  %dw = linalg.reduce ins(%dyx : tensor<4x32xf32>) outs(%zc : tensor<32xf32>) dimensions = [0]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  return %dx, %dw : tensor<4x32xf32>, tensor<32xf32>
}

// -----

// RMSNorm dx as reverse-mode autodiff of x · rsqrt(mean(x²) + eps) · w
// writes it: dy·w·r + Σ(dy·w·x) · (−0.5·r³) · (2/N) · x.
// CHECK-LABEL: func.func @rms_grad_autodiff
// CHECK: norm.rms_norm_grad ins(%{{.+}} : tensor<3x16xf32>, %{{.+}} : tensor<3x16xf32>, %{{.+}} : tensor<3xf32>) gamma(%{{.+}} : tensor<16xf32>) outs dx(
// CHECK-NOT: linalg.reduce
func.func @rms_grad_autodiff(%dy: tensor<3x16xf32>, %x: tensor<3x16xf32>, %r: tensor<3xf32>, %w: tensor<16xf32>) -> tensor<3x16xf32> {
  %c0 = arith.constant 0.0 : f32
  %mhalf = arith.constant dense<-0.5> : tensor<3xf32>
  %twon = arith.constant dense<1.25e-01> : tensor<3x16xf32>
  %e = tensor.empty() : tensor<3x16xf32>
  %er = tensor.empty() : tensor<3xf32>
  %wb = linalg.broadcast ins(%w : tensor<16xf32>) outs(%e : tensor<3x16xf32>) dimensions = [0]
  %rb = linalg.broadcast ins(%r : tensor<3xf32>) outs(%e : tensor<3x16xf32>) dimensions = [1]
  %g = arith.mulf %dy, %wb : tensor<3x16xf32>
  %direct = arith.mulf %g, %rb : tensor<3x16xf32>
  %gx = arith.mulf %g, %x : tensor<3x16xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<3xf32>) -> tensor<3xf32>
  %s = linalg.reduce ins(%gx : tensor<3x16xf32>) outs(%z : tensor<3xf32>) dimensions = [1]
    (%p: f32, %q: f32) {
      %0 = arith.addf %p, %q : f32
      linalg.yield %0 : f32
    }
  %r2 = arith.mulf %r, %r : tensor<3xf32>
  %r3 = arith.mulf %r2, %r : tensor<3xf32>
  %dr = arith.mulf %r3, %mhalf : tensor<3xf32>
  %dv = arith.mulf %s, %dr : tensor<3xf32>
  %dvb = linalg.broadcast ins(%dv : tensor<3xf32>) outs(%e : tensor<3x16xf32>) dimensions = [1]
  %dsq = arith.mulf %dvb, %twon : tensor<3x16xf32>
  %viaSq = arith.mulf %dsq, %x : tensor<3x16xf32>
  %dx = arith.addf %direct, %viaSq : tensor<3x16xf32>
  return %dx : tensor<3x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// LayerNorm backward in linalg.generic (PyTorch's native_layer_norm_backward
// decomposition): dx, dgamma and dbeta from saved mean and rstd.
// CHECK-LABEL: func.func @layer_grad_generic
// CHECK: %[[G:.+]]:3 = norm.layer_norm_grad ins(%{{.+}} : tensor<4x24xf32>, %{{.+}} : tensor<4x24xf32>, %{{.+}} : tensor<4xf32>, %{{.+}} : tensor<4xf32>) gamma(%{{.+}} : tensor<24xf32>) outs dx(%{{.+}}) dgamma(%{{.+}}) dbeta(%{{.+}})
// CHECK-NOT: linalg.generic
// CHECK: return %[[G]]#0, %[[G]]#1, %[[G]]#2
func.func @layer_grad_generic(%dy: tensor<4x24xf32>, %x: tensor<4x24xf32>, %mean: tensor<4xf32>, %rstd: tensor<4xf32>, %w: tensor<24xf32>) -> (tensor<4x24xf32>, tensor<24xf32>, tensor<24xf32>) {
  %c0 = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x24xf32>
  %er = tensor.empty() : tensor<4xf32>
  %ec = tensor.empty() : tensor<24xf32>
  %z = linalg.fill ins(%c0 : f32) outs(%er : tensor<4xf32>) -> tensor<4xf32>
  %zc = linalg.fill ins(%c0 : f32) outs(%ec : tensor<24xf32>) -> tensor<24xf32>
  %xhat = linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%x, %mean, %rstd : tensor<4x24xf32>, tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4x24xf32>) {
  ^bb0(%a: f32, %m: f32, %r: f32, %o: f32):
    %0 = arith.subf %a, %m : f32
    %1 = arith.mulf %0, %r : f32
    linalg.yield %1 : f32
  } -> tensor<4x24xf32>
  %g = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]} ins(%dy, %w : tensor<4x24xf32>, tensor<24xf32>) outs(%e : tensor<4x24xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %0 = arith.mulf %a, %b : f32
    linalg.yield %0 : f32
  } -> tensor<4x24xf32>
  %sg:2 = linalg.generic {indexing_maps = [#id, #id, #row, #row], iterator_types = ["parallel", "reduction"]} ins(%g, %xhat : tensor<4x24xf32>, tensor<4x24xf32>) outs(%z, %z : tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %o1: f32, %o2: f32):
    %0 = arith.addf %o1, %a : f32
    %1 = arith.mulf %a, %b : f32
    %2 = arith.addf %o2, %1 : f32
    linalg.yield %0, %2 : f32, f32
  } -> (tensor<4xf32>, tensor<4xf32>)
  %dx = linalg.generic {indexing_maps = [#id, #id, #row, #row, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%g, %xhat, %sg#0, %sg#1, %rstd : tensor<4x24xf32>, tensor<4x24xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4x24xf32>) {
  ^bb0(%a: f32, %b: f32, %s1: f32, %s2: f32, %r: f32, %o: f32):
    %n = arith.constant 24.0 : f32
    %0 = arith.mulf %a, %n : f32
    %1 = arith.subf %0, %s1 : f32
    %2 = arith.mulf %b, %s2 : f32
    %3 = arith.subf %1, %2 : f32
    %4 = arith.divf %r, %n : f32
    %5 = arith.mulf %4, %3 : f32
    linalg.yield %5 : f32
  } -> tensor<4x24xf32>
  %dwb:2 = linalg.generic {indexing_maps = [#id, #id, #col, #col], iterator_types = ["reduction", "parallel"]} ins(%dy, %xhat : tensor<4x24xf32>, tensor<4x24xf32>) outs(%zc, %zc : tensor<24xf32>, tensor<24xf32>) {
  ^bb0(%a: f32, %b: f32, %o1: f32, %o2: f32):
    %0 = arith.mulf %a, %b : f32
    %1 = arith.addf %o1, %0 : f32
    %2 = arith.addf %o2, %a : f32
    linalg.yield %1, %2 : f32, f32
  } -> (tensor<24xf32>, tensor<24xf32>)
  return %dx, %dwb#0, %dwb#1 : tensor<4x24xf32>, tensor<24xf32>, tensor<24xf32>
}
